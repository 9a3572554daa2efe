"""dbt build whenever every source has landed a new day: one task per dbt model (and seed), rendered from
the committed, pruned manifest (``python -m transform.dbt_build manifest``), so a failing model shows
by name in the Airflow UI. Without that manifest it falls back to one task per layer."""
from __future__ import annotations

import pendulum
from airflow.sdk import TaskGroup, dag, get_current_context, task

from customs_risk.assets import FEATURES, RAW, WAREHOUSE_POOL
from transform.dbt_build import dag_plan

LAYERS = {"staging": "path:seeds path:models/staging", "intermediate": "path:models/intermediate",
          "marts": "path:models/marts"}


def _build(select: str) -> None:
    """``dbt build --select <node and its multi-parent tests> --indirect-selection cautious``; the tests
    read the rows from the run's oldest business day on (var test_since, macros/test_where.sql)."""
    from core.settings import get_settings
    from customs_risk.stages import days_from_context
    from transform.dbt_build import build

    first_day = days_from_context(get_current_context())[0]
    build(get_settings(), select=select, light=True, vars={"test_since": first_day.isoformat()})


def _publish() -> None:
    """Every model and test succeeded: tell the score DAG which day's features are ready."""
    from customs_risk.stages import day_from_context

    context = get_current_context()
    day = day_from_context(context).isoformat()
    for asset in FEATURES.values():
        context["outlet_events"][asset].extra = {"day": day}


@dag(dag_id="customs_risk_transform", schedule=(RAW["declarations"] & RAW["shipments"] & RAW["travellers"]
                                                & RAW["cctv_events"] & RAW["inspections"]),
     start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_runs=1,
     tags=["customs-risk", "dbt"], doc_md=__doc__)
def customs_risk_transform():
    plan = dag_plan() or [{"task_id": f"dbt_build_{layer}", "group": None, "select": select,
                           "upstream": [f"dbt_build_{previous}"] if previous else []}
                          for previous, (layer, select) in zip([None, *LAYERS], LAYERS.items())]
    groups: dict[str, TaskGroup] = {}
    tasks = {}
    for step in plan:
        group = step["group"]
        if group and group not in groups:
            groups[group] = TaskGroup(group_id=group)
        tasks[step["task_id"]] = task(task_id=step["task_id"], pool=WAREHOUSE_POOL, task_group=groups.get(group),
                                      doc=f"dbt build --select {step['select']}")(_build)(step["select"])
    for step in plan:
        for parent in step["upstream"]:
            tasks[parent] >> tasks[step["task_id"]]
    downstream = {parent for step in plan for parent in step["upstream"]}
    publish = task(task_id="publish_features", outlets=list(FEATURES.values()))(_publish)()
    [tasks[t] for t in tasks if t not in downstream] >> publish


dag = customs_risk_transform()
