"""dbt build once every source has landed a new business day: one task per dbt model (and seed), rendered
from the committed, pruned manifest (``make manifest``), so a failing model shows by name in the UI.
Publishes the day's feature tables (FEATURES) and inspection outcomes (LABELS) for train and score."""
from __future__ import annotations

from airflow.sdk import dag, get_current_context, task

from customs_risk.assets import FEATURES, LABELS, RAW, WAREHOUSE_POOL
from customs_risk.dag_defaults import business_days, dag_kwargs
from customs_risk.dbt_tasks import dbt_task_group


def _build(select: str) -> None:
    """``dbt build --select <node and its multi-parent tests>``; the tests read the rows from the run's
    oldest business day on (var test_since, macros/test_where.sql)."""
    from customs_risk.stages import transform

    transform(select=select, test_since=business_days(get_current_context())[0])


def _publish() -> None:
    """Every model and test succeeded: tell train and score which days' features and labels are ready."""
    context = get_current_context()
    days = business_days(context)
    extra = {"day": days[-1].isoformat(), "first_day": days[0].isoformat()}
    for asset in [*FEATURES.values(), LABELS]:
        context["outlet_events"][asset].extra = extra


@dag(dag_id="customs_risk_transform", schedule=(RAW["declarations"] & RAW["shipments"] & RAW["travellers"]
                                                & RAW["cctv_events"] & RAW["inspections"]),
     **dag_kwargs(__doc__, "dbt"))
def customs_risk_transform():
    leaves = dbt_task_group(task(pool=WAREHOUSE_POOL)(_build))
    leaves >> task(task_id="publish_features", outlets=[*FEATURES.values(), LABELS])(_publish)()


dag = customs_risk_transform()
