"""Watches the landing folder: each business day whose files have landed gets one ingest run, with that
day as its logical date and ``traffic_day__<day>`` as its run id. Nothing runs for a day without files."""
from __future__ import annotations

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, get_current_context, task

from core.settings import get_settings
from customs_risk.dag_defaults import dag_kwargs
from customs_risk.landing_trigger import landing_asset

LANDING = landing_asset(get_settings())


def _ingest_runs() -> list[dict]:
    """One trigger request per landed day, from the watcher's events, oldest first."""
    events = get_current_context()["triggering_asset_events"]
    days = sorted({day for asset_events in events.values() for event in asset_events
                   for day in (event.extra or {}).get("payload", {}).get("days", [])})
    return [{"logical_date": f"{day}T00:00:00+00:00", "trigger_run_id": f"traffic_day__{day}",
             "conf": {"day": day}} for day in days]


@dag(dag_id="customs_risk_landing", schedule=[LANDING], **dag_kwargs(__doc__, "ingest"))
def customs_risk_landing():
    runs = task(task_id="landed_days")(_ingest_runs)()
    TriggerDagRunOperator.partial(task_id="trigger_ingest", trigger_dag_id="customs_risk_ingest",
                                  skip_when_already_exists=True,
                                  max_active_tis_per_dagrun=1).expand_kwargs(runs)   # oldest day first


dag = customs_risk_landing()
