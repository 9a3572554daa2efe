"""Daily scoring: the champion of each lane ranks the day's traffic and selects within capacity."""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

from customs_risk.assets import FEATURES, WAREHOUSE_POOL
from core.settings import get_settings


def _score(lane: str) -> dict:
    from customs_risk.stages import day_from_context, score

    result = score(lane, day_from_context(get_current_context()))
    print(f"{lane} {result['day']}: scored {result['rows']}, selected {result['selected']} "
          f"(exploration {result['exploration_selected']}) with {result['model_name']} v{result['model_version']}")
    return {k: (str(v) if k == "html" else v) for k, v in result.items() if isinstance(v, (int, float, str)) or k == "html"}


@dag(dag_id="customs_risk_score", schedule=list(FEATURES.values()),
     start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_runs=1,
     tags=["customs-risk", "ml"], doc_md="Writes `scoring.daily_selection` and one CSV per office and lane.")
def customs_risk_score():
    for lane in get_settings().lanes:   # the lanes this deployment runs (CUSTOMS_RISK_LANES)
        task(task_id=f"score_{lane}", pool=WAREHOUSE_POOL)(_score)(lane)


dag = customs_risk_score()
