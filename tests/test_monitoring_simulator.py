"""The simulator can drift (issue 15, point 6): from a given day the world changes, earlier days stay
exactly as they were, and the population stability index that monitoring uses sees the change."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from monitoring.drift import psi
from simworld.simulator import Drift, load_truth, simulate_day
from simworld.simulator.drift import NEW_ROUTE_COUNTRY

DAY = dt.date(2026, 3, 2)
SCALE = 0.002


def _shipments(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str)


def test_unknown_drift_kind_is_refused():
    with pytest.raises(ValueError, match="drift kind must be one of new_route"):
        Drift(DAY, "earthquake")


def test_new_route_changes_the_world_from_its_day_and_psi_flags_it(settings, tmp_path):
    before = simulate_day(DAY, settings, SCALE)
    plain = {source: path.read_bytes() for source, path in before.items()}
    drift = Drift(DAY + dt.timedelta(days=1), "new_route")
    assert {s: p.read_bytes() for s, p in simulate_day(DAY, settings, SCALE, drift).items()} == plain
    reference = _shipments(before["shipments"])
    after = simulate_day(DAY + dt.timedelta(days=1), settings, SCALE, drift)
    drifted = _shipments(after["shipments"])
    share = (drifted["origin_country"] == NEW_ROUTE_COUNTRY).mean()
    assert (reference["origin_country"] != NEW_ROUTE_COUNTRY).all() and 0.05 < share < 0.12
    truth = load_truth(settings)
    new_route = truth[(truth["pattern"] == "new_route") & (truth["lane"] == "express")]
    assert len(new_route) > 0 and (new_route["item_date"] == DAY + dt.timedelta(days=1)).all()
    assert not new_route["rule_selected"].any() or new_route["rule_selected"].mean() < 0.2
    assert psi(reference["origin_country"], drifted["origin_country"]) > 0.25
    # A day without drift has a stable origin mix (the same world, another day).
    quiet = _shipments(simulate_day(DAY + dt.timedelta(days=2), settings, SCALE)["shipments"])
    assert psi(reference["origin_country"], quiet["origin_country"]) < 0.1


@pytest.mark.parametrize("kind", ["hs_mix", "new_concealment"])
def test_goods_drifts_change_the_hs_codes(settings, kind):
    drift = Drift(DAY, kind)
    plain = _shipments(simulate_day(DAY, settings, SCALE)["shipments"])
    changed = _shipments(simulate_day(DAY, settings, SCALE, drift)["shipments"])
    moved = (plain["hs6"] != changed["hs6"]).mean()
    assert moved > (0.1 if kind == "hs_mix" else 0.0)
    assert (plain["waybill_id"] == changed["waybill_id"]).all()
