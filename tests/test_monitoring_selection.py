"""Point 1 of the monitoring issue: with exploration on, every item has a known chance > 0 of being
inspected, the logged propensity is that chance, and the inverse-propensity estimate of the hit rate
of all traffic is unbiased for every office on the simulated world."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from synthetic_world import LANE, OFFICES, START

from core.intervals import horvitz_thompson_rate
from ml.oracle import get_oracle
from ml.selection import select_within_offices, selection_rng


def _offices(sizes: dict[str, int]) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [(f"{o}{i:04d}", o) for o, n in sizes.items() for i in range(n)]
    return pd.DataFrame(rows, columns=["item_id", "office_id"]).assign(score=rng.random(len(rows)))


def test_small_offices_explore_and_logged_propensity_is_the_inclusion_frequency():
    scored = _offices({"BIG": 400, "GEX": 90, "ONE": 30})
    caps = {"GEX": 9, "ONE": 1}          # 0.1 x 9 = 0.9 exploration draws a day: floor() gave none
    draws = 600
    counts = np.zeros(len(scored))
    first = None
    for r in range(draws):
        out = select_within_offices(scored, 0.03, 0.1, rng=np.random.default_rng([5, r]), office_capacity=caps,
                                    min_propensity=0.001).set_index("item_id").loc[scored["item_id"]]
        counts += out["selected"].to_numpy()
        first = out if first is None else first
        assert out.groupby("office_id")["selected"].sum().to_dict() == {"BIG": 12, "GEX": 9, "ONE": 1}
    propensity = first["propensity"].to_numpy()
    assert (propensity >= 0.001).all() and (propensity <= 1).all()
    # The logged propensity is each item's observed selection frequency over many days.
    se = np.sqrt(propensity * (1 - propensity) / draws)
    assert np.all(np.abs(counts / draws - propensity) <= 4.5 * se + 1e-12)
    # Propensities add up to the capacity: nothing is claimed that the policy does not spend.
    assert first.groupby("office_id")["propensity"].sum().round(9).to_dict() == {"BIG": 12, "GEX": 9, "ONE": 1}


def test_exploration_off_logs_model_picks_only():
    out = select_within_offices(_offices({"A": 100}), 0.1)
    assert set(out["propensity"]) == {0.0, 1.0} and (out["why"].dropna() == "model").all()


def test_ipw_hit_rate_of_all_traffic_is_unbiased_per_office_on_the_simulator(world):
    """Live scores of a trained champion on the simulated world, the oracle's truth as outcomes: over
    many seeded days the Horvitz-Thompson estimate per office averages to the true hit rate of the
    office's whole traffic, and its interval covers the truth about as often as it claims."""
    from customs_risk.stages import train
    from ml.features import load_features, predict, signature_inputs
    from ml.registry import CHAMPION, current_alias

    import mlflow

    train(LANE, world, trials=0)
    days = [START + timedelta(days=d) for d in (10, 11, 12)]
    rows = load_features(LANE, world)
    rows = rows[rows["item_date"].isin(days)]
    ref = current_alias(world, world.model_name(LANE), CHAMPION)
    scored = rows[["item_id", "item_date", "office_id"]].assign(
        score=predict(mlflow.xgboost.load_model(ref.uri), rows, signature_inputs(ref)))
    truth = get_oracle(world).truth(LANE, days).set_index("item_id")["is_risky"].astype(float)
    offices = scored["office_id"].to_numpy()
    true = {o: float(truth.loc[scored["item_id"][offices == o]].mean()) for o in OFFICES}
    draws = 100
    estimates, covered = {o: [] for o in OFFICES}, {o: 0 for o in OFFICES}
    for r in range(draws):
        out = select_within_offices(scored, 0.05, 0.2, rng=selection_rng(r, LANE, days[0]),
                                    group_by=("item_date", "office_id"), min_propensity=0.01)
        y = truth.loc[out["item_id"]].to_numpy()
        for office in OFFICES:
            mine = (out["office_id"] == office).to_numpy()
            picked = mine & out["selected"].to_numpy()
            est = horvitz_thompson_rate(y[picked], out["propensity"].to_numpy()[picked], int(mine.sum()))
            estimates[office].append(est["value"])
            covered[office] += est["lo"] <= true[office] <= est["hi"]
    for office in OFFICES:
        values = np.array(estimates[office])
        assert abs(values.mean() - true[office]) <= 3.5 * values.std(ddof=1) / np.sqrt(draws), (office, values.mean())
        assert covered[office] / draws >= 0.85, (office, covered[office])
