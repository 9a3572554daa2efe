"""Population stability of every feature and of the score: how far the day's traffic moved from the
champion's training window. PSI = sum (cur - ref) ln(cur / ref) over bins; 0.1 watch, 0.25 act."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.settings import Settings

BINS = 10
# A bin empty on one side would make ln(0): both shares are floored at this (the usual correction).
MIN_SHARE = 1e-4


def psi_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two histograms over the same bins; NaN when either side is empty."""
    ref, cur = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    if ref.sum() <= 0 or cur.sum() <= 0:
        return float("nan")
    p, q = np.maximum(ref / ref.sum(), MIN_SHARE), np.maximum(cur / cur.sum(), MIN_SHARE)
    return float(np.sum((q - p) * np.log(q / p)))


def psi(reference: pd.Series, current: pd.Series, bins: int = BINS) -> float:
    """PSI of one column: numeric columns on the reference's deciles (missing values a bin of their
    own), categorical ones on their categories (unseen ones together)."""
    if not pd.api.types.is_numeric_dtype(reference.dtype) or pd.api.types.is_bool_dtype(reference.dtype):
        ref, cur = reference.astype(object).fillna("<missing>"), current.astype(object).fillna("<missing>")
        cats = pd.Index(ref.unique())
        cur = cur.where(cur.isin(cats), "<unseen>")
        ref_counts = ref.value_counts().reindex(cats.append(pd.Index(["<unseen>"])), fill_value=0)
        return psi_from_counts(ref_counts.to_numpy(), cur.value_counts().reindex(ref_counts.index, fill_value=0).to_numpy())
    r, c = reference.to_numpy(dtype=float, na_value=np.nan), current.to_numpy(dtype=float, na_value=np.nan)
    finite = r[np.isfinite(r)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))) if len(finite) else np.array([0.0])
    inner = edges[1:-1]

    def hist(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        counts = np.bincount(np.searchsorted(inner, x[ok], side="right"), minlength=len(inner) + 1)
        return np.append(counts, (~ok).sum())

    return psi_from_counts(hist(r), hist(c))


def level(value: float, settings: Settings) -> str:
    """'act', 'watch' or 'ok' for a PSI under the settings' thresholds."""
    if not np.isfinite(value):
        return "ok"
    return "act" if value >= settings.psi_act else "watch" if value >= settings.psi_watch else "ok"


def drift_table(reference: pd.DataFrame, day: pd.DataFrame, features: list[str], settings: Settings) -> pd.DataFrame:
    """One row per feature and one for ``score``: its PSI and trigger level, worst first."""
    rows = [{"name": name, "kind": "score" if name == "score" else "feature",
             "psi": psi(reference[name], day[name]) if len(day) else float("nan")}
            for name in [*features, "score"]]
    out = pd.DataFrame(rows)
    out["level"] = [level(v, settings) for v in out["psi"]]
    return out.sort_values("psi", ascending=False, na_position="last", kind="mergesort").reset_index(drop=True)
