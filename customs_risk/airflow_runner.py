"""Run the project's DAGs with Airflow on the embedded default: SQLite metadata under the project home.

``configure`` must run before Airflow is imported: Airflow reads its configuration at import time.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings

DAGS_FOLDER = PROJECT_ROOT / "dags"


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.airflow_home
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        # Tasks call the same settings module; make sure they see this home even in a fresh process.
        "CUSTOMS_RISK_HOME": str(settings.home),
    }


def configure(settings: Settings) -> None:
    """Point this process's Airflow at the project home and create its metadata DB once."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(settings.airflow_home):
        raise RuntimeError("Airflow was imported before customs_risk.airflow_runner.configure(); configure first")
    os.environ.update(airflow_env(settings))
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    marker = settings.airflow_home / ".migrated"
    if not marker.exists():
        airflow = Path(sys.executable).with_name("airflow")
        env = {**os.environ, **airflow_env(settings)}
        for command in (["db", "migrate"], ["pools", "set", "warehouse_writer", "1",
                                            "DuckDB allows one writer per file"]):
            done = subprocess.run([str(airflow), *command], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"airflow {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        marker.touch()


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
