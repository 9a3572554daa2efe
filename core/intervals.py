"""Intervals for every rate the platform reports: Wilson for plain proportions, a seeded percentile
bootstrap for weighted (inverse-propensity) ones, Horvitz-Thompson for the hit rate of all traffic.

Pure numpy/scipy and below every stage, because training, the gate and monitoring (sibling stages that
must not import each other) all report the same intervals the same way.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(hits: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion: honest at a handful of items (7 of 7 hits gives
    [0.65, 1.0], not 1.0), where the normal approximation collapses. (nan, nan) when n is 0. Takes a
    fractional n (an effective sample size), which scipy's ``binomtest`` does not."""
    if n <= 0:
        return float("nan"), float("nan")
    z = _z(confidence)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0 or n hits the bound is exactly 0 or 1; float noise must not leave it at 0.9999999999999999.
    return (0.0 if hits <= 0 else max(0.0, centre - half)), (1.0 if hits >= n else min(1.0, centre + half))


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
