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


def exploration_expected(cap: np.ndarray, size: np.ndarray, share: float, min_propensity: float) -> np.ndarray:
    """Expected exploration draws per group: ``share`` of its capacity, raised so that every item the
    model leaves has at least ``min_propensity`` chance, never more than the capacity. 0 when off."""
    if share <= 0:
        return np.zeros(len(cap))
    return np.minimum(cap, np.maximum(share * cap, min_propensity * size)).astype(float)


def inclusion_probability(rank: np.ndarray, size: np.ndarray, cap: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Each item's marginal probability of selection when the exploration count is ``expected`` rounded
    at random (down with probability 1 - frac, up with frac) and the draws are uniform among the items
    the model left. Ranks up to cap - ceil(expected) are always model picks; the one rank that is a
    model pick only when rounding down also has the exploration chance of the other case."""
    low = np.floor(expected + _EPS)
    frac = np.clip(expected - low, 0.0, 1.0)
    high = np.where(frac > _EPS, low + 1, low)
    pool_down, pool_up = size - (cap - low), size - (cap - high)
    p_down = np.divide(low, pool_down, out=np.zeros(len(rank)), where=pool_down > 0)
    p_up = np.divide(high, pool_up, out=np.zeros(len(rank)), where=pool_up > 0)
    explore = (1 - frac) * p_down + frac * p_up
    always = rank <= cap - high
    swing = ~always & (rank <= cap - low)
    return np.where(always, 1.0, np.where(swing, (1 - frac) + frac * p_up, explore))


def _draw_exploration(groups: dict, rank: np.ndarray, cap: np.ndarray, expected: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(model pick, exploration pick) per row: per group, round the expected count at random, give the
    model the rest of the capacity and draw the exploration items uniformly among what it left."""
    model_pick = np.zeros(len(rank), dtype=bool)
    explore_pick = np.zeros(len(rank), dtype=bool)
    for _, idx in groups.items():
        first = idx[0]
        if expected[first] <= 0:
            model_pick[idx[rank[idx] <= cap[first]]] = True
            continue
        low = math.floor(expected[first] + _EPS)
        k = low + int(rng.random() < expected[first] - low)
        n_model = int(cap[first]) - k
        in_model = rank[idx] <= n_model
        model_pick[idx[in_model]] = True
        if k > 0:
            explore_pick[rng.choice(idx[~in_model], size=k, replace=False)] = True
    return model_pick, explore_pick


def _ranked(scored: pd.DataFrame, groups: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows sorted by group (in key order), then score from the highest (missing last), ties to the
    smaller item_id; and each row's group number. Sorting numbers, not strings: the rows are put in
    item_id order first (scoring's rows arrive in it) and the sort by (group, -score) keeps that order."""
    if not scored["item_id"].is_monotonic_increasing:
        scored = scored.sort_values("item_id", kind="stable")
    group = scored.groupby(groups, sort=True, dropna=False).ngroup().to_numpy()
    by_score = np.argsort(-scored["score"].to_numpy(dtype=float), kind="stable")
    order = by_score[np.argsort(group[by_score], kind="stable")]
    return scored.iloc[order].reset_index(drop=True), group[order]


def select_within_offices(
    scored: pd.DataFrame,
    capacity_share: float,
    exploration_share: float = 0.0,
    rng: np.random.Generator | None = None,
    group_by: tuple[str, ...] = ("office_id",),
    office_capacity: Mapping[str, int | float] | None = None,
    min_propensity: float = 0.0,
) -> pd.DataFrame:
    """Rank within each group and select. Needs columns ``item_id``, ``score`` and ``group_by``.

    Adds ``rank`` (1 = highest score; ties to the smaller item_id), ``selected``, ``why``
    ('model' | 'exploration' | None) and ``propensity``: each item's marginal probability of selection
    under the policy (``inclusion_probability``). With exploration on (``rng`` given, share > 0) the
    expected exploration count ``share x capacity`` (at least ``min_propensity`` of the group's items)
    is rounded at random per group, so an office with capacity 9 still explores 0.9 items a day on
    average and every item with a capacity above 0 has a known propensity > 0.

    ``office_capacity`` overrides the share for the offices it names: an int is a count per group
    (capped at the group's size), a float a share of it.
    """
    out, group = _ranked(scored, list(group_by))
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, len(group)])
    size = np.repeat(sizes, sizes)
    rank = np.arange(len(group), dtype=np.int64) - np.repeat(starts, sizes) + 1
    out["rank"] = rank
    cap = group_capacity(size, out["office_id"].to_numpy() if office_capacity and "office_id" in out else None,
                         capacity_share, office_capacity)
    expected = exploration_expected(cap, size, exploration_share if rng is not None else 0.0, min_propensity)
    if rng is not None and expected.any():
        indices = {g: np.arange(start, start + n) for g, (start, n) in enumerate(zip(starts, sizes))}
        model_pick, explore_pick = _draw_exploration(indices, rank, cap, expected, rng)
    else:
        model_pick, explore_pick = rank <= cap, np.zeros(len(out), dtype=bool)
    out["selected"] = model_pick | explore_pick
    why = np.full(len(out), None, dtype=object)
    why[model_pick], why[explore_pick] = "model", "exploration"
    out["why"] = pd.Series(why, index=out.index, dtype=object)
    out["propensity"] = inclusion_probability(rank, size, cap, expected)
    return out
