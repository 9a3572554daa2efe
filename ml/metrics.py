"""Detection metrics at the inspection capacity (GUIDE section 8, the DATE paper's measures).

Only the top slice of a ranking is ever inspected, so the measures look at precision and recall in the
top k % rather than at accuracy. Pure numpy/pandas so every stage (train, score, reports) shares them.
"""
from __future__ import annotations

from typing import Iterable, Sequence

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

