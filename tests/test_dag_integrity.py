"""Every DAG file parses with Airflow's own DagBag, fast, and without heavy imports at module level."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from core.settings import Settings
from customs_risk.airflow_runner import DAGS_FOLDER, airflow_env

HEAVY = ("pandas", "xgboost", "mlflow", "great_expectations", "dbt", "duckdb", "sklearn")
MAX_PARSE_SECONDS = 0.5
EXPECTED_DAGS = {"customs_risk_landing", "customs_risk_ingest", "customs_risk_transform", "customs_risk_train",
                 "customs_risk_score"}
# Tasks that touch no warehouse: they need no slot of the writer pool.
# Tasks that write no warehouse table (they read files, or only emit asset events).
OUTSIDE_POOL = {"landed_days", "trigger_ingest", "publish_features", "publish_models",
                *(f"request_retrain_{lane}" for lane in ("cargo", "express", "traveller"))}

PROBE = textwrap.dedent("""
    import importlib.util, json, pathlib, sys, time
    import airflow.sdk  # Airflow's parser has this loaded already; time only the DAG file itself
    from airflow.dag_processing.dagbag import DagBag
    folder = pathlib.Path(sys.argv[1])
    heavy = tuple(sys.argv[2].split(","))
    out = {"files": {}}
    for path in sorted(folder.glob("*.py")):
        start = time.perf_counter()
        spec = importlib.util.spec_from_file_location("probe_" + path.stem, path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        out["files"][path.name] = time.perf_counter() - start
    out["heavy"] = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    bag = DagBag(dag_folder=str(folder))
    out["errors"] = {k: str(v) for k, v in bag.import_errors.items()}
    out["dags"] = sorted(bag.dag_ids)
    out["defaults"] = {dag_id: {"catchup": dag.catchup, "max_active_runs": dag.max_active_runs,
                                "tasks": {t.task_id: {"retries": t.retries, "retry_delay": t.retry_delay.total_seconds(),
                                                      "timeout": bool(t.execution_timeout), "pool": t.pool,
                                                      "on_failure": bool(t.on_failure_callback),
                                                      "priority": t.priority_weight}
                                          for t in dag.tasks}}
                       for dag_id, dag in bag.dags.items()}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    """Parse the DAG folder once, in a fresh interpreter (as Airflow's DAG processor would), on a fresh home."""
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMS_RISK_")}
    env["CUSTOMS_RISK_HOME"] = str(home)
    settings = Settings(home=home, warehouse_url="duckdb:///unused", mlflow_tracking_uri="", pseudonym_key="")
    done = subprocess.run([sys.executable, "-c", PROBE, str(DAGS_FOLDER), ",".join(HEAVY)],
                          env={**env, **airflow_env(settings)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_dag_files_parse_fast_clean_and_light(probe):
    result = probe
    for name, seconds in result["files"].items():
        print(f"parse time {name}: {seconds * 1000:.1f} ms")
    assert result["errors"] == {}
    assert EXPECTED_DAGS <= set(result["dags"])
    assert result["heavy"] == [], f"heavy modules imported at DAG parse time: {result['heavy']}"
    slow = {k: v for k, v in result["files"].items() if v > MAX_PARSE_SECONDS}
    assert not slow, f"DAG files slower than {MAX_PARSE_SECONDS}s to parse: {slow}"


def test_every_dag_has_operational_defaults_and_writers_in_the_pool(probe):
    defaults = probe["defaults"]
    assert set(defaults) == EXPECTED_DAGS
    for dag_id, dag in defaults.items():
        assert dag["catchup"] is False and dag["max_active_runs"] == 1, dag_id
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert task["retries"] >= 1 and task["retry_delay"] > 0 and task["timeout"] and task["on_failure"], where
            if task_id not in OUTSIDE_POOL:
                assert task["pool"] == "warehouse_writer", where


def test_the_days_lists_and_monitoring_take_the_pool_before_a_retrain(probe):
    """A retrain asked for by the monitoring of one lane must not hold the writer pool ahead of the
    scoring and monitoring of the lanes after it (the pool serves the highest priority first)."""
    tasks = probe["defaults"]
    score = [t["priority"] for t in tasks["customs_risk_score"]["tasks"].values() if t["pool"] == "warehouse_writer"]
    train = [t["priority"] for t in tasks["customs_risk_train"]["tasks"].values()]
    assert score and min(score) > sum(train)     # beyond any downstream sum of the train DAG's weights
