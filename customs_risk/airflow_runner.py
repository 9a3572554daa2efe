"""Run the project's DAGs with Airflow on the embedded default: SQLite metadata under the project home.

``configure`` must run before Airflow is imported: Airflow reads its configuration at import time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from customs_risk.airflow_config import DAGS_FOLDER, airflow_env, write_config

__all__ = ["DAGS_FOLDER", "airflow_env", "configure", "load_dag", "migrate", "run_dag"]
POOL_SIZE = "1"   # DuckDB allows one writer per file


def migrate(settings: Settings, env: dict[str, str]) -> None:
    """``airflow db migrate`` and the warehouse writer pool, once per home (the marker says it was done)."""
    # One marker per metadata database: the scale-out points the same home at PostgreSQL.
    url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    marker = settings.airflow_home / f".migrated-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    if marker.exists():
        return
    airflow = Path(sys.executable).with_name("airflow")
    for command in (["db", "migrate"], ["pools", "set", "warehouse_writer", POOL_SIZE,
                                        "Serialises warehouse writers (DuckDB: one writer per file)"]):
        done = subprocess.run([str(airflow), *command], env={**os.environ, **env}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    marker.touch()


def configure(settings: Settings) -> None:
    """Point this process's Airflow at the project home: write airflow.cfg, set the environment and
    create the metadata DB once."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(settings.airflow_home):
        raise RuntimeError("Airflow was imported before customs_risk.airflow_runner.configure(); configure first")
    quiet = {"logging_level": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")}  # dag.test logs to the console
    write_config(settings, **quiet)
    env = airflow_env(settings, **quiet)
    os.environ.update(env)
    migrate(settings, env)


def load_dag(dag_id: str):
    """Import the DAG file named after the DAG, as Airflow's parser would."""
    path = DAGS_FOLDER / f"{dag_id}.py"
    spec = importlib.util.spec_from_file_location(f"_dag_{dag_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def run_dag(dag_id: str, day: dt.date, logical: bool = True, first_day: dt.date | None = None) -> str:
    """Run one DAG run in-process with ``dag.test()``; raise if it did not succeed.

    Asset-scheduled DAGs have no logical date of their own: they get the day through ``conf`` (and
    ``first_day`` when the run covers several landed days, as an asset-triggered run would).
    """
    import pendulum

    dag = load_dag(dag_id)
    logical_date = pendulum.datetime(day.year, day.month, day.day, tz="UTC") if logical else None
    conf = {"day": day.isoformat()} | ({"first_day": first_day.isoformat()} if first_day else {})
    run = dag.test(logical_date=logical_date, run_conf=conf)
    state = str(getattr(run, "state", "unknown"))
    if not state.endswith("success"):
        failed = [ti.task_id for ti in run.get_task_instances() if str(ti.state).endswith("failed")]
        raise RuntimeError(f"DAG {dag_id} for {day} ended {state}; failed tasks: {failed or 'none recorded'}; "
                           f"logs under {os.environ.get('AIRFLOW__LOGGING__BASE_LOG_FOLDER')}")
    return state
