"""The simulator's truth files: read only for evaluation, never for training or selection.

Real data (e.g. the KCS set) has no truth, so every caller must cope with ``None``.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import pandas as pd

from core.settings import Settings


def truth_dir(settings: Settings):
    """What the simulator knows and no customs service does: the true status of every item."""
    return settings.home / "truth"


def load_truth(settings: Settings, lane: str, days: Iterable[date]) -> pd.DataFrame | None:
    """Truth rows of ``lane`` for the given days that have a file; None when no day has one."""
    frames = []
    for day in sorted(set(days)):
        path = truth_dir(settings) / f"{day.isoformat()}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            frames.append(frame[frame["lane"] == lane])
    if not frames:
        return None
    truth = pd.concat(frames, ignore_index=True)
    truth["item_id"] = truth["item_id"].astype(str)
    truth["is_risky"] = truth["is_risky"].astype(bool)
    truth["rule_selected"] = truth["rule_selected"].astype(bool)
    return truth.drop_duplicates("item_id", keep="last")


def policy_hit_rates(truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, float]:
    """True hit rate of the model's picks beside the two baselines a model must beat: random
    inspection (the prevalence) and the historic rule policy."""
    from ml.metrics import true_hit_rate

    rule_ids = truth.loc[truth["rule_selected"], "item_id"]
    return {
        "true_hit_rate_model": true_hit_rate(model_selected_ids, truth),
        "true_hit_rate_random": float(truth["is_risky"].mean()) if len(truth) else float("nan"),
        "true_hit_rate_rule": true_hit_rate(rule_ids, truth),
    }


def pattern_recall(truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, dict[str, float]]:
    """Which planted patterns a selection finds: per pattern, its items and the share of them the model
    and the historic rules pick. ``background`` is risk with no signal, the floor no policy should beat."""
    risky = truth[truth["is_risky"]]
    picked = risky["item_id"].isin(set(map(str, model_selected_ids)))
    out = {}
    for pattern, rows in risky.groupby(risky["pattern"].fillna("unknown"), sort=True):
        mask = rows.index
        out[str(pattern)] = {"items": float(len(rows)),
                             "found_model": float(picked.loc[mask].sum()),
                             "recall_model": float(picked.loc[mask].mean()),
                             "recall_rule": float(rows["rule_selected"].mean())}
    return out
