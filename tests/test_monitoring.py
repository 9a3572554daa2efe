"""Daily monitoring (issue 15): drift and volumes against the champion's training window, weekly hit
rates with intervals, the monitoring tables, the HTML report, the champion's metrics over time, the
baselines side by side in MLflow, and a drifting world that is flagged and retrained on."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from synthetic_world import LANE, NEW_DAY, START, build_world

from core.warehouse import Warehouse
from customs_risk.stages import monitor, promote, score, train
from ml.oracle import get_oracle
from ml.retrain_policy import retrain_decision
from monitoring.drift import psi
from simworld.truth import truth_dir
from test_offline_pages import scan


def _client(s):
    from mlflow import MlflowClient

    return MlflowClient(s.mlflow_tracking_uri, s.mlflow_tracking_uri)


def _rewrite_world(s, **kwargs) -> None:
    features, truths = build_world(**kwargs)
    wh = Warehouse(s)
    wh.execute(f"drop table if exists marts.fct_{LANE}_features")
    wh.replace_partition("marts", f"fct_{LANE}_features", features, {})
    for day, truth in truths.items():
        truth.to_parquet(truth_dir(s) / f"{day.isoformat()}.parquet")


def _answer_picks(s, selection: pd.DataFrame, truth: pd.Series) -> None:
    """Label the day's picks with their true outcome and the reason they were picked."""
    wh = Warehouse(s)
    frame = wh.query_df(f"select * from marts.fct_{LANE}_features")
    picked = selection[selection["selected"]].set_index("item_id")
    rows = frame["item_id"].isin(picked.index)
    frame.loc[rows, "label"] = truth.loc[frame.loc[rows, "item_id"]].astype(int).to_numpy()
    frame.loc[rows, "selection_reason"] = picked.loc[frame.loc[rows, "item_id"], "why"].to_numpy()
    wh.execute(f"drop table marts.fct_{LANE}_features")
    wh.replace_partition("marts", f"fct_{LANE}_features", frame, {})


def test_psi_is_zero_for_the_same_sample_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.normal(size=5000))
    assert psi(ref, ref) == pytest.approx(0.0, abs=1e-12)
    assert psi(ref, pd.Series(rng.normal(size=2000))) < 0.05
    assert psi(ref, pd.Series(rng.normal(1.0, 1.0, size=2000))) > 0.25
    cats = pd.Series(rng.choice(list("abc"), 3000)).astype("category")
    assert psi(cats, pd.Series(["d"] * 500).astype("category")) > 1.0     # unseen category


def test_monitor_a_quiet_day_writes_tables_report_and_champion_metrics(world, tmp_path):
    trained = train(LANE, world, trials=0)
    # Baselines in plain sight: model, random and rules as sibling runs sharing one comparison tag.
    client = _client(world)
    experiment = client.get_run(trained["run_id"]).info.experiment_id
    comparison = client.get_run(trained["run_id"]).data.tags["comparison"]
    side = client.search_runs([experiment], f"tags.comparison = '{comparison}'")
    assert {r.data.tags["policy"] for r in side} == {"model", "random", "rule"}
    assert not any("mlflow.parentRunId" in r.data.tags for r in side)
    from customs_risk.demo_summary import champion_metrics

    assert set(champion_metrics(world)[LANE]["compared_runs"]) == {r.info.run_id for r in side}
    for run in side:
        m = run.data.metrics
        assert m["precision_at_capacity_lo"] <= m["precision_at_capacity"] <= m["precision_at_capacity_hi"]
        assert m["precision_at_capacity_n"] > 0 and "true_hit_rate_at_capacity_hi" in m

    day = START + timedelta(days=12)
    scored = score(LANE, day, world)
    summary = scored["html"].read_text()
    assert "How good is this champion" in summary
    assert re.search(r"<td>precision_at_capacity</td><td>[0-9.]+</td>\s*<td>\[[0-9.]+, [0-9.]+\]</td>", summary)
    result = monitor(LANE, day, world)
    assert result["level"] == "ok", result["warnings"]
    wh = Warehouse(world)
    drift = wh.query_df("select * from monitoring.feature_drift where lane = ? and day = ?", [LANE, day])
    assert set(drift["name"]) == set(trained["features"]) | {"score"} and (drift["psi"] < 0.1).all()
    volume = wh.query_df("select * from monitoring.office_volume where lane = ? and day = ?", [LANE, day])
    assert set(volume["level"]) == {"ok"} and volume["items"].sum() == 400
    weekly = wh.query_df("select * from monitoring.hit_rate where lane = ? and day = ?", [LANE, day])
    assert {"rule", "audit"} <= set(weekly["kind"])
    assert ((weekly["lo"] <= weekly["rate"]) & (weekly["rate"] <= weekly["hi"])).all()

    # Outcomes of the day's own picks return (the inspectors answer from the truth): the hit rate of
    # model and exploration picks, and of all traffic by inverse propensity, whose interval holds the truth.
    truth = get_oracle(world).truth(LANE, [day]).set_index("item_id")["is_risky"]
    _answer_picks(world, wh.query_df("select * from scoring.daily_selection where lane = ? and item_date = ?",
                                     [LANE, day]), truth)
    monitor(LANE, day, world)
    weekly = wh.query_df("select * from monitoring.hit_rate where lane = ? and day = ?", [LANE, day])
    ipw = weekly[weekly["kind"] == "all_traffic_ipw"].iloc[0]
    assert {"model", "exploration"} <= set(weekly["kind"]) and ipw["n"] == scored["selected"]
    assert ipw["lo"] <= truth.mean() <= ipw["hi"] and ipw["note"].startswith("outcomes for 100%")
    html = result["html"].read_text()
    assert "data:image/png;base64," in html and not re.search(r"(src|href)=\"https?://", html)
    assert scan(result["html"].parent) == {}        # the offline-pages scanner: nothing fetched from elsewhere
    assert "no finding" in html.lower() or "No finding" in html
    # Metrics over time on the champion's run, step = the day's ordinal; a rerun replaces, not adds. The
    # rerun is the command in a process of its own, as a monitoring task runs under the scheduler: it must
    # find the registry by itself (it once opened a new, empty MLflow store in its working directory).
    fresh = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}   # set_tracking_uri exports it
    done = subprocess.run([sys.executable, "-m", "customs_risk.cli", "monitor", "--lane", LANE, "--date",
                           day.isoformat()], cwd=tmp_path, env=fresh, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "mlflow.db").exists()
    history = client.get_metric_history(trained["run_id"], "monitor_psi_score")
    assert {h.step for h in history} == {day.toordinal()}
    assert len(wh.query_df("select * from monitoring.drift_flags where lane = ?", [LANE])) == 1


def test_a_drifting_world_is_flagged_and_the_retrain_restores_the_hit_rate(world):
    """A new route from day 8: monitoring flags the moved feature at 'act', the retrain policy asks for
    a retrain, and the retrained champion finds more of the truly risky items than the old one did."""
    from ml.evaluate import policy_metrics
    from ml.features import load_features, predict
    from ml.oracle import truth_for
    from ml.registry import CHAMPION, current_alias

    import mlflow

    _rewrite_world(world, drift_from=8)
    old = train(LANE, world, as_of=START + timedelta(days=7), trials=0)
    # No new outcomes since the champion's window: only drift can ask for a retrain.
    Warehouse(world).replace_partition("intermediate", "int_item_outcomes", pd.DataFrame(
        {"lane": [LANE], "item_id": ["x"], "first_inspection_date": [START]}), {})
    assert retrain_decision(LANE, world)[0] is False
    day = START + timedelta(days=9)
    score(LANE, day, world)
    result = monitor(LANE, day, world)
    assert result["level"] == "act" and any("f_noise_1" in w and "(act)" in w for w in result["warnings"])
    due, why = retrain_decision(LANE, world)
    assert due and why.startswith("drift beyond the act threshold"), why
    assert "act" in result["html"].read_text()

    new = train(LANE, world, trials=0)
    verdict = promote(LANE, world)
    assert verdict["promoted"], verdict["reason"]
    assert "beyond the noise" in verdict["reason"]
    assert not retrain_decision(LANE, world)[1].startswith("drift")   # the flag was on the old champion

    window = load_features(LANE, world, since=START + timedelta(days=12), as_of=NEW_DAY - timedelta(days=1))
    truth = truth_for(world, LANE, sorted(window["item_date"].unique()))
    rates = {}
    for run in (old, new):
        ref = current_alias(world, world.model_name(LANE), CHAMPION) if run is new else None
        model = mlflow.xgboost.load_model(f"models:/{run['model_name']}/{run['model_version']}")
        scores = predict(model, window, run["features"])
        rates[run["model_version"]] = policy_metrics(window, scores, world, LANE, truth)["true_hit_rate_at_capacity"]
    assert ref.version == new["model_version"]
    assert rates[new["model_version"]] > rates[old["model_version"]] + 0.1, rates


def test_an_office_whose_volume_jumps_is_a_watch_not_a_retrain(settings):
    from monitoring.run import triggers
    from monitoring.volume import office_volumes

    days = [START + timedelta(days=d) for d in range(8)]
    rows = [{"item_id": f"{o}{d}{i}", "item_date": day, "office_id": o}
            for d, day in enumerate(days) for o, n in (("A", 100 if d < 7 else 250), ("B", 80))
            for i in range(n)]
    Warehouse(settings).replace_partition("marts", f"fct_{LANE}_features", pd.DataFrame(rows), {})
    volumes = office_volumes(f"marts.fct_{LANE}_features", days[-1], settings).set_index("office_id")
    assert volumes.loc["A", "ratio"] == pytest.approx(2.5) and volumes.loc["A", "level"] == "watch"
    assert volumes.loc["B", "level"] == "ok"
    drift = pd.DataFrame({"name": ["f_x"], "kind": ["feature"], "psi": [0.12], "level": ["watch"]})
    level, warnings = triggers(drift, volumes.reset_index(), settings)
    assert level == "watch" and len(warnings) == 2
    assert any("office A: 250 items vs recent median 100" in w for w in warnings)
