"""The transform DAG: one task per dbt model, rendered from the committed manifest, which must be up to
date; a run on a tiny simulated day builds the feature tables and publishes the FEATURES assets."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

from transform import dbt_build as transform
from core.settings import PROJECT_ROOT

DAY = dt.date(2026, 3, 2)

RUN = textwrap.dedent("""
    import datetime as dt, json, sys
    from core.settings import get_settings
    from customs_risk import airflow_runner
    from core.contracts import CONTRACTS
    from ingest.load import load_day
    from simworld.simulator import simulate_day

    settings = get_settings()
    day = dt.date.fromisoformat(sys.argv[1])
    simulate_day(day, settings, scale=0.002)
    for source in CONTRACTS:
        load_day(source, day, settings)
    airflow_runner.configure(settings)          # before Airflow is imported in this process
    state = airflow_runner.run_dag("customs_risk_transform", day, logical=False)

    from core.warehouse import Warehouse
    dag = airflow_runner.load_dag("customs_risk_transform")
    counts = {lane: int(Warehouse(settings).query_df(f"select count(*) as n from marts.fct_{lane}_features")["n"][0])
              for lane in ("cargo", "express", "traveller")}
    quality = Warehouse(settings).query_df("select source, rows_loaded, is_missing from marts.fct_source_day_quality")
    print(json.dumps({"state": state, "tasks": sorted(dag.task_ids), "counts": counts,
                      "quality": quality.to_dict("records")}, default=str))
""")


def test_committed_dag_manifest_is_up_to_date(settings, tmp_path):
    fresh = transform.parse(settings, dag_manifest=tmp_path / "manifest.json").read_text()
    assert transform.DAG_MANIFEST.read_text() == fresh, "run `python -m transform.dbt_build manifest`"


def test_plan_has_one_task_per_model_and_places_multi_parent_tests():
    plan = transform.dag_plan()
    nodes = json.loads(transform.DAG_MANIFEST.read_text())["nodes"]
    models = {n["name"] for n in nodes.values() if n["resource_type"] == "model"}
    steps = {step["task_id"]: step for step in plan}
    assert models <= set(steps)
    assert "seed_offices" in steps and "seed_offices" in steps["dim_offices"]["upstream"]
    # Dependencies come from depends_on, and every task comes after its upstreams.
    assert "int_entity_profiles" in steps["fct_express_features"]["upstream"]
    seen = set()
    for step in plan:
        assert set(step["upstream"]) <= seen, step
        seen.add(step["task_id"])
    # A relationships test reads two models: it runs with the later one, after both.
    rel = steps["fct_shipments"]
    assert any(t.startswith("relationships_fct_express_features") for t in rel["select"].split())
    assert "fct_express_features" in rel["upstream"]
    # Each multi-parent test is placed exactly once.
    extra = [t for step in plan for t in step["select"].split()[1:]]
    assert len(extra) == len(set(extra))


def test_transform_dag_runs_one_task_per_model(settings):
    env = {**os.environ, "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1", "CUSTOMS_RISK_HOME": str(settings.home)}
    done = subprocess.run([sys.executable, "-c", RUN, DAY.isoformat()], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-5000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["state"].endswith("success")
    assert "marts.fct_express_features" in result["tasks"] and "publish_features" in result["tasks"]
    assert all(n > 0 for n in result["counts"].values()), result["counts"]
    assert {row["source"] for row in result["quality"]} == {"declarations", "shipments", "travellers",
                                                           "cctv_events", "inspections"}
