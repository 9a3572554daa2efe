"""The lanes' MLflow experiments are marked as model training and the UI link opens their runs table."""
from __future__ import annotations

from mlflow import MlflowClient

from ml.tracking import (EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND, compare_runs_url, configure_mlflow,
                         experiment_name, runs_table_url)


def test_lane_experiments_are_marked_model_training_also_when_older(settings):
    client = MlflowClient(settings.mlflow_tracking_uri)
    old = client.create_experiment(experiment_name("cargo"))      # made before the mark existed
    assert EXPERIMENT_KIND_TAG not in client.get_experiment(old).tags

    new = configure_mlflow("express", settings)
    assert configure_mlflow("cargo", settings) == old
    for experiment_id in (new, old):
        assert client.get_experiment(experiment_id).tags[EXPERIMENT_KIND_TAG] == MODEL_TRAINING_KIND


def test_runs_table_url_asks_for_the_model_training_view():
    assert runs_table_url("7") == "http://127.0.0.1:5000/#/experiments/7?workflowType=machine_learning"


def test_compare_runs_url_names_every_run_and_the_experiment():
    url = compare_runs_url(["a1", "b2"], "3")
    assert url == ("http://127.0.0.1:5000/#/compare-runs?runs=%5B%22a1%22%2C%22b2%22%5D"
                   "&experiments=%5B%223%22%5D")
