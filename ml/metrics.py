"""Detection metrics at the inspection capacity (GUIDE section 8, the DATE paper's measures).

Only the top slice of a ranking is ever inspected, so the measures look at precision and recall in the
top k % rather than at accuracy. Pure numpy/pandas so every stage (train, score, reports) shares them.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ml.selection import capacity_count

TOP_K_PCTS: tuple[int, ...] = (1, 2, 5, 10)


def top_k_count(n: int, k_pct: float) -> int:
    """ceil(k % of n) as at capacity, but at least one item (the DATE convention for a tiny window)."""
    return max(1, capacity_count(k_pct / 100.0, n)) if n > 0 else 0


def rank_order(scores: Sequence[float], ids: Sequence | None = None) -> np.ndarray:
    """Positions sorted best first. Ties go to the smaller id (or earlier position) so a rerun on the
    same data inspects the same items; NaN scores rank last."""
    s = np.asarray(scores, dtype=float)
    key = np.where(np.isnan(s), np.inf, -s)
    tiebreak = np.arange(len(s)) if ids is None else pd.Index(ids).astype(str).to_numpy()
    if ids is not None and len(tiebreak) != len(s):
        raise ValueError(f"{len(s)} scores but {len(tiebreak)} ids")
    return np.lexsort((tiebreak, key))


def precision_recall_at_k(
    y_true: Sequence[int], scores: Sequence[float], k_pct: float, ids: Sequence | None = None
) -> tuple[float, float]:
    """Precision and recall when the top k % by score are inspected; NaN where undefined."""
    y = np.asarray(y_true, dtype=float)
    if len(y) != len(scores):
        raise ValueError(f"{len(y)} labels but {len(scores)} scores")
    n = len(y)
    if n == 0:
        return float("nan"), float("nan")
    top = rank_order(scores, ids)[: top_k_count(n, k_pct)]
    hits = float(y[top].sum())
    positives = float(y.sum())
    precision = hits / len(top)
    recall = hits / positives if positives > 0 else float("nan")
    return precision, recall


def auc(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """ROC AUC (scikit-learn), NaN where it is undefined (one class only). An unscored row (NaN) ranks
    below every scored one, as in ``rank_order``."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    if len(np.unique(y)) < 2:
        return float("nan")
    missing = np.isnan(s)
    if missing.any():
        s = np.where(missing, (np.nanmin(s) - 1.0) if (~missing).any() else 0.0, s)
    return float(roc_auc_score(y, s))


def ranking_metrics(
    y_true: Sequence[int],
    scores: Sequence[float],
    ids: Sequence | None = None,
    ks: Iterable[float] = TOP_K_PCTS,
    prefix: str = "",
) -> dict[str, float]:
    """The metric set logged for every evaluation window, under MLflow-safe names
    (``precision_at_5pct``, ``recall_at_5pct``, ``auc``), optionally prefixed (``audit_``)."""
    out: dict[str, float] = {}
    for k in ks:
        p, r = precision_recall_at_k(y_true, scores, k, ids)
        label = f"{k:g}pct"
        out[f"{prefix}precision_at_{label}"] = p
        out[f"{prefix}recall_at_{label}"] = r
    out[f"{prefix}auc"] = auc(y_true, scores)
    return out


def true_hit_rate(selected_ids: Iterable, truth: pd.DataFrame | pd.Series) -> float:
    """Share of selected items that are truly risky: what no real customs can measure, since an
    inspection can miss and unselected items are never seen. ``truth`` is a frame with ``item_id`` and
    ``is_risky`` or a boolean Series indexed by item_id. An id absent from the truth is an error,
    because it means the truth and the selection come from different worlds. NaN if nothing selected.
    """
    if isinstance(truth, pd.DataFrame):
        truth = truth.set_index("item_id")["is_risky"]
    ids = pd.Index(list(selected_ids))
    if len(ids) == 0:
        return float("nan")
    missing = ids.difference(truth.index)
    if len(missing):
        raise KeyError(f"{len(missing)} selected ids have no truth row, e.g. {list(missing[:3])}")
    return float(truth.loc[ids].astype(bool).mean())


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(hits: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion: honest at a handful of items (7 of 7 hits gives
    [0.65, 1.0], not 1.0), where the normal approximation collapses. (nan, nan) when n is 0."""
    if n <= 0:
        return float("nan"), float("nan")
    z = _z(confidence)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def with_interval(name: str, hits: float, n: float, confidence: float = 0.95) -> dict[str, float]:
    """``name`` (hits / n), ``name_lo``/``name_hi`` (Wilson) and ``name_n``: the MLflow names of a rate."""
    lo, hi = wilson_interval(hits, n, confidence)
    return {name: hits / n if n > 0 else float("nan"), f"{name}_lo": lo, f"{name}_hi": hi, f"{name}_n": float(n)}


def bootstrap_interval(statistic: Callable[[np.ndarray], float], n: int, confidence: float = 0.95,
                       reps: int = 400, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap of ``statistic(rows)`` over ``n`` rows resampled with replacement, for the
    weighted (inverse-propensity) estimates that have no closed-form interval. Seeded: reruns agree."""
    if n <= 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng([seed, n])
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(reps)], dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = 50.0 * (1.0 - confidence)
    return float(np.percentile(values, tail)), float(np.percentile(values, 100.0 - tail))


def weighted_rate(y: np.ndarray, weights: np.ndarray, confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Weighted hit rate sum(w y) / sum(w) of the rows with w > 0, its bootstrap interval and row count."""
    use = weights > 0
    y, w = np.asarray(y, dtype=float)[use], np.asarray(weights, dtype=float)[use]
    if not len(y):
        return {"value": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": 0.0}
    lo, hi = bootstrap_interval(lambda i: float(np.sum(w[i] * y[i]) / np.sum(w[i])), len(y), confidence, seed=seed)
    return {"value": float(np.sum(w * y) / np.sum(w)), "lo": lo, "hi": hi, "n": float(len(y))}


def horvitz_thompson_rate(y: np.ndarray, propensity: np.ndarray, population: int,
                          confidence: float = 0.95) -> dict[str, float]:
    """Hit rate of a whole population of ``population`` items estimated from the inspected ones, each
    weighted by 1 / its selection probability (Horvitz-Thompson: unbiased when every item's chance is
    > 0). Items inspected for sure (p = 1) are counted as they are; the rest, a random sample of the
    remaining traffic, get a Wilson interval on their weighted hit rate with Kish's effective size,
    which stays honest when the sample holds no hit at all."""
    y, p = np.asarray(y, dtype=float), np.asarray(propensity, dtype=float)
    if population <= 0 or not len(y):
        return {"value": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": float(len(y))}
    if (p <= 0).any():
        raise ValueError("an inspected item with propensity 0: the selection policy must log p > 0")
    value = float(np.sum(y / p) / population)
    sure = p >= 1.0 - 1e-9
    rest_items = population - int(sure.sum())
    w, yr = 1.0 / p[~sure], y[~sure]
    if rest_items <= 0 or not len(w):
        lo = hi = value if rest_items <= 0 else float("nan")
    else:
        n_eff = float(np.sum(w) ** 2 / np.sum(w ** 2))
        r_lo, r_hi = wilson_interval(float(np.sum(w * yr) / np.sum(w)) * n_eff, n_eff, confidence)
        known = float(np.sum(y[sure]))
        lo, hi = (known + rest_items * r_lo) / population, (known + rest_items * r_hi) / population
    return {"value": value, "lo": min(lo, value), "hi": max(hi, value), "n": float(len(y))}
