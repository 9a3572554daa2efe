"""The one place that points MLflow at the project's store, so train, score and the DAGs never disagree
about where runs and registered models live."""
from __future__ import annotations

import logging
import os

from core.settings import Settings, get_settings

_NOISY_LOGGERS = ("mlflow", "alembic", "urllib3", "git")
# The experiment kind MLflow records for classic model training (the UI's other kind is GenAI).
EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND = "mlflow.experimentKind", "custom_model_development"
# MLflow 3.17's UI opens an experiment in the view of its "GenAI | Model training" switch, which a fresh
# browser sets to GenAI whatever the experiment's kind; this query sets it to Model training (runs table).
RUNS_VIEW_QUERY = "?workflowType=machine_learning"


def experiment_name(lane: str) -> str:
    return f"customs-risk-{lane}"


def configure_mlflow(lane: str, settings: Settings | None = None) -> str:
    """Set tracking and registry URIs, get-or-create the lane's experiment and make it current.

    The experiment is marked as model training (``mlflow.experimentKind``), not GenAI, also when it
    was created before that mark existed.

    The artifact location is fixed at creation under ``settings.mlflow_artifacts_dir`` so model files
    land in the project home, not in the process's working directory. Returns the experiment id.
    """
    import mlflow
    from mlflow import MlflowClient

    settings = settings or get_settings()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uv-built venvs have no pip; MLflow warns about it on every log_model, harmlessly.
    logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    name = experiment_name(lane)
    client = MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = settings.mlflow_artifacts_dir / name
        location.mkdir(parents=True, exist_ok=True)
        experiment_id = client.create_experiment(name, artifact_location=location.as_uri(),
                                                 tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING_KIND})
    else:
        experiment_id = experiment.experiment_id
        if experiment.tags.get(EXPERIMENT_KIND_TAG) != MODEL_TRAINING_KIND:
            client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def runs_table_url(experiment_id: str, ui: str = "http://127.0.0.1:5000") -> str:
    """Where the lane's runs table opens in the MLflow UI started with ``mlflow ui`` (port 5000)."""
    return f"{ui}/#/experiments/{experiment_id}{RUNS_VIEW_QUERY}"


def compare_runs_url(run_ids: list[str], experiment_id: str, ui: str = "http://127.0.0.1:5000") -> str:
    """MLflow's compare page for these runs: a training run beside its baseline runs (rules, random,
    the previous champion), metric by metric."""
    import json
    from urllib.parse import quote

    runs = quote(json.dumps(list(run_ids), separators=(",", ":")))
    return f"{ui}/#/compare-runs?runs={runs}&experiments={quote(json.dumps([str(experiment_id)]))}"
