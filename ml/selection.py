"""The daily selection policy: within each office's capacity, mostly the model's top scores plus a
small random exploration share.

Exploration keeps labels coming from items the model would never pick (otherwise the next model only
learns from its own choices), and the logged propensity lets later evaluation reweight those labels.
Shared by scoring and by training's true-hit-rate estimate, so both measure the same policy.
"""
from __future__ import annotations

import math
import zlib
from datetime import date
from typing import Mapping

import numpy as np
import pandas as pd

_EPS = 1e-9


def capacity_count(share: float, n: int) -> int:
    """Items an office can inspect out of n: ceil(share * n), guarded against float noise."""
    if n <= 0 or share <= 0:
        return 0
    return min(n, math.ceil(share * n - _EPS))


def group_capacity(size: np.ndarray, offices: np.ndarray | None, capacity_share: float,
                   office_capacity: Mapping[str, int | float] | None = None) -> np.ndarray:
    """Items to inspect per row's group: ceil(share * size), or an office's own count or share."""
    size = np.asarray(size, dtype=np.int64)
    share = np.full(len(size), float(capacity_share))
    count = np.full(len(size), -1, dtype=np.int64)
    for office, value in (office_capacity or {}).items():
        if offices is None:
            break
        mask = offices == office
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            count[mask] = int(value)
        else:
            share[mask] = float(value)
    by_share = np.where(share > 0, np.ceil(share * size - _EPS), 0).astype(np.int64)
    return np.minimum(size, np.where(count >= 0, count, by_share)).astype(np.int64)


def selection_rng(seed: int, lane: str, day: date) -> np.random.Generator:
    """Seeded by (seed, lane, day) with a stable hash: a rerun of a day draws the same items."""
    return np.random.default_rng([seed, zlib.crc32(lane.encode()), day.toordinal()])


def select_within_offices(
    scored: pd.DataFrame,
    capacity_share: float,
    exploration_share: float = 0.0,
    rng: np.random.Generator | None = None,
    group_by: tuple[str, ...] = ("office_id",),
    office_capacity: Mapping[str, int | float] | None = None,
) -> pd.DataFrame:
    """Rank within each group and select. Needs columns ``item_id``, ``score`` and ``group_by``.

    Adds ``rank`` (1 = highest score; ties to the smaller item_id), ``selected``, ``why``
    ('model' | 'exploration' | None) and ``propensity``: each item's probability of selection under
    the policy, 1.0 for model picks and k/m for every other item (k exploration draws among the m
    items the model left), so selected exploration rows carry k/m < 1.

    ``office_capacity`` overrides the share for the offices it names: an int is a count per group
    (capped at the group's size), a float a share of it.
    """
    groups = list(group_by)
    out = scored.sort_values(groups + ["score", "item_id"], ascending=[True] * len(groups) + [False, True],
                             na_position="last", kind="mergesort").reset_index(drop=True)
    out["rank"] = out.groupby(groups, sort=False).cumcount().astype("int64") + 1
    size = out.groupby(groups, sort=False)["item_id"].transform("size").to_numpy()
    cap = group_capacity(size, out["office_id"].to_numpy() if "office_id" in out else None,
                         capacity_share, office_capacity)
    n_explore = np.floor(exploration_share * cap + _EPS).astype(np.int64) if rng is not None else np.zeros_like(cap)
    n_model = cap - n_explore
    rank = out["rank"].to_numpy()
    model_pick = rank <= n_model
    pool = size - n_model
    propensity = np.where(model_pick, 1.0, np.divide(n_explore, pool, out=np.zeros(len(out)), where=pool > 0))
    explore_pick = np.zeros(len(out), dtype=bool)
    if rng is not None and n_explore.any():
        positions = np.arange(len(out))
        for _, idx in out.groupby(groups, sort=True).indices.items():
            k = int(n_explore[idx[0]])
            if k == 0:
                continue
            candidates = positions[idx][~model_pick[idx]]  # already in rank order
            explore_pick[rng.choice(candidates, size=k, replace=False)] = True
    out["selected"] = model_pick | explore_pick
    out["why"] = np.where(model_pick, "model", np.where(explore_pick, "exploration", None))
    out["why"] = out["why"].astype(object).where(out["selected"], None)
    out["propensity"] = propensity
    return out
