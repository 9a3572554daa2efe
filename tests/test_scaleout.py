"""The scale-out for real (marked services): Airflow with the CeleryExecutor on Redis, its metadata, the
warehouse and an MLflow server on PostgreSQL, each in databases of this test's own, then one landed day
runs through a Celery worker into the PostgreSQL warehouse. Skips without the services; REQUIRE_SERVICES=1
makes that a failure."""
from __future__ import annotations

import urllib.request
import uuid

import pytest

from conftest import require_service
from test_airflow_service import START, _free_port, _run_for, _simulate, _wait

pytestmark = pytest.mark.services


def _drop_databases(names: list[str]) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'drop database if exists "{name}" with (force)')
    connection.close()


def _responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().strip() == b"OK"
    except OSError:
        return False


@pytest.mark.slow
def test_one_day_runs_through_a_celery_worker_into_the_postgres_warehouse(settings, monkeypatch):
    from core.warehouse import Warehouse
    from customs_risk.scaleout import read_env_file, scaleout_service

    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    for name, value in {"CUSTOMS_RISK_LANES": "express", "CUSTOMS_RISK_DBT_TASKS": "layer",
                        "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"}.items():
        monkeypatch.setenv(name, value)
    suffix = uuid.uuid4().hex[:8]
    names = {key: f"cr_test_{key}_{suffix}" for key in ("airflow", "warehouse", "mlflow")}
    env = read_env_file() | {
        "AIRFLOW_METADATA_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{names['airflow']}",
        "CELERY_RESULT_BACKEND": f"db+postgresql+psycopg2://postgres@127.0.0.1:5432/{names['airflow']}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/11",
        "CUSTOMS_RISK_WAREHOUSE_URL": f"postgresql://postgres@127.0.0.1:5432/{names['warehouse']}",
        "MLFLOW_BACKEND_URL": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{names['mlflow']}",
        "MLFLOW_PORT": str(_free_port()), "CELERY_WORKER_CONCURRENCY": "1"}
    service, pg_settings = scaleout_service(settings, _free_port(), env)
    try:
        with service:
            service.wait_healthy(timeout=300)
            _wait("the MLflow server", lambda: _responds(f"{pg_settings.mlflow_tracking_uri}/health"), 300, service)
            _simulate(settings, START, scale=0.002)
            run = _wait("the day's ingest on the Celery worker",
                        lambda: _run_for(service, "customs_risk_ingest", f"traffic_day__{START}"), 900, service)
            assert run["logical_date"].startswith(START.isoformat())
        worker_log = (settings.airflow_home / "logs" / "celery-worker.log").read_text()
        assert "execute_workload" in worker_log or "succeeded" in worker_log, worker_log[-2000:]
        loaded = Warehouse(pg_settings).query_df("select count(*) as n from raw.shipments where arrival_date = ?",
                                                 [START])["n"].iloc[0]
        assert loaded > 0
    finally:
        _drop_databases(list(names.values()))
