"""What the risk teams receive: reason codes (exact TreeSHAP) on the selected items, the HTML
summary, per-office capacity (count or share, zero, above traffic); and the loop that turns the
model's own picks into the next training's labels."""
from __future__ import annotations

import dataclasses
import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from synthetic_world import LANE, NEW_DAY

from core.settings import get_settings
from core.warehouse import Warehouse
from customs_risk.stages import score as score_day
from ml.score import reason_codes
from customs_risk.stages import train as train_lane


def test_reasons_on_selected_items_only_and_html_summary(world):
    train_lane(LANE, world, trials=0)
    result = score_day(LANE, NEW_DAY, world)
    table = Warehouse(world).query_df("select * from scoring.daily_selection where item_date = ?", [NEW_DAY])
    assert table.loc[~table["selected"], "reasons"].isna().all()
    picked = table[table["selected"]]
    assert picked["reasons"].notna().all()
    first = picked["reasons"].str.split("; ")
    assert (first.str.len() == 3).all()
    assert first.str[0].str.match(r"^f_\w+=[+-]\d+\.\d\d$").all()
    # The planted signal is what explains the model's top picks.
    top_model = picked[picked["why"] == "model"]["reasons"].str.split("=").str[0]
    assert top_model.isin(["f_route_risk", "f_new_consignee"]).mean() > 0.8
    assert pd.read_parquet(result["all_rows"])["reasons"].notna().sum() == len(picked)
    html = result["html"].read_text()
    assert result["html"] == world.scored_dir / NEW_DAY.isoformat() / f"{LANE}.html"
    assert "Selected per office" in html and "f_route_risk" in html and "IEX" in html


def test_reason_codes_are_exact_treeshap(world):
    import mlflow
    from xgboost import DMatrix

    train_lane(LANE, world, trials=0)
    model = mlflow.xgboost.load_model(f"models:/{world.model_name(LANE)}/1")
    X = pd.DataFrame({"f_route_risk": [0.95, 0.1], "f_new_consignee": [1.0, 0.0],
                      "f_noise_1": [0.0, 0.0], "f_noise_2": [0.0, 0.0]})
    contribs = model.get_booster().predict(DMatrix(X), pred_contribs=True)
    margin = model.get_booster().predict(DMatrix(X), output_margin=True)
    np.testing.assert_allclose(contribs.sum(axis=1), margin, rtol=1e-5, atol=1e-5)
    assert reason_codes(model, X)[0].startswith("f_route_risk=+") or reason_codes(model, X)[0].startswith("f_new_consignee=+")


def test_capacity_per_office_count_share_zero_and_above_traffic(world, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_IEX", "5")        # a count
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_ISE", "0")        # closed today
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_PEX", "10000")    # more than the traffic
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_GEX", "0.25")     # a share
    env = get_settings().office_capacity
    assert env[LANE] == {"IEX": 5, "ISE": 0, "PEX": 10000, "GEX": 0.25}
    s = dataclasses.replace(world, office_capacity=env)
    train_lane(LANE, s, trials=0)
    result = score_day(LANE, NEW_DAY, s)
    cap = result["capacity"]
    assert cap["IEX"]["selected"] == 5 and cap["IEX"]["capacity_kind"] == "count"
    assert cap["ISE"]["selected"] == 0 and "nothing selected" in cap["ISE"]["note"]
    assert cap["PEX"]["selected"] == cap["PEX"]["traffic"] and "above traffic" in cap["PEX"]["note"]
    assert cap["GEX"]["selected"] == int(np.ceil(0.25 * cap["GEX"]["traffic"]))
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_IEX", "lots")
    with pytest.raises(ValueError, match="CAPACITY_EXPRESS_IEX"):
        get_settings()


@pytest.mark.slow
def test_model_picks_become_labels_and_retraining_uses_them(settings, monkeypatch):
    """select -> inspect -> retrain over simulated days, measured against the simulator's truth."""
    from transform.dbt_build import build
    from ingest.load import load_day
    from simworld.simulator import simulate_day
    from simworld.simulator.day import answer_inspections
    from ml.features import load_features

    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    sources = ("declarations", "shipments", "travellers", "cctv_events", "inspections")
    start, n_history, scale = dt.date(2026, 3, 2), 5, 0.003
    clock = time.perf_counter()

    def land(day):
        simulate_day(day, settings, scale=scale)
        for source in sources:
            load_day(source, day, settings)

    for i in range(n_history):
        land(start + dt.timedelta(days=i))
    build(settings)
    first = train_lane(LANE, settings, trials=0)
    wh = Warehouse(settings)
    rates = []
    for i in range(n_history - 1, n_history + 1):
        day, next_day = start + dt.timedelta(days=i), start + dt.timedelta(days=i + 1)
        scored = score_day(LANE, day, settings)
        rates.append(scored["truth"])
        picks = wh.query_df("select lane, item_id, office_id, why as selection_reason from scoring.daily_selection "
                            "where lane = ? and item_date = ? and selected", [LANE, day])
        assert len(picks) > 0
        land(next_day)
        answer_inspections(next_day, picks, settings)
        load_day("inspections", next_day, settings)
        build(settings)
    frame = load_features(LANE, settings)
    by_model = frame[frame["selection_reason"].isin(["model", "exploration"])]
    assert len(by_model) > 0 and by_model["label"].notna().all()
    assert set(by_model["item_date"]) <= {start + dt.timedelta(days=n_history - 1), start + dt.timedelta(days=n_history)}
    retrained = train_lane(LANE, settings, trials=0)
    assert retrained["window"]["train_rows"] > first["window"]["train_rows"]
    assert retrained["dataset_digest"] != first["dataset_digest"]
    model_rows_in_training = by_model[by_model["item_date"] <= dt.date.fromisoformat(retrained["window"]["train_end"])]
    assert len(model_rows_in_training) > 0
    mean = {k: float(np.nanmean([r[k] for r in rates])) for k in rates[0]}
    print(f"\nloop: {time.perf_counter() - clock:.0f} s; model-labelled rows {len(by_model)} "
          f"({int(by_model['label'].sum())} positive); true hit rates over {len(rates)} scored days: {mean}; "
          f"train rows {first['window']['train_rows']} -> {retrained['window']['train_rows']}")
    assert mean["true_hit_rate_model"] > mean["true_hit_rate_random"]
