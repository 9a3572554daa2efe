"""Daily scoring once the train DAG has settled the day's champion: each lane's champion ranks the day's
traffic and selects within capacity. Writes ``scoring.daily_selection``, one CSV per office and lane, and
LISTS (the day's list per lane). Re-scoring a day replaces its lists."""
from __future__ import annotations

import logging

from airflow.sdk import dag, get_current_context, task

from core.settings import get_settings
from customs_risk.assets import LISTS, MODELS, WAREHOUSE_POOL
from customs_risk.dag_defaults import business_days, dag_kwargs

log = logging.getLogger(__name__)


def _score(lane: str) -> list[dict]:
    from airflow.sdk.exceptions import AirflowSkipException

    from customs_risk.stages import has_champion, score

    if not has_champion(lane):
        raise AirflowSkipException(f"{lane} has no champion yet (not enough labelled data to train)")
    context = get_current_context()
    results = []
    for day in business_days(context):
        result = score(lane, day)
        log.info("%s %s: scored %s, selected %s (exploration %s) with %s v%s", lane, result["day"], result["rows"],
                 result["selected"], result["exploration_selected"], result["model_name"], result["model_version"])
        results.append({k: str(v) for k, v in result.items() if k in ("day", "rows", "selected", "model_version")})
    context["outlet_events"][LISTS[lane]].extra = {"day": results[-1]["day"]}
    return results


@dag(dag_id="customs_risk_score", schedule=[MODELS[lane] for lane in get_settings().lanes],
     **dag_kwargs(__doc__, "ml"))
def customs_risk_score():
    for lane in get_settings().lanes:   # the lanes this deployment runs (CUSTOMS_RISK_LANES)
        task(task_id=f"score_{lane}", outlets=[LISTS[lane]], pool=WAREHOUSE_POOL)(_score)(lane)


dag = customs_risk_score()
