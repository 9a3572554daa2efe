"""Vectorised helpers for identifiers and draws, so no generator needs a per-row Python loop."""
from __future__ import annotations

import datetime as dt

import numpy as np

_ALNUM = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def scramble(index: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """A bijection of [0, modulus) when gcd(multiplier, modulus) = 1: unique indices give unique,
    random-looking codes. Pools stay below 10**7, so index * multiplier fits int64 for multipliers < 9e11."""
    index = np.asarray(index, dtype=np.int64)
    return (index * multiplier + offset) % modulus


def digits(values: np.ndarray, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(values, dtype=np.int64).astype(str), width)


def base36(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width upper-case alphanumeric codes, like the KCS declarant/importer/seller ids."""
    values = np.asarray(values, dtype=np.int64)
    out = np.full(values.shape, "", dtype=f"<U{width}")
    for _ in range(width):
        out = np.strings.add(_ALNUM[values % 36], out)
        values = values // 36
    return out


def day_ids(prefix: str, day: dt.date, n: int, width: int = 7) -> np.ndarray:
    """Ids unique across days: prefix + YYYYMMDD + a zero-padded sequence number."""
    if n >= 10 ** width:
        raise ValueError(f"{n} rows do not fit a {width}-digit sequence")
    return np.strings.add(f"{prefix}{day:%Y%m%d}", digits(np.arange(n), width))


def pick(rng: np.random.Generator, mapping: dict, n: int) -> np.ndarray:
    keys = np.array(list(mapping))
    weights = np.array(list(mapping.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=weights / weights.sum())]


def weighted_index(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Draw with replacement from a pool given its cumulative weights (O(n log pool), no pool-sized copy)."""
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(cdf) - 1)


def weighted_sample_without_replacement(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Efraimidis-Spirakis: each pool member at most once (a traveller arrives once a day)."""
    n = min(n, int((weights > 0).sum()))
    keys = np.log(rng.random(len(weights))) / np.where(weights > 0, weights, np.nan)
    keys = np.nan_to_num(keys, nan=-np.inf)
    chosen = np.argpartition(-keys, n - 1)[:n] if n else np.array([], dtype=np.int64)
    return rng.permutation(np.sort(chosen))


def lognormal_around(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(median, dtype=float) * np.exp(rng.normal(0.0, sigma, np.shape(median)))


def timestamps(day: dt.date, seconds: np.ndarray) -> np.ndarray:
    """ISO 'YYYY-MM-DDTHH:MM:SS' strings, clipped into the day."""
    seconds = np.clip(np.asarray(seconds, dtype=np.int64), 0, 86_399)
    base = np.datetime64(day.isoformat(), "s")
    return np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")


def plant_patterns(rng: np.random.Generator, target, order: np.ndarray, used: int, rates: dict[str, float],
                   planters: tuple) -> int:
    """Give each planted pattern its binomial share of the day's items in turn, taken from the shuffled
    ``order`` after the first ``used``; returns how many items carry a pattern now."""
    n = len(order)
    for name, planter in planters:
        k = min(int(rng.binomial(n, rates[name])), n - used)
        planter(target, order[used: used + k])
        used += k
    return used
