"""Every DAG file parses with Airflow's own DagBag, fast, and without heavy imports at module level."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from customs_risk.airflow_runner import DAGS_FOLDER, airflow_env

HEAVY = ("pandas", "xgboost", "mlflow", "great_expectations", "dbt", "duckdb", "sklearn")
MAX_PARSE_SECONDS = 0.5
EXPECTED_DAGS = {"customs_risk_ingest", "customs_risk_transform", "customs_risk_train", "customs_risk_score"}

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
    print(json.dumps(out))
""")


def test_dag_files_parse_fast_clean_and_light(settings):
    done = subprocess.run([sys.executable, "-c", PROBE, str(DAGS_FOLDER), ",".join(HEAVY)],
                          env={**os.environ, **airflow_env(settings)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name, seconds in result["files"].items():
        print(f"parse time {name}: {seconds * 1000:.1f} ms")
    assert result["errors"] == {}
    assert EXPECTED_DAGS <= set(result["dags"])
    assert result["heavy"] == [], f"heavy modules imported at DAG parse time: {result['heavy']}"
    slow = {k: v for k, v in result["files"].items() if v > MAX_PARSE_SECONDS}
    assert not slow, f"DAG files slower than {MAX_PARSE_SECONDS}s to parse: {slow}"
