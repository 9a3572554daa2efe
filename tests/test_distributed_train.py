"""`customs-risk train --distributed`: the lane's model fitted with xgboost.dask on a LocalCluster of two
worker processes that read their own partitions from the DuckDB warehouse, against the in-memory fit of
the same data. Real DuckDB, Dask, XGBoost and MLflow; no mocks.

Tolerances: on this world the in-memory fit's own spread over 20 seeds (same data, same parameters) is
AUC 0.750..0.771 (sd 0.005) and precision at 10 % of the 295 labelled validation rows 0.63..0.77 (sd 0.027,
one item = 0.033). A distributed fit differs from the in-memory one as much as a seed does (rows are
sampled per worker, quantiles sketched per worker), so it must land within ~5 sd of it: 0.03 AUC and 0.15
precision. Both must stay far above random (AUC 0.5; precision = the 0.21 base rate), so a fit on
shuffled labels or misaligned partitions fails.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.warehouse import Warehouse
from customs_risk.cli import main
from customs_risk.stages import score
from ml.dataset import training_data
from ml.features import load_features, predict
from ml.fit import FIXED_ROUNDS, class_weight
from ml.metrics import ranking_metrics
from ml.tracking import configure_mlflow
from ml.train import fit_lane
from synthetic_world import LANE, NEW_DAY, build_world

AUC_TOLERANCE = 0.03
PRECISION_TOLERANCE = 0.15


def _run(settings, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri).get_run(run_id)


def _registered_model(settings, version: int):
    import mlflow

    configure_mlflow(LANE, settings)
    return mlflow.xgboost.load_model(f"models:/{settings.model_name(LANE)}/{version}")


def _quality(model, data) -> dict[str, float]:
    """AUC and precision at 10 % on the labelled validation rows (the same rows for every model)."""
    scores = predict(model, data.valid, data.features)
    return ranking_metrics(data.valid["label"].to_numpy(), scores, ids=data.valid["item_id"], ks=(10,))


def _assert_same_quality(distributed: dict, in_memory: dict, base_rate: float) -> None:
    assert distributed["auc"] == pytest.approx(in_memory["auc"], abs=AUC_TOLERANCE)
    assert distributed["precision_at_10pct"] == pytest.approx(in_memory["precision_at_10pct"], abs=PRECISION_TOLERANCE)
    for quality in (distributed, in_memory):
        assert quality["auc"] > 0.7 and quality["precision_at_10pct"] > 2 * base_rate


def test_cli_distributed_train_matches_in_memory_fit_and_scores(world, capsys, monkeypatch):
    import ml.dataset
    import ml.distributed

    driver_reads = []     # what this process reads itself during the run; the workers are other processes

    def recording(lane, settings, **window):
        driver_reads.append(window)
        return load_features(lane, settings, **window)

    for module in (ml.dataset, ml.distributed):
        monkeypatch.setattr(module, "load_features", recording)
    assert main(["train", "--lane", LANE, "--distributed", "--workers", "2"]) == 0
    for module in (ml.dataset, ml.distributed):
        monkeypatch.setattr(module, "load_features", load_features)
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{"):])
    assert result["model_version"] == 1 and set(result["aliases"]) == {"challenger", "champion"}

    # Trained on the cluster, one partition per labelled training day, on exactly the in-memory rows.
    data = training_data(LANE, world)
    run = _run(world, result["run_id"])
    params, tags = run.data.params, run.data.tags
    assert params["trained_on"] == "dask" and params["dask_workers"] == "2"
    assert params["dask_scheduler"] == "LocalCluster" and params["dask_partitions"] == str(len(data.train_days)) == "12"
    assert tags["distributed"] == "xgboost.dask"
    # The driver read the validation window (its labelled rows, then its items day by day) and the first
    # training day (the signature), no other.
    first, valid_start = data.train_days[0], data.valid_days[0]
    assert driver_reads and all((r.get("since") or r.get("day") or date.min) >= valid_start or r.get("as_of") == first
                                for r in driver_reads), driver_reads
    assert set(data.valid_days) <= {r["day"] for r in driver_reads if "day" in r}
    spw = class_weight(data.features, data.n_train - data.n_pos, data.n_pos)
    in_memory = fit_lane(data, world.seed, spw, trials=0)
    assert params["dataset_digest"] == in_memory.dataset_digest
    assert params["scale_pos_weight"] == str(round(spw, 6)) and params["train_rows"] == str(data.n_train)
    # This world's inner window holds too few positives to stop on: fixed rounds, as in memory.
    assert params["best_iteration"] == str(FIXED_ROUNDS - 1) == str(in_memory.best_iteration)
    assert tags["early_stopping_window"] == in_memory.stop_window

    model = _registered_model(world, 1)
    assert type(model).__name__ == "XGBClassifier"
    base_rate = float(data.valid["label"].mean())
    _assert_same_quality(_quality(model, data), _quality(in_memory.model, data), base_rate)

    # The first model became champion; scoring uses it like any other.
    scored = score(LANE, NEW_DAY, world)
    assert scored["model_version"] == 1 and scored["rows"] == 400
    picks = Warehouse(world).query_df("select count(*) from scoring.daily_selection where selected and item_date = ?",
                                      [NEW_DAY]).iloc[0, 0]
    assert picks > 0


def test_scheduler_and_workers_need_distributed(settings):
    with pytest.raises(SystemExit):
        main(["train", "--lane", LANE, "--distributed", "--workers", "0"])
    assert main(["train", "--lane", LANE, "--scheduler", "tcp://127.0.0.1:1"]) != 0


@pytest.fixture
def coded_world(settings):
    """The small world plus a code column (route band as a raw code) and 3x the traffic, so the lane
    runs the native-category parameters and its inner window holds enough positives to early-stop."""
    s = dataclasses.replace(settings, capacity_share={**settings.capacity_share, LANE: 0.1})
    features, _ = build_world(per_day=1200, seed=17)
    band = np.minimum((features["f_route_risk"] * 10).astype(int), 9)
    features["c_route_band"] = pd.Series("R" + band.astype(str)).where(features.index % 7 != 0, None)
    Warehouse(s).replace_partition("marts", f"fct_{LANE}_features", features, {})
    return s


@pytest.mark.slow
def test_distributed_early_stopping_with_codes_matches_in_memory(coded_world):
    """An existing scheduler, early stopping on the inner split, and code columns on categories shared
    by every partition, two days a partition."""
    from dask.distributed import LocalCluster

    from ml.distributed import DaskOptions
    from ml.train import MIN_STOP_POSITIVES, train_lane

    data = training_data(LANE, coded_world)
    single = train_lane(LANE, coded_world, trials=0)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        options = DaskOptions(scheduler=cluster.scheduler_address, days_per_partition=2)
        dist = train_lane(LANE, coded_world, trials=0, distributed=options)
    params = _run(coded_world, dist["run_id"]).data.params
    assert params["dask_scheduler"] == cluster.scheduler_address and params["dask_workers"] == "2"
    assert params["dask_partitions"] == str(-(-(len(data.train_days) - 2) // 2) + 2)   # 2 tune days: 1 block, 2 slices
    assert dist["dataset_digest"] == single["dataset_digest"]
    assert params["early_stopping_metric"] == "aucpr", f"inner window below {MIN_STOP_POSITIVES} positives"
    assert params["max_depth"] == "6" and params["scale_pos_weight"] == "1.0"
    local = _registered_model(coded_world, dist["model_version"])
    trained = dict(local.get_booster().get_categories(export_to_arrow=True).to_arrow())["c_route_band"].to_pylist()
    assert trained == [f"R{i}" for i in range(10)]
    _assert_same_quality(_quality(local, data), _quality(_registered_model(coded_world, 1), data),
                         float(data.valid["label"].mean()))
