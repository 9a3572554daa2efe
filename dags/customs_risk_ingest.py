"""Nightly ingest: one task per source loads the day's landing files, validated by its GE suite."""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

from customs_risk.assets import RAW, WAREHOUSE_POOL
from core.contracts import CONTRACTS


def _load(source: str) -> dict:
    from customs_risk.stages import day_from_context, ingest

    context = get_current_context()
    day = day_from_context(context)
    report = ingest(source, day)
    print(report.summary())
    context["outlet_events"][RAW[source]].extra = {"day": day.isoformat(), "rows": report.rows_loaded}
    return {"day": day.isoformat(), "loaded": report.rows_loaded, "quarantined": report.rows_quarantined}


@dag(dag_id="customs_risk_ingest", schedule="@daily", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
     catchup=False, max_active_runs=1, tags=["customs-risk", "ingest"],
     doc_md="Load each source's landing files of the run's day into `raw.<source>`; bad rows to `raw.quarantine`.")
def customs_risk_ingest():
    for source in CONTRACTS:
        task(task_id=f"load_{source}", outlets=[RAW[source]], pool=WAREHOUSE_POOL)(_load)(source)


dag = customs_risk_ingest()
