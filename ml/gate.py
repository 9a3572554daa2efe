"""The promotion gate, the step between training and deployment (databricks mlops-stacks style).

``validate_challenger`` compares ``@challenger`` with ``@champion`` on the challenger's own out-of-time
window (the most recent labelled days) with declared thresholds and writes the verdict and its numbers
as tags on the challenger's model version; ``ml.deploy`` acts on that verdict. Precision is compared on
the random-sample rows (audit and exploration, inverse-propensity weighted) whenever there are enough;
with an oracle (the simulated world) the true hit rate is also held against the historic rules. Each
comparison is decided on the paired bootstrap interval of the difference, not on two points: a
challenger passes unless it is worse beyond the noise, and its reason says which way it went.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.settings import Settings, get_settings
from ml.evaluate import (BIASED, MIN_AUDIT_ROWS, UNBIASED, JudgedWindow, finite, judge, model_policy,
                         precision_difference, rule_policy, window_metrics)
from ml.dataset import window_days
from ml.features import feature_days, signature_inputs, table_feature_columns
from ml.oracle import truth_for
from ml.registry import (CHALLENGER, CHAMPION, ModelNotFoundError, ModelRef, current_alias, registry_client,
                         validation_window)
from ml.tracking import configure_mlflow

TAG = "gate."
Check = tuple[str, bool, str]


@dataclass(frozen=True)
class GateThresholds:
    # The challenger fails only when it is worse than the champion beyond the noise: the upper end of
    # the paired interval of (challenger - champion) precision at capacity is below -this (absolute).
    precision_tolerance: float = 0.02
    # Where an oracle says what the rules pick: the model's true hit rate at capacity must not be below
    # the rule policy's at the same capacity beyond the noise, minus this.
    rule_tolerance: float = 0.0


@dataclass
class Window:
    """The challenger's validation window: its days, and the truth where an oracle has it."""
    start: str
    end: str
    days: list[dt.date]
    truth: pd.DataFrame | None


def _window(lane: str, settings: Settings, challenger: ModelRef) -> Window:
    start, end = validation_window(registry_client(settings), challenger)
    days = feature_days(lane, settings, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return Window(start, end, days, truth_for(settings, lane, days))


def _judged(policies: dict[str, ModelRef | None], inputs: dict[str, list[str]], window: Window,
            settings: Settings, lane: str) -> JudgedWindow:
    """Every policy (a registered model, or None for the historic rules) judged on the window's items,
    one day at a time."""
    import mlflow

    rankings = {name: model_policy(mlflow.xgboost.load_model(ref.uri), inputs[name]) if ref is not None
                else rule_policy(window.truth, settings.seed) for name, ref in policies.items()}
    first, last = dt.date.fromisoformat(window.start), dt.date.fromisoformat(window.end)
    return judge(window_days(lane, settings, first, last), rankings, settings, lane, window.truth)


def _interval(m: dict[str, float], key: str) -> str:
    return f"{m.get(key, np.nan):.4f} [{m.get(key + '_lo', np.nan):.4f}, {m.get(key + '_hi', np.nan):.4f}]"


def _not_worse(a: float, b: float, diff: dict[str, float], tolerance: float) -> bool:
    """Worse beyond the noise = even the upper end of the paired interval of (challenger - reference)
    falls below -tolerance. Without an interval (no shared rows) the point estimates decide."""
    if not np.isfinite(b):
        return True
    if not np.isfinite(a):
        return False
    if np.isfinite(diff["hi"]):
        return diff["hi"] >= -tolerance
    return a >= b - tolerance


def _verdict_text(ok: bool, diff: dict[str, float], settings: Settings, tolerance: float) -> str:
    level = f"{100 * settings.confidence:g} %"
    return (f"difference {diff['value']:+.4f} [{diff['lo']:+.4f}, {diff['hi']:+.4f}] ({level}, {diff['n']:.0f} rows): "
            f"{'not worse' if ok else 'worse'} beyond the noise (tolerance {tolerance})")


def validate_challenger(lane: str, settings: Settings | None = None,
                        thresholds: GateThresholds = GateThresholds()) -> dict:
    """Run the gate for the lane's ``@challenger``; tag the version with the decision; return it."""
    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    name = settings.model_name(lane)
    challenger = current_alias(settings, name, CHALLENGER)
    if challenger is None:
        raise ModelNotFoundError(f"{name} has no @{CHALLENGER}: train the lane first")
    champion = current_alias(settings, name, CHAMPION)
    window = _window(lane, settings, challenger)
    numbers: dict[str, float] = {}

    inputs, table_features = signature_inputs(challenger), table_feature_columns(lane, settings)
    compatible = sorted(inputs) == sorted(table_features)
    checks: list[Check] = [("signature", compatible,
                            "challenger inputs match the feature table" if compatible else
                            f"challenger inputs {sorted(set(inputs) ^ set(table_features))} differ from the feature table")]
    if not compatible:
        return _record(settings, challenger, champion, False, checks, numbers, window, "none: not compared")

    policies, signatures = {"challenger": challenger}, {"challenger": inputs}
    not_compared = _why_champion_not_compared(champion, challenger, table_features)
    if not_compared is None:
        policies["champion"], signatures["champion"] = champion, signature_inputs(champion)
    if window.truth is not None and len(window.truth):
        policies["rule"] = None
    judged = _judged(policies, signatures, window, settings, lane)
    ch = window_metrics(judged, "challenger", settings)
    numbers |= {f"challenger_{k}": v for k, v in ch.items() if "_office_" not in k}
    check, estimate = (not_compared if not_compared is not None else
                       _vs_champion(judged, ch, champion, settings, thresholds, numbers))
    checks += [check, _vs_rule(judged, ch, settings, thresholds, numbers)]
    numbers |= {f"threshold_{k}": v for k, v in asdict(thresholds).items()}
    return _record(settings, challenger, champion, all(ok for _, ok, _ in checks), checks, numbers, window, estimate)


def _why_champion_not_compared(champion: ModelRef | None, challenger: ModelRef,
                       table_features: list[str]) -> tuple[Check, str] | None:
    """None when the champion is judged beside the challenger; else the check and estimate saying why not."""
    if champion is None or champion.version == challenger.version:
        return ("vs_champion", True, "no other champion to compare with"), "none: no champion to compare with"
    if sorted(signature_inputs(champion)) != sorted(table_features):
        return (("vs_champion", True, f"champion v{champion.version} no longer fits the feature table: "
                                      "the challenger replaces it"), "none: no champion to compare with")
    return None


def _vs_champion(judged: JudgedWindow, ch: dict[str, float], champion: ModelRef, settings: Settings,
                 thresholds: GateThresholds, numbers: dict[str, float]) -> tuple[Check, str]:
    """The challenger's precision at capacity against the champion's, on the best estimate available,
    decided on the paired interval of their difference rather than on the two points."""
    cp = window_metrics(judged, "champion", settings)
    numbers |= {f"champion_{k}": v for k, v in cp.items() if "_office_" not in k}
    estimate, a, b = precision_estimate(ch, cp)
    y = judged.rows["label"].to_numpy(dtype=float, na_value=np.nan)
    weights = judged.weights if estimate == UNBIASED else (~np.isnan(y)).astype(float)
    diff = precision_difference(y, weights, judged.selected["challenger"], judged.selected["champion"],
                                settings.confidence, settings.seed)
    numbers |= {"random_sample_rows": ch.get("random_sample_rows", 0.0),
                "challenger_precision_used": a, "champion_precision_used": b,
                "precision_difference": diff["value"], "precision_difference_lo": diff["lo"],
                "precision_difference_hi": diff["hi"], "precision_difference_n": diff["n"]}
    ok = _not_worse(a, b, diff, thresholds.precision_tolerance)
    key = "unbiased_precision_at_capacity" if estimate == UNBIASED else "precision_at_capacity"
    return (("vs_champion", ok, f"{estimate} precision at capacity {_interval(ch, key)} vs champion "
                                f"v{champion.version} {_interval(cp, key)}; "
                                f"{_verdict_text(ok, diff, settings, thresholds.precision_tolerance)}"), estimate)


def _vs_rule(judged: JudgedWindow, ch: dict[str, float], settings: Settings, thresholds: GateThresholds,
             numbers: dict[str, float]) -> Check:
    """With an oracle: the challenger's true hit rate at capacity against the historic rules', on the
    paired interval of the difference over the window's items."""
    if "rule" not in judged.selected:
        return "vs_rule", True, "rule policy unknown (no oracle): not checked"
    rm = window_metrics(judged, "rule", settings)
    a, b = ch.get("true_hit_rate_at_capacity", np.nan), rm.get("true_hit_rate_at_capacity", np.nan)
    risky = judged.risky
    diff = precision_difference(risky, (~np.isnan(risky)).astype(float), judged.selected["challenger"],
                                judged.selected["rule"], settings.confidence, settings.seed)
    numbers |= {"rule_true_hit_rate_at_capacity": b, "rule_true_hit_rate_at_capacity_lo":
                rm.get("true_hit_rate_at_capacity_lo", np.nan),
                "rule_true_hit_rate_at_capacity_hi": rm.get("true_hit_rate_at_capacity_hi", np.nan)}
    ok = _not_worse(a, b, diff, thresholds.rule_tolerance)
    return "vs_rule", ok, (f"true hit rate at capacity {_interval(ch, 'true_hit_rate_at_capacity')} vs rule "
                           f"policy {_interval(rm, 'true_hit_rate_at_capacity')}; "
                           f"{_verdict_text(ok, diff, settings, thresholds.rule_tolerance)}")


def precision_estimate(challenger: dict[str, float], champion: dict[str, float]) -> tuple[str, float, float]:
    """(which estimate, challenger's, champion's) precision at capacity for the gate.

    The labelled rows were chosen mostly by the historic rules, so their precision rewards a model for
    agreeing with the rules. The random-sample rows (audit and exploration, inverse-propensity weighted)
    are used whenever there are at least MIN_AUDIT_ROWS of them and both models pick some of them;
    otherwise the biased estimate, labelled as such."""
    a, b = challenger.get("unbiased_precision_at_capacity"), champion.get("unbiased_precision_at_capacity")
    n = int(challenger.get("random_sample_rows", 0))
    if a is not None and b is not None and np.isfinite(a) and np.isfinite(b):
        return UNBIASED, float(a), float(b)
    why = (f"only {n} random-sample rows < {MIN_AUDIT_ROWS}" if n < MIN_AUDIT_ROWS
           else "no random-sample row among a model's picks")
    return (f"{BIASED} ({why})", challenger.get("precision_at_capacity", np.nan),
            champion.get("precision_at_capacity", np.nan))


def _record(settings: Settings, challenger: ModelRef, champion: ModelRef | None, passed: bool,
            checks: list[Check], numbers: dict[str, float], window: Window, estimate: str) -> dict:
    """Write the verdict as ``gate.*`` tags on the challenger's version and return it."""
    reason = "; ".join(f"{c}: {'ok' if ok else 'FAIL'} ({why})" for c, ok, why in checks)
    span = f"{window.start}..{window.end}"
    tags = {
        "decision": "pass" if passed else "fail", "reason": reason[:4900],
        "precision_estimate": estimate[:250], "window": span,
        "champion_version": str(champion.version) if champion else "none",
        **{f"check_{c}": "ok" if ok else "fail" for c, ok, _ in checks},
        **{k: f"{v:.6g}" for k, v in finite(numbers).items()},
    }
    client = registry_client(settings)
    for key, value in tags.items():
        client.set_model_version_tag(challenger.name, str(challenger.version), TAG + key, value)
    return {"model_name": challenger.name, "challenger_version": challenger.version,
            "champion_version": champion.version if champion else None, "passed": passed,
            "reason": reason, "checks": {c: ok for c, ok, _ in checks}, "numbers": finite(numbers),
            "precision_estimate": estimate, "window": span}
