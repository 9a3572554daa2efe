"""Hand-computed cases for the detection metrics: the numbers every model decision rests on."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.metrics import auc, precision_recall_at_k, rank_order, ranking_metrics, top_k_count, true_hit_rate

Y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
S = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]


@pytest.mark.parametrize(
    ("n", "k", "expected"),
    [(100, 1, 1), (150, 1, 2), (10, 5, 1), (1000, 2, 20), (100, 7, 7), (0, 5, 0), (3, 100, 3)],
)
def test_top_k_count_is_ceil_of_share(n, k, expected):
    assert top_k_count(n, k) == expected


def test_precision_and_recall_at_k():
    assert precision_recall_at_k(Y, S, 10) == (1.0, pytest.approx(1 / 3))   # top 1: a hit
    assert precision_recall_at_k(Y, S, 20) == (0.5, pytest.approx(1 / 3))   # top 2: hit, miss
    p, r = precision_recall_at_k(Y, S, 30)                                   # top 3: 2 hits of 3 positives
    assert (p, r) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    p, r = precision_recall_at_k(Y, S, 100)
    assert (p, r) == (pytest.approx(0.3), 1.0)


def test_ties_are_broken_by_id_then_position():
    y, s = [0, 1, 0], [0.5, 0.5, 0.5]
    assert precision_recall_at_k(y, s, 10, ids=["c", "a", "b"])[0] == 1.0    # "a" first
    assert precision_recall_at_k(y, s, 10)[0] == 0.0                         # position 0 first
    assert precision_recall_at_k(y, s, 34, ids=["c", "a", "b"])[0] == 0.5    # ceil(1.02) = 2: a, b
    assert list(rank_order([0.2, np.nan, 0.9])) == [2, 0, 1]                  # NaN last


def test_recall_without_positives_is_nan_and_empty_is_nan():
    p, r = precision_recall_at_k([0, 0, 0], [0.3, 0.2, 0.1], 10)
    assert p == 0.0 and math.isnan(r)
    assert all(math.isnan(v) for v in precision_recall_at_k([], [], 5))


def test_auc_hand_computed():
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert auc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert math.isnan(auc([1, 1], [0.2, 0.3]))


def test_ranking_metrics_names_and_prefix():
    m = ranking_metrics(Y, S, prefix="audit_")
    assert set(m) == {f"audit_{kind}_at_{k}pct" for kind in ("precision", "recall") for k in (1, 2, 5, 10)} | {"audit_auc"}
    assert m["audit_precision_at_10pct"] == 1.0                               # ceil(10 % of 10) = 1
    assert m["audit_auc"] == pytest.approx(auc(Y, S))


def test_true_hit_rate():
    truth = pd.DataFrame({"item_id": list("abcde"), "is_risky": [True, False, True, False, False]})
    assert true_hit_rate(["a", "b"], truth) == 0.5
    assert true_hit_rate(["a", "c"], truth.set_index("item_id")["is_risky"]) == 1.0
    assert math.isnan(true_hit_rate([], truth))
    with pytest.raises(KeyError, match="no truth row"):
        true_hit_rate(["a", "zz"], truth)
