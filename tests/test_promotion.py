"""The gate between training and scoring: challenger vs champion on the same out-of-time window,
verdicts as model-version tags, idempotent promotion, rollback, the CLI and the DAG's skip."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from synthetic_world import LANE, build_world

from core.warehouse import Warehouse
from ml.deploy import PREVIOUS, promote
from ml.gate import validate_challenger
from ml.registry import ModelNotFoundError
from customs_risk.stages import train as train_lane


def _client(s):
    from mlflow import MlflowClient

    return MlflowClient(s.mlflow_tracking_uri, s.mlflow_tracking_uri)


def mlflow_load_dict(run_id: str, path: str, s) -> dict:
    import mlflow

    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/{path}")


def _aliases(s) -> dict[str, int]:
    return {a: int(v) for a, v in _client(s).get_registered_model(s.model_name(LANE)).aliases.items()}


def test_gate_passes_equal_model_then_promote_is_idempotent_and_rollback_restores(world, monkeypatch):
    import ml.train

    # The small world's inner window holds ~30 positives; let the search and early stopping run anyway.
    monkeypatch.setattr(ml.train, "MIN_STOP_POSITIVES", 10)
    first = train_lane(LANE, world, trials=2)
    assert first["promoted"] and _aliases(world) == {"champion": 1, "challenger": 1}
    # Baselines sit beside the model run, same metric names; plots are artifacts.
    runs = _client(world).search_runs([_client(world).get_run(first["run_id"]).info.experiment_id])
    stages = {r.data.tags.get("stage") for r in runs}
    assert {"train", "baseline", "search"} <= stages
    policies = {r.data.tags.get("policy") for r in runs if r.data.tags.get("stage") == "baseline"}
    assert policies == {"random", "rule"}            # no champion existed yet
    artifacts = {a.path for a in _client(world).list_artifacts(first["run_id"], "plots")}
    assert artifacts == {"plots/pr_curve.png", "plots/feature_importance.png", "plots/patterns_found.png"}
    # The planted patterns the model finds at capacity, beside the rules, from the simulator's truth.
    found = mlflow_load_dict(first["run_id"], "patterns_found.json", world)["patterns"]
    assert set(found) == {"route"} and found["route"]["items"] > 0
    assert first["metrics"]["true_recall_pattern_route"] == found["route"]["recall_model"]
    assert any(k.startswith("precision_at_capacity_office_") for k in first["metrics"])
    assert first["baselines"]["random"]["true_hit_rate_at_capacity"] < first["metrics"]["true_hit_rate_at_capacity"]

    second = train_lane(LANE, world, trials=2)
    assert not second["promoted"] and _aliases(world) == {"champion": 1, "challenger": 2}
    assert "champion_v1" in second["baselines"]
    verdict = validate_challenger(LANE, world)
    assert verdict["passed"], verdict["reason"]
    assert verdict["checks"] == {"signature": True, "vs_champion": True, "vs_rule": True}
    tags = _client(world).get_model_version(world.model_name(LANE), "2").tags
    assert tags["gate.decision"] == "pass" and tags["gate.champion_version"] == "1"
    assert float(tags["gate.challenger_precision_at_capacity"]) == pytest.approx(
        float(tags["gate.champion_precision_at_capacity"]))

    done = promote(LANE, world)
    assert done["promoted"] and _aliases(world) == {"champion": 2, "challenger": 2, PREVIOUS: 1}
    again = promote(LANE, world)
    assert not again["promoted"] and "already" in again["note"]
    assert _aliases(world) == {"champion": 2, "challenger": 2, PREVIOUS: 1}

    back = promote(LANE, world, rollback=True)
    assert back["champion_version"] == 1 and _aliases(world) == {"champion": 1, "challenger": 2}
    assert _client(world).get_model_version(world.model_name(LANE), "2").tags["gate.rolled_back"] == "true"
    with pytest.raises(ModelNotFoundError, match=PREVIOUS):
        promote(LANE, world, rollback=True)


def test_worse_challenger_fails_the_gate_and_champion_stays(world):
    train_lane(LANE, world, trials=0)
    # Scramble the signal in the training days only; the validation window keeps its true labels.
    _scramble_training_days(world)
    train_lane(LANE, world, trials=0)

    result = promote(LANE, world)
    assert not result["passed"] and not result["promoted"], result
    assert "vs_champion: FAIL" in result["reason"]
    assert _aliases(world) == {"champion": 1, "challenger": 2}
    tags = _client(world).get_model_version(world.model_name(LANE), "2").tags
    assert tags["gate.decision"] == "fail" and tags["gate.promoted"] == "false"


def test_cli_promote_and_rollback(world, capsys):
    from customs_risk.cli import main

    train_lane(LANE, world, trials=0)
    train_lane(LANE, world, trials=0)
    assert main(["promote", "--lane", LANE]) == 0
    assert '"promoted": true' in capsys.readouterr().out
    assert _aliases(world)["champion"] == 2
    assert main(["promote", "--lane", LANE, "--rollback"]) == 0
    assert _aliases(world)["champion"] == 1
    assert main(["promote", "--lane", LANE, "--rollback"]) == 1
    assert "previous_champion" in capsys.readouterr().err


def test_outcomes_after_the_champion_window_trigger_a_retrain(world):
    import dataclasses
    from datetime import date, timedelta

    import pandas as pd

    from ml.retrain_policy import retrain_decision

    assert retrain_decision(LANE, world) == (True, f"{LANE} has no champion yet")
    run_id = train_lane(LANE, world, trials=0)["run_id"]
    valid_end = date.fromisoformat(_client(world).get_run(run_id).data.params["valid_end"])
    outcomes = pd.DataFrame({"lane": [LANE] * 3, "item_id": ["a", "b", "c"],
                             "first_inspection_date": [valid_end, valid_end + timedelta(days=1),
                                                       valid_end + timedelta(days=2)]})
    Warehouse(world).replace_partition("intermediate", "int_item_outcomes", outcomes, {})
    due, why = retrain_decision(LANE, dataclasses.replace(world, retrain_min_new_labels=2))
    assert due and why.startswith("2 outcomes recorded after")
    assert not retrain_decision(LANE, dataclasses.replace(world, retrain_min_new_labels=3))[0]


def test_train_dag_skips_a_lane_with_too_little_data(settings):
    from airflow.sdk.exceptions import AirflowSkipException

    features, _ = build_world(n_days=1, per_day=100)
    Warehouse(settings).replace_partition("marts", f"fct_{LANE}_features", features, {})
    path = Path(__file__).resolve().parent.parent / "dags" / "customs_risk_train.py"
    spec = importlib.util.spec_from_file_location("_train_dag_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {t.task_id for t in module.dag.tasks} >= {"train_express", "validate_express", "promote_express"}
    assert module.dag.get_task("validate_express").upstream_task_ids == {"train_express"}
    # The retrain policy decides first (customs_risk.stages.retrain_decision); with no champion the lane
    # is due, and training skips here for the lack of data instead of failing.
    assert module.dag.get_task("train_express").upstream_task_ids == {"decide_express"}
    with pytest.raises(AirflowSkipException, match="labelled rows over 1 days"):
        module._train(LANE, {"day": "2030-01-01", "why": "express has no champion yet"})


def _scramble_training_days(world) -> None:
    """Destroy the signal before the last days so the next model trained is worse on the truth."""
    wh = Warehouse(world)
    table = f"marts.fct_{LANE}_features"
    frame = wh.query_df(f"select * from {table}")
    early = frame["item_date"] < frame["item_date"].max() - np.timedelta64(3, "D")
    rng = np.random.default_rng(0)
    for col in ("f_route_risk", "f_new_consignee"):
        frame.loc[early, col] = rng.permutation(frame.loc[early, col].to_numpy())
    wh.execute(f"drop table {table}")
    wh.replace_partition("marts", f"fct_{LANE}_features", frame, {})


def test_gate_judges_on_random_sample_rows_not_rule_biased_labels(world):
    """Rule-picked labels are rewritten so that the biased estimate favours a worse challenger; with
    enough audit rows the gate must ignore them, reject the challenger and say which estimate it used."""
    import datetime as dt

    import mlflow

    from ml.evaluate import UNBIASED, select_at_capacity
    from ml.features import feature_columns, load_features

    champ = train_lane(LANE, world, trials=0)
    _scramble_training_days(world)
    chall = train_lane(LANE, world, trials=0)
    start, end = (dt.date.fromisoformat(chall["window"][k]) for k in ("valid_start", "valid_end"))

    wh = Warehouse(world)
    table = f"marts.fct_{LANE}_features"
    frame = load_features(LANE, world)
    window = frame[(frame["item_date"] >= start) & (frame["item_date"] <= end)]
    features = feature_columns(frame.columns)
    picks = {}
    for run in (champ, chall):
        model = mlflow.xgboost.load_model(f"models:/{run['model_name']}/{run['model_version']}")
        picks[run["model_version"]] = select_at_capacity(window, model.predict_proba(window[features])[:, 1], world, LANE)
    rule_rows = window["label"].notna() & ~window["is_audit"].astype(bool)
    raw = wh.query_df(f"select * from {table}")
    raw = raw.set_index("item_id")
    raw.loc[window.index[rule_rows & picks[chall["model_version"]]].map(window["item_id"]), "label"] = 1
    raw.loc[window.index[rule_rows & ~picks[chall["model_version"]]].map(window["item_id"]), "label"] = 0
    wh.execute(f"drop table {table}")
    wh.replace_partition("marts", f"fct_{LANE}_features", raw.reset_index(), {})

    verdict = validate_challenger(LANE, world)
    numbers = verdict["numbers"]
    # The biased estimate would have promoted the worse challenger ...
    assert numbers["challenger_precision_at_capacity"] > numbers["champion_precision_at_capacity"] + 0.02
    # ... the gate judged on the audit rows instead, and says so.
    assert numbers["random_sample_rows"] >= 50
    assert verdict["precision_estimate"] == UNBIASED
    assert numbers["challenger_precision_used"] == numbers["challenger_unbiased_precision_at_capacity"]
    assert not verdict["passed"] and "vs_champion: FAIL" in verdict["reason"], verdict["reason"]
    tags = _client(world).get_model_version(world.model_name(LANE), str(chall["model_version"])).tags
    assert tags["gate.precision_estimate"] == UNBIASED


def test_gate_falls_back_to_the_labelled_estimate_without_enough_audit_rows(world):
    wh = Warehouse(world)
    table = f"marts.fct_{LANE}_features"
    frame = wh.query_df(f"select * from {table}")
    frame["is_audit"] = False
    frame["selection_reason"] = frame["selection_reason"].where(frame["label"].isna(), "rule")
    wh.execute(f"drop table {table}")
    wh.replace_partition("marts", f"fct_{LANE}_features", frame, {})
    train_lane(LANE, world, trials=0)
    train_lane(LANE, world, trials=0)
    verdict = validate_challenger(LANE, world)
    assert verdict["precision_estimate"].startswith("biased_labelled (only 0 random-sample rows")
    assert verdict["numbers"]["challenger_precision_used"] == verdict["numbers"]["challenger_precision_at_capacity"]


def test_a_window_judged_day_by_day_gives_the_metrics_of_the_whole_window(world):
    """Training and the gate judge their window one day at a time (``ml.dataset.window_days``), keeping
    only the labelled rows and the picks; every policy's metrics equal those of the window held whole."""
    import datetime as dt
    import math

    import mlflow

    from ml.dataset import window_days
    from ml.evaluate import judge, model_policy, policy_metrics, random_policy, random_scores, rule_policy, \
        rule_scores, window_metrics
    from ml.features import feature_columns, load_features
    from ml.oracle import truth_for

    run = train_lane(LANE, world, trials=0)
    start, end = (dt.date.fromisoformat(run["window"][k]) for k in ("valid_start", "valid_end"))
    whole = load_features(LANE, world, since=start, as_of=end, numbers_as="float32")
    truth = truth_for(world, LANE, sorted(whole["item_date"].unique()))
    model = mlflow.xgboost.load_model(f"models:/{run['model_name']}/{run['model_version']}")
    features = feature_columns(whole.columns)
    policies = {"model": model_policy(model, features), "random": random_policy(world.seed),
                "rule": rule_policy(truth, world.seed)}
    days = list(window_days(LANE, world, start, end))
    judged = judge(days, policies, world, LANE, truth, oracle_policy="model")
    assert len(days) > 1 and judged.n_items == len(whole) and len(judged.rows) < len(whole)

    scores = {"model": model_policy(model, features)(whole), "random": random_scores(whole, world.seed),
              "rule": rule_scores(whole, truth, world.seed)}
    for policy, whole_scores in scores.items():
        expected, got = policy_metrics(whole, whole_scores, world, LANE, truth), window_metrics(judged, policy, world)
        assert got.keys() == expected.keys() and got["random_sample_rows"] >= 50, policy
        assert all(got[k] == expected[k] or (math.isnan(got[k]) and math.isnan(expected[k])) for k in got), policy
        assert "unbiased_precision_at_capacity" in got and "true_hit_rate_at_capacity" in got
