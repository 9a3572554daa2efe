"""Model registry conventions: aliases, not stages (MLflow 3).

``@challenger`` is the newest trained version (set by ``ml.train``); ``@champion`` is what scoring uses
and only ``ml.deploy`` moves it: a lane's first champion, a challenger that passed the recorded gate
(``ml.gate``), and rollback to ``@previous_champion``.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings

CHAMPION = "champion"
CHALLENGER = "challenger"


class ModelNotFoundError(LookupError):
    """No usable registered model for a lane: training has not run (or was never promoted)."""


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: int
    run_id: str

    @property
    def uri(self) -> str:
        # Pin the version, not the alias: the alias may move while a scoring run is in progress.
        return f"models:/{self.name}/{self.version}"


def registry_client(settings: Settings):
    from mlflow import MlflowClient

    return MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri)


def validation_window(client, ref: ModelRef) -> tuple[str, str]:
    """(first, last) day of the out-of-time window the version was validated on, from its run's params."""
    params = client.get_run(ref.run_id).data.params
    return params["valid_start"], params["valid_end"]


def current_alias(settings: Settings, name: str, alias: str) -> ModelRef | None:
    """The version behind ``alias``, or None when the model or the alias does not exist."""
    from mlflow.exceptions import MlflowException

    client = registry_client(settings)
    try:
        registered = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        return None
    version = registered.aliases.get(alias)
    if version is None:
        return None
    mv = client.get_model_version(name, str(version))
    return ModelRef(name=name, version=int(mv.version), run_id=mv.run_id)


def mark_challenger(settings: Settings, name: str, version: int) -> None:
    """Point @challenger at a newly trained version (training's only registry move)."""
    registry_client(settings).set_registered_model_alias(name, CHALLENGER, str(version))


def champion(settings: Settings, name: str) -> ModelRef:
    """The version scoring must use; a clear error instead of MLflow's when there is none."""
    ref = current_alias(settings, name, CHAMPION)
    if ref is None:
        raise ModelNotFoundError(
            f"registered model {name!r} has no @{CHAMPION} version (or does not exist) in "
            f"{settings.mlflow_tracking_uri}: run training for this lane first (ml.train.train_lane)"
        )
    return ref
