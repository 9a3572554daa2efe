"""Detection metrics at the inspection capacity (GUIDE section 8, the DATE paper's measures).

Only the top slice of a ranking is ever inspected, so the measures look at precision and recall in the
top k % rather than at accuracy. Pure numpy/pandas so every stage (train, score, reports) shares them.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

TOP_K_PCTS: tuple[int, ...] = (1, 2, 5, 10)
_EPS = 1e-9  # 0.07 * 100 is 7.000000000000001 in floating point; do not let that round up to 8


def top_k_count(n: int, k_pct: float) -> int:
    """ceil(k % of n): the DATE convention, so even a tiny day inspects at least one item."""
    if n <= 0:
        return 0
    return min(n, max(1, math.ceil(k_pct * n / 100.0 - _EPS)))


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
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties at half credit; NaN with one class."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    n_pos = int((y == 1).sum())
    n_neg = int((y == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


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
