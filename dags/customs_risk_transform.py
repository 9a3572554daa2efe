"""dbt build, layer by layer, whenever every source has landed a new day."""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

from customs_risk.assets import FEATURES, RAW, WAREHOUSE_POOL

LAYERS = ("staging", "intermediate", "marts")


def _build(layer: str) -> None:
    from customs_risk.stages import day_from_context, transform

    context = get_current_context()
    transform(select=f"path:models/{layer}")
    if layer == LAYERS[-1]:
        day = day_from_context(context).isoformat()
        for asset in FEATURES.values():
            context["outlet_events"][asset].extra = {"day": day}


@dag(dag_id="customs_risk_transform", schedule=(RAW["declarations"] & RAW["shipments"] & RAW["travellers"]
                                                & RAW["cctv_events"] & RAW["inspections"]),
     start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_runs=1,
     tags=["customs-risk", "dbt"], doc_md="Staging, intermediate and marts (incl. point-in-time features) in dbt.")
def customs_risk_transform():
    previous = None
    for layer in LAYERS:
        outlets = list(FEATURES.values()) if layer == LAYERS[-1] else []
        current = task(task_id=f"dbt_build_{layer}", outlets=outlets, pool=WAREHOUSE_POOL)(_build)(layer)
        if previous is not None:
            previous >> current
        previous = current


dag = customs_risk_transform()
