"""Evaluation, the step after fitting: one metric set for every selection policy on one out-of-time
window, so the trained model, its baselines (random, the historic rules, the current champion) and the
promotion gate are measured the same way and sit side by side in the MLflow UI under the same names.

*At capacity* means what the offices can really inspect: the lane's share (or an office's own
override) of each day's traffic per office, as ``ml.selection`` would select it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from core.intervals import bootstrap_interval, weighted_rate, with_interval
from core.settings import Settings
from ml.features import predict
from ml.metrics import TOP_K_PCTS, ranking_metrics, top_k_count
from ml.oracle import get_oracle
from ml.plots import log_figures, plot_patterns
from ml.selection import select_within_offices

# Below this many random-sample labelled rows (audit + exploration) in a window, estimates from them are
# noise: the unbiased precision is then not logged and the gate falls back to the biased estimate.
MIN_AUDIT_ROWS = 50
UNBIASED = "ipw_random_sample"
BIASED = "biased_labelled"


def capacity_pct(settings: Settings, lane: str) -> float:
    return 100.0 * float(settings.capacity_share[lane])


def finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}


def select_at_capacity(window: pd.DataFrame, scores: np.ndarray, settings: Settings, lane: str) -> pd.Series:
    """Boolean per row of ``window`` (in its order): selected at capacity per day and office."""
    scored = window[["item_id", "item_date", "office_id"]].assign(score=scores, _pos=np.arange(len(window)))
    picked = select_within_offices(scored, settings.capacity_share[lane], group_by=("item_date", "office_id"),
                                   office_capacity=settings.office_capacity.get(lane))
    mask = np.zeros(len(window), dtype=bool)
    mask[picked.loc[picked["selected"], "_pos"].to_numpy()] = True
    return pd.Series(mask, index=window.index)


def exploration_propensity(window: pd.DataFrame, settings: Settings, lane: str) -> np.ndarray:
    """Per row of ``window``: the logged probability that live scoring explored the item (0 where it was
    not scored, or was a model pick), from ``scoring.daily_selection``."""
    from core.warehouse import Warehouse

    out = np.zeros(len(window))
    if window.empty:
        return out
    warehouse = Warehouse(settings)
    if not warehouse.table_exists("scoring", "daily_selection"):
        return out
    logged = warehouse.query_df(
        "select item_id, propensity from scoring.daily_selection where lane = ? and item_date between ? and ? "
        "and coalesce(why, '') <> 'model'", [lane, min(window["item_date"]), max(window["item_date"])])
    if logged.empty:
        return out
    mapped = window["item_id"].astype(str).map(logged.set_index(logged["item_id"].astype(str))["propensity"])
    return mapped.fillna(0.0).to_numpy(dtype=float)


def random_sample_weights(window: pd.DataFrame, settings: Settings, lane: str) -> np.ndarray:
    """Inverse-propensity weight of each labelled row that a random mechanism chose (the historic
    uniform audit, or live exploration with its logged propensity); 0 for every other row.

    The inclusion probability of such an item is its day's audit share plus its exploration
    propensity, so each weight stands for the unlabelled items it represents (Horvitz-Thompson).
    Rule and model picks are not random samples of anything and get 0.
    """
    labelled = window["label"].notna().to_numpy()
    audit = window["is_audit"].fillna(False).astype(bool).to_numpy() & labelled
    reason = window["selection_reason"].astype(object).to_numpy() if "selection_reason" in window else None
    explored = (reason == "exploration") & labelled if reason is not None else np.zeros(len(window), bool)
    days = window["item_date"].to_numpy()
    day_items = pd.Series(days).map(pd.Series(days).value_counts()).to_numpy(dtype=float)
    day_audit = pd.Series(days).map(pd.Series(days[audit]).value_counts()).fillna(0).to_numpy(dtype=float)
    audit_share = np.divide(day_audit, day_items, out=np.zeros(len(window)), where=day_items > 0)
    pi = np.clip(audit_share + exploration_propensity(window, settings, lane), 0.0, 1.0)
    sampled = (audit | explored) & (pi > 0)
    return np.where(sampled, np.divide(1.0, pi, out=np.zeros(len(window)), where=pi > 0), 0.0)


def precision_difference(y: np.ndarray, weights: np.ndarray, sel_a: np.ndarray, sel_b: np.ndarray,
                         confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Weighted precision of picks ``a`` minus that of picks ``b`` on the same rows (w > 0), with a
    paired bootstrap interval: both policies are judged on each resample, so the noise they share (the
    same window, the same labels) cancels and only their disagreement is tested."""
    use = (weights > 0) & (sel_a | sel_b)
    y, w, a, b = (np.asarray(v)[use] for v in (y, weights, sel_a, sel_b))
    wy = w * np.nan_to_num(y.astype(float))

    def diff(i: np.ndarray) -> float:
        wa, wb = np.sum(w[i] * a[i]), np.sum(w[i] * b[i])
        return (np.sum(wy[i] * a[i]) / wa if wa > 0 else np.nan) - (np.sum(wy[i] * b[i]) / wb if wb > 0 else np.nan)

    lo, hi = bootstrap_interval(diff, len(y), confidence, seed=seed)
    return {"value": diff(np.arange(len(y))) if len(y) else float("nan"), "lo": lo, "hi": hi, "n": float(len(y))}


def _capacity_rates(out: dict[str, float], offices: np.ndarray, all_offices: list[str], y: np.ndarray,
                    selected: np.ndarray, confidence: float) -> None:
    """``precision_at_capacity`` and ``recall_at_capacity`` overall and per office (``all_offices``: every
    office of the window), each precision with its Wilson interval and count (``_lo``/``_hi``/``_n``)."""
    labelled = ~np.isnan(y)
    masks = {"": np.ones(len(y), dtype=bool)} | {f"_office_{o}": offices == o for o in all_offices}
    for suffix, mask in masks.items():
        lab = mask & labelled
        hits_sel = y[lab & selected]
        positives = np.nansum(y[lab])
        rate = with_interval("precision_at_capacity", float(hits_sel.sum()), len(hits_sel), confidence)
        out |= {k.replace("precision_at_capacity", f"precision_at_capacity{suffix}"): v for k, v in rate.items()}
        out[f"recall_at_capacity{suffix}"] = float(hits_sel.sum() / positives) if positives > 0 else float("nan")


def _top_k_intervals(out: dict[str, float], n_labelled: int, confidence: float) -> None:
    """Wilson interval and count beside each ``precision_at_{k}pct`` of the labelled rows."""
    for k in TOP_K_PCTS:
        name, n = f"precision_at_{k}pct", top_k_count(n_labelled, k)
        if name in out and n:
            out |= with_interval(name, round(out[name] * n), n, confidence)


Policy = Callable[[pd.DataFrame], np.ndarray]
"""A selection policy as a ranking: its scores for one batch of whole days of a window (in row order)."""

KEPT_COLUMNS = ["item_id", "item_date", "office_id", "label"]


@dataclass
class JudgedWindow:
    """A window after every policy scored and selected its items at capacity, batch by batch of whole
    days. Only the rows the metrics read again are kept: the labelled ones and each policy's picks,
    without their features, and each row's random-sample weight. So a window of many full-traffic days
    costs the memory of one day, and every policy is judged on the same rows."""
    rows: pd.DataFrame                      # KEPT_COLUMNS of the kept rows, in window order
    scores: dict[str, np.ndarray]           # per policy, on the kept rows
    selected: dict[str, np.ndarray]         # per policy, on the kept rows
    weights: np.ndarray                     # random_sample_weights of the kept rows
    offices: list[str]                      # every office with items in the window
    days: list[date]
    n_items: int
    # With the simulator's truth: each kept row's is_risky (NaN where unknown), the window's items that
    # have truth and how many of them are risky, their truth rows, and the oracle policy's picks
    # among them.
    risky: np.ndarray | None = None
    n_known: int = 0
    n_risky: float = 0.0
    truth: pd.DataFrame | None = None
    oracle_picks: list = field(default_factory=list)


def judge(batches: Iterable[pd.DataFrame], policies: dict[str, Policy], settings: Settings, lane: str,
          truth: pd.DataFrame | None = None, oracle_policy: str | None = None) -> JudgedWindow:
    """Score and select every batch (whole days) with every policy and keep what the metrics need.
    ``oracle_policy``: the policy whose picks among the items with truth ``oracle_metrics`` reads."""
    truth = truth if truth is not None and len(truth) else None
    index = pd.Index(truth["item_id"]) if truth is not None else None
    in_window = np.zeros(len(truth), dtype=bool) if truth is not None else None
    risky_of = truth["is_risky"].to_numpy(dtype=float) if truth is not None else None
    kept, weights, risky = [], [], []
    scores: dict[str, list] = {p: [] for p in policies}
    selected: dict[str, list] = {p: [] for p in policies}
    offices, days, n_items, n_known, n_risky, picks = set(), set(), 0, 0, 0.0, []
    for batch in batches:
        if batch.empty:
            continue
        batch = batch.reset_index(drop=True)
        n_items += len(batch)
        offices |= set(batch["office_id"])
        days |= set(batch["item_date"])
        batch_scores = {p: np.asarray(policy(batch), dtype=float) for p, policy in policies.items()}
        batch_selected = {p: select_at_capacity(batch, s, settings, lane).to_numpy() for p, s in batch_scores.items()}
        keep = batch["label"].notna().to_numpy()
        for mask in batch_selected.values():
            keep = keep | mask
        if index is not None:
            position = index.get_indexer(batch["item_id"])
            known = position >= 0
            r = np.full(len(batch), np.nan)
            r[known] = risky_of[position[known]]
            in_window[position[known]] = True
            n_known, n_risky = n_known + int(known.sum()), n_risky + float(np.nansum(r[known]))
            risky.append(r[keep])
            if oracle_policy is not None and known.any():
                chosen = (batch_selected[oracle_policy] if known.all() else
                          select_at_capacity(batch[known], batch_scores[oracle_policy][known], settings, lane).to_numpy())
                picks += list(batch.loc[known, "item_id"].to_numpy()[chosen])
        kept.append(batch.loc[keep, KEPT_COLUMNS])
        weights.append(random_sample_weights(batch, settings, lane)[keep])
        for p in policies:
            scores[p].append(batch_scores[p][keep])
            selected[p].append(batch_selected[p][keep])
    rows = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=KEPT_COLUMNS)

    def joined(parts: list, dtype) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return JudgedWindow(
        rows=rows, scores={p: joined(v, float) for p, v in scores.items()},
        selected={p: joined(v, bool) for p, v in selected.items()}, weights=joined(weights, float),
        offices=sorted(offices), days=sorted(days), n_items=n_items,
        risky=joined(risky, float) if truth is not None else None, n_known=n_known, n_risky=n_risky,
        truth=truth[in_window] if truth is not None else None, oracle_picks=picks)


def window_metrics(judged: JudgedWindow, policy: str, settings: Settings) -> dict[str, float]:
    """Metrics of one policy of a judged window (every item of the out-of-time days, with ``label``
    where inspected); every precision and hit rate with ``_lo``/``_hi`` (its interval at
    ``settings.confidence``) and ``_n`` (the items it rests on):

    - ``precision_at_{k}pct``/``recall_at_{k}pct``/``auc`` on the labelled rows (the DATE measures);
    - ``precision_at_capacity``/``recall_at_capacity``: labelled rows the policy selects at capacity,
      overall and per office (``..._office_<id>``);
    - ``unbiased_precision_at_capacity``: the same precision on the random-sample rows only (audit and
      exploration, inverse-propensity weighted, bootstrap interval), logged when there are at least
      ``MIN_AUDIT_ROWS`` of them, with ``random_sample_rows`` and ``random_sample_selected``;
    - with the simulator's truth: ``true_hit_rate_at_capacity`` and ``true_recall_at_capacity`` over
      every item of the window, labelled or not.
    """
    rows, scores, selected = judged.rows, judged.scores[policy], judged.selected[policy]
    labelled = rows["label"].notna().to_numpy()
    y = rows["label"].to_numpy(dtype=float, na_value=np.nan)
    conf = settings.confidence
    out: dict[str, float] = {}
    if labelled.any():
        out |= ranking_metrics(y[labelled].astype(int), scores[labelled], ids=rows["item_id"].to_numpy()[labelled])
        _top_k_intervals(out, int(labelled.sum()), conf)
    _capacity_rates(out, rows["office_id"].to_numpy(), judged.offices, y, selected, conf)
    out["selected_at_capacity"] = float(selected.sum())
    weights = judged.weights
    n_random = int((weights > 0).sum())
    out["random_sample_rows"] = float(n_random)
    if n_random >= MIN_AUDIT_ROWS:
        rate = weighted_rate(np.nan_to_num(y), np.where(selected, weights, 0.0), conf, seed=settings.seed)
        out |= {"unbiased_precision_at_capacity": rate["value"], "unbiased_precision_at_capacity_lo": rate["lo"],
                "unbiased_precision_at_capacity_hi": rate["hi"], "unbiased_precision_at_capacity_n": rate["n"],
                "random_sample_selected": rate["n"]}
    if judged.risky is not None:
        out |= _true_rates(judged, selected, conf)
    return out


def policy_metrics(window: pd.DataFrame, scores: np.ndarray, settings: Settings, lane: str,
                   truth: pd.DataFrame | None = None) -> dict[str, float]:
    """``window_metrics`` of ``scores`` over a window held whole (every item of its days)."""
    return window_metrics(judge([window], {"policy": lambda _: scores}, settings, lane, truth), "policy", settings)


def _true_rates(judged: JudgedWindow, selected: np.ndarray, confidence: float) -> dict[str, float]:
    """With the simulator's truth: the true hit rate (Wilson interval) and recall of the picks."""
    if not judged.n_known:
        return {}
    r = judged.risky
    sel = selected & ~np.isnan(r)
    return with_interval("true_hit_rate_at_capacity", float(r[sel].sum()), int(sel.sum()), confidence) | {
        "true_recall_at_capacity": float(r[sel].sum() / judged.n_risky) if judged.n_risky > 0 else float("nan")}


def random_policy(seed: int) -> Policy:
    """Uniform random scores drawn from one stream batch after batch: over a window's days in order, the
    same numbers as one draw for the whole window."""
    rng = np.random.default_rng([seed, 7919])
    return lambda batch: rng.random(len(batch))


def random_scores(window: pd.DataFrame, seed: int) -> np.ndarray:
    return random_policy(seed)(window)


def rule_policy(truth: pd.DataFrame | None, seed: int) -> Policy | None:
    """The historic rule policy as a ranking: rule-flagged items first, random within each group.
    None where the rule policy is not known (real data has no truth file)."""
    if truth is None or not len(truth):
        return None
    flags, noise = truth.set_index("item_id")["rule_selected"], random_policy(seed + 1)
    return lambda batch: batch["item_id"].map(flags).fillna(False).astype(float).to_numpy() + 0.5 * noise(batch)


def rule_scores(window: pd.DataFrame, truth: pd.DataFrame | None, seed: int) -> np.ndarray | None:
    policy = rule_policy(truth, seed)
    return policy(window) if policy is not None else None


def model_policy(model, features: list[str]) -> Policy:
    return lambda batch: predict(model, batch, features)


def validation_metrics(lane: str, settings: Settings, model, features: list[str], valid: pd.DataFrame,
                       judged: JudgedWindow) -> dict[str, float]:
    """The training run's metrics: the DATE measures on the labelled validation rows and on their audit
    rows, the policy at capacity over every item of the window (``judged`` holds its "model" policy)
    and, with an oracle, the true measures."""
    y_valid = valid["label"].to_numpy()
    valid_scores = predict(model, valid, features)
    metrics = ranking_metrics(y_valid, valid_scores, ids=valid["item_id"])
    audit = valid["is_audit"].fillna(False).astype(bool).to_numpy()
    if audit.sum() >= MIN_AUDIT_ROWS and y_valid[audit].sum() > 0:
        metrics |= ranking_metrics(y_valid[audit], valid_scores[audit], ids=valid["item_id"][audit], prefix="audit_")
    metrics |= oracle_metrics(lane, settings, judged)
    window = window_metrics(judged, "model", settings)
    return metrics | {k: v for k, v in window.items() if k not in metrics}


def oracle_metrics(lane: str, settings: Settings, judged: JudgedWindow) -> dict[str, float]:
    """With an oracle only: the true hit rate at capacity over every item of the validation window,
    labelled or not, beside random and the rules, and which planted patterns the picks find (logged as
    ``patterns_found.json`` and a plot). The picks are ``judged``'s oracle policy's among the items
    with truth."""
    if get_oracle(settings) is None or judged.truth is None or not judged.n_known:
        return {}
    oracle, truth, picks = get_oracle(settings), judged.truth, judged.oracle_picks
    patterns = oracle.pattern_recall(truth, picks)
    _log_patterns(lane, patterns, judged.days)
    rates = oracle.policy_hit_rates(truth, picks)
    counts = {"model": len(picks), "random": len(truth), "rule": int(truth["rule_selected"].sum())}
    for policy, n in counts.items():
        name = f"true_hit_rate_{policy}"
        if name in rates and n:
            rates |= with_interval(name, round(rates[name] * n), n, settings.confidence)
    return (rates | {"true_items": float(len(truth)), "true_selected_model": float(len(picks))}
            | {f"true_recall_pattern_{p}": v["recall_model"] for p, v in patterns.items()})


def _log_patterns(lane: str, patterns: dict[str, dict[str, float]], days: list) -> None:
    import mlflow

    mlflow.log_dict({"window": f"{days[0]}..{days[-1]}", "patterns": patterns}, "patterns_found.json")
    log_figures({"plots/patterns_found.png": plot_patterns(lane, patterns, days)})
