"""Ingest of one business day (the run's logical date): one task per source loads the day's landing files,
validated by its GE suite, as the day's partition of ``raw.<source>`` (bad rows to ``raw.quarantine``).
Triggered by customs_risk_landing; a source without files that day is skipped, not failed."""
from __future__ import annotations

import logging

from airflow.sdk import dag, get_current_context, task

from core.contracts import CONTRACTS
from customs_risk.assets import RAW, WAREHOUSE_POOL
from customs_risk.dag_defaults import business_days, dag_kwargs

log = logging.getLogger(__name__)


def _load(source: str) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from customs_risk.stages import has_landing_files, ingest, mark_landed

    context = get_current_context()
    day = business_days(context)[-1]
    if not has_landing_files(source, day):
        raise AirflowSkipException(f"no landing files for {source} on {day}")
    report = ingest(source, day)
    mark_landed(day)
    log.info("%s", report.summary())
    context["outlet_events"][RAW[source]].extra = {"day": day.isoformat(), "rows": report.rows_loaded}
    return {"day": day.isoformat(), "loaded": report.rows_loaded, "quarantined": report.rows_quarantined}


@dag(dag_id="customs_risk_ingest", schedule=None, **dag_kwargs(__doc__, "ingest"))
def customs_risk_ingest():
    for source in CONTRACTS:
        task(task_id=f"load_{source}", outlets=[RAW[source]], pool=WAREHOUSE_POOL)(_load)(source)


dag = customs_risk_ingest()
