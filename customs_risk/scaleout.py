"""The scale-out as one command: Airflow with the CeleryExecutor (Redis broker, PostgreSQL metadata in its own
database), a Celery worker, the warehouse on PostgreSQL and an MLflow tracking server on PostgreSQL, all on
this machine's services and started (and stopped) together by AirflowService. Addresses: infra/scaleout.env.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from urllib.parse import urlparse

from core.settings import PROJECT_ROOT, Settings
from customs_risk.airflow_service import AirflowService

SCALEOUT_ENV = PROJECT_ROOT / "infra" / "scaleout.env"


def read_env_file(path: Path = SCALEOUT_ENV) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it does not exist."""
    import psycopg2

    parsed = urlparse(url)   # postgresql://, postgresql+psycopg2:// and db+postgresql:// alike
    name = parsed.path.lstrip("/")
    connection = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                                  password=parsed.password or None, dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'create database "{name}"')
    finally:
        connection.close()


def scaleout_service(settings: Settings, port: int, env: dict[str, str] | None = None) -> tuple[AirflowService, Settings]:
    """The service (not started) and the settings its tasks see (PostgreSQL warehouse, MLflow server)."""
    env = env or read_env_file()
    mlflow_uri = f"http://127.0.0.1:{env['MLFLOW_PORT']}"
    for url in (env["AIRFLOW_METADATA_URL"], env["CUSTOMS_RISK_WAREHOUSE_URL"], env["MLFLOW_BACKEND_URL"]):
        ensure_database(url)
    settings = dataclasses.replace(settings, warehouse_url=env["CUSTOMS_RISK_WAREHOUSE_URL"],
                                   mlflow_tracking_uri=mlflow_uri)
    bin_dir = Path(sys.executable).parent
    commands = {
        "celery-worker": [str(bin_dir / "airflow"), "celery", "worker", "--concurrency",
                          env["CELERY_WORKER_CONCURRENCY"]],
        "mlflow-server": [str(bin_dir / "mlflow"), "server", "--backend-store-uri", env["MLFLOW_BACKEND_URL"],
                          "--artifacts-destination", str(settings.mlflow_artifacts_dir), "--host", "127.0.0.1",
                          "--port", env["MLFLOW_PORT"], "--workers", "1"],
    }
    overrides = {("celery", "broker_url"): env["CELERY_BROKER_URL"],
                 ("celery", "result_backend"): env["CELERY_RESULT_BACKEND"],
                 ("celery", "worker_concurrency"): env["CELERY_WORKER_CONCURRENCY"]}
    service = AirflowService(settings, port=port, commands=commands, executor="CeleryExecutor",
                             metadata_url=env["AIRFLOW_METADATA_URL"], overrides=overrides,
                             extra_env={"CUSTOMS_RISK_WAREHOUSE_URL": settings.warehouse_url,
                                        "CUSTOMS_RISK_MLFLOW_TRACKING_URI": mlflow_uri})
    return service, settings
