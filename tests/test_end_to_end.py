"""The whole platform on a tiny simulated world: Airflow runs the real DAGs, GE validates, dbt builds,
MLflow tracks and registers, XGBoost scores. Nothing is mocked."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from core.warehouse import Warehouse

DAYS, SCALE, START = 4, 0.004, "2026-03-02"
LAST_DAY = "2026-03-05"
SELECTION_COLUMNS = {"item_date", "lane", "office_id", "item_id", "score", "rank", "selected", "why",
                     "propensity", "model_name", "model_version"}


def test_demo_runs_every_dag_and_scores_the_last_day(settings):
    # Airflow reads its configuration at import: run the demo in its own interpreter.
    env = {**os.environ, "CUSTOMS_RISK_HOME": str(settings.home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1",
           "CUSTOMS_RISK_LANES": "express"}
    code = ("import json, datetime as dt; from customs_risk.demo import run_demo; "
            f"s = run_demo(days={DAYS}, scale={SCALE}, start=dt.date.fromisoformat('{START}')); "
            "print('SUMMARY ' + json.dumps(s, default=str))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    summary = json.loads(done.stdout.split("SUMMARY ", 1)[1].splitlines()[0])

    # Every source landed and loaded; the clean simulated days quarantined nothing.
    assert all(summary["raw_rows"][s] > 0 for s in ("declarations", "shipments", "travellers", "cctv_events",
                                                    "inspections"))
    assert summary["quarantined"] == {}

    # The scored list: one row per shipment of the day, the right columns, capacity respected.
    warehouse = Warehouse(settings)
    shipments = int(warehouse.query_df("select count(*) from raw.shipments where arrival_date = ?",
                                       [LAST_DAY]).iloc[0, 0])
    scored = pd.read_parquet(settings.scored_dir / LAST_DAY / "express.parquet")
    assert SELECTION_COLUMNS <= set(scored.columns)
    assert len(scored) == shipments > 0
    selected = scored[scored["selected"]]
    assert 0 < len(selected) <= sum(-(-n * settings.capacity_share["express"] // 1)
                                    for n in scored.groupby("office_id").size())
    office_files = list((settings.scored_dir / LAST_DAY / "express").glob("*.csv"))
    assert sum(len(pd.read_csv(f)) for f in office_files) == len(selected)

    # The registered champion beats random selection on the planted patterns.
    model = summary["models"]["express"]
    assert model["auc"] > 0.6
    assert model["true_hit_rate_model"] > 2 * model["true_hit_rate_random"]
    rates = summary["true_hit_rates"]["express"]
    assert rates["model_policy"] > rates["random"]
