"""Validation and deployment, the two steps after training (databricks mlops-stacks style).

``validate_challenger`` compares ``@challenger`` with ``@champion`` on the challenger's own
out-of-time window (the most recent labelled days) with explicit thresholds and writes the verdict and
its numbers as tags on the challenger's model version. ``promote`` is idempotent: it moves
``@champion`` to a challenger that passed, keeping the old champion as ``@previous_champion``;
``rollback`` puts ``@previous_champion`` back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.settings import Settings, get_settings
from ml.evaluation import BIASED, MIN_AUDIT_ROWS, UNBIASED, finite, policy_metrics, rule_scores
from ml.features import feature_columns, load_features, predict
from ml.registry import (CHALLENGER, CHAMPION, ModelNotFoundError, ModelRef, current_alias, registry_client,
                         validation_window)
from ml.tracking import configure_mlflow
from ml.oracle import truth_for

PREVIOUS = "previous_champion"
TAG = "gate."


@dataclass(frozen=True)
class GateThresholds:
    # Challenger precision at capacity may trail the champion's by at most this (absolute).
    precision_tolerance: float = 0.02
    # Where the simulator's truth says what the rules pick: the model's true hit rate at capacity must
    # not be below the rule policy's at the same capacity, minus this.
    rule_tolerance: float = 0.0


def _inputs(ref: ModelRef) -> list[str]:
    from mlflow.models import get_model_info

    signature = get_model_info(ref.uri).signature
    return list(signature.inputs.input_names()) if signature is not None else []


def validate_challenger(lane: str, settings: Settings | None = None,
                        thresholds: GateThresholds = GateThresholds()) -> dict:
    """Run the gate for the lane's ``@challenger``; tag the version with the decision; return it."""
    import datetime as dt

    import mlflow

    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    name = settings.model_name(lane)
    client = registry_client(settings)
    challenger = current_alias(settings, name, CHALLENGER)
    if challenger is None:
        raise ModelNotFoundError(f"{name} has no @{CHALLENGER}: train the lane first")
    champion = current_alias(settings, name, CHAMPION)
    start, end = validation_window(client, challenger)
    frame = load_features(lane, settings)
    window = frame[(frame["item_date"] >= dt.date.fromisoformat(start)) & (frame["item_date"] <= dt.date.fromisoformat(end))]
    truth = truth_for(settings, lane, window["item_date"].unique())
    checks: list[tuple[str, bool, str]] = []
    numbers: dict[str, float] = {}

    inputs = _inputs(challenger)
    table_features = feature_columns(frame.columns)
    compatible = sorted(inputs) == sorted(table_features)
    checks.append(("signature", compatible,
                   "challenger inputs match the feature table" if compatible else
                   f"challenger inputs {sorted(set(inputs) ^ set(table_features))} differ from the feature table"))
    if not compatible:
        return _record(client, name, challenger, champion, False, checks, numbers, (start, end), "none: not compared")

    estimate = "none: no champion to compare with"
    ch = policy_metrics(window, predict(mlflow.xgboost.load_model(challenger.uri), window, inputs),
                        settings, lane, truth)
    numbers |= {f"challenger_{k}": v for k, v in ch.items() if "_office_" not in k}
    if champion is not None and champion.version != challenger.version:
        champ_inputs = _inputs(champion)
        if sorted(champ_inputs) == sorted(table_features):
            cp = policy_metrics(window, predict(mlflow.xgboost.load_model(champion.uri), window, champ_inputs),
                                settings, lane, truth)
            numbers |= {f"champion_{k}": v for k, v in cp.items() if "_office_" not in k}
            estimate, a, b = precision_estimate(ch, cp)
            numbers |= {"random_sample_rows": ch.get("random_sample_rows", 0.0),
                        "challenger_precision_used": a, "champion_precision_used": b}
            ok = not (np.isfinite(b) and (not np.isfinite(a) or a < b - thresholds.precision_tolerance))
            checks.append(("vs_champion", ok, f"{estimate} precision at capacity {a:.4f} vs champion "
                                               f"v{champion.version} {b:.4f} (tolerance {thresholds.precision_tolerance})"))
            if "true_hit_rate_at_capacity" in ch and "true_hit_rate_at_capacity" in cp:
                numbers["champion_true_hit_rate_at_capacity"] = cp["true_hit_rate_at_capacity"]
        else:
            checks.append(("vs_champion", True, f"champion v{champion.version} no longer fits the feature table: "
                                                "the challenger replaces it"))
    else:
        checks.append(("vs_champion", True, "no other champion to compare with"))

    rule = rule_scores(window, truth, settings.seed)
    if rule is not None:
        rm = policy_metrics(window, rule, settings, lane, truth)
        a, b = ch.get("true_hit_rate_at_capacity", np.nan), rm.get("true_hit_rate_at_capacity", np.nan)
        numbers["rule_true_hit_rate_at_capacity"] = b
        ok = not (np.isfinite(b) and (not np.isfinite(a) or a < b - thresholds.rule_tolerance))
        checks.append(("vs_rule", ok, f"true hit rate at capacity {a:.4f} vs rule policy {b:.4f}"))
    else:
        checks.append(("vs_rule", True, "rule policy unknown (no truth): not checked"))
    passed = all(ok for _, ok, _ in checks)
    numbers |= {f"threshold_{k}": v for k, v in asdict(thresholds).items()}
    return _record(client, name, challenger, champion, passed, checks, numbers, (start, end), estimate)


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


def _record(client, name, challenger: ModelRef, champion: ModelRef | None, passed: bool,
            checks: list[tuple[str, bool, str]], numbers: dict[str, float], window: tuple[str, str],
            estimate: str) -> dict:
    reason = "; ".join(f"{c}: {'ok' if ok else 'FAIL'} ({why})" for c, ok, why in checks)
    tags = {
        "decision": "pass" if passed else "fail", "reason": reason[:4900],
        "precision_estimate": estimate[:250],
        "window": f"{window[0]}..{window[1]}",
        "champion_version": str(champion.version) if champion else "none",
        **{f"check_{c}": "ok" if ok else "fail" for c, ok, _ in checks},
        **{k: f"{v:.6g}" for k, v in finite(numbers).items()},
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, str(challenger.version), TAG + key, value)
    return {"model_name": name, "challenger_version": challenger.version,
            "champion_version": champion.version if champion else None, "passed": passed,
            "reason": reason, "checks": {c: ok for c, ok, _ in checks}, "numbers": finite(numbers),
            "precision_estimate": estimate,
            "window": f"{window[0]}..{window[1]}"}


def promote(lane: str, settings: Settings | None = None, rollback: bool = False, validate: bool = True) -> dict:
    """Deploy: move ``@champion`` to the ``@challenger`` if its gate passed (validating it first when
    it has no verdict yet, or always with ``validate``), keeping the old one as ``@previous_champion``.
    Idempotent: promoting the current champion again changes nothing. ``rollback`` swaps back."""
    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    name = settings.model_name(lane)
    client = registry_client(settings)
    if rollback:
        return _rollback(client, settings, name)
    challenger = current_alias(settings, name, CHALLENGER)
    if challenger is None:
        raise ModelNotFoundError(f"{name} has no @{CHALLENGER}: train the lane first")
    tags = client.get_model_version(name, str(challenger.version)).tags
    if validate or TAG + "decision" not in tags:
        verdict = validate_challenger(lane, settings)
        passed, reason = verdict["passed"], verdict["reason"]
    else:
        passed, reason = tags[TAG + "decision"] == "pass", tags.get(TAG + "reason", "")
    champion = current_alias(settings, name, CHAMPION)
    result = {"model_name": name, "challenger_version": challenger.version, "passed": passed, "reason": reason,
              "previous_champion": None}
    if not passed:
        client.set_model_version_tag(name, str(challenger.version), TAG + "promoted", "false")
        return result | {"promoted": False, "champion_version": champion.version if champion else None}
    if champion is not None and champion.version == challenger.version:
        return result | {"promoted": False, "champion_version": champion.version,
                         "note": f"version {champion.version} is already @{CHAMPION}"}
    if champion is not None:
        client.set_registered_model_alias(name, PREVIOUS, str(champion.version))
    client.set_registered_model_alias(name, CHAMPION, str(challenger.version))
    client.set_model_version_tag(name, str(challenger.version), TAG + "promoted", "true")
    return result | {"promoted": True, "champion_version": challenger.version,
                     "previous_champion": champion.version if champion else None}


def _rollback(client, settings: Settings, name: str) -> dict:
    previous = current_alias(settings, name, PREVIOUS)
    if previous is None:
        raise ModelNotFoundError(f"{name} has no @{PREVIOUS} to roll back to")
    champion = current_alias(settings, name, CHAMPION)
    client.set_registered_model_alias(name, CHAMPION, str(previous.version))
    client.delete_registered_model_alias(name, PREVIOUS)
    if champion is not None:
        client.set_model_version_tag(name, str(champion.version), TAG + "rolled_back", "true")
    return {"model_name": name, "rollback": True, "champion_version": previous.version,
            "rolled_back_version": champion.version if champion else None}
