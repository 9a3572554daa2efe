"""Daily scoring once the train DAG has settled the day's champion: each lane's champion ranks the day's
traffic and selects within capacity. Writes ``scoring.daily_selection``, one CSV per office and lane, and
LISTS (the day's list per lane). Re-scoring a day replaces its lists. Then monitoring compares the day
with the champion's training window; drift beyond the act threshold raises DRIFT (a retrain request)."""
from __future__ import annotations

import logging

from airflow.sdk import dag, get_current_context, task

from core.settings import get_settings
from customs_risk.assets import DRIFT, LISTS, MODELS, WAREHOUSE_POOL
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
        log.info("%s %s: scored %s, selected %s (exploration %s) with %s v%s; seconds per phase %s", lane,
                 result["day"], result["rows"], result["selected"], result["exploration_selected"],
                 result["model_name"], result["model_version"], result["timings"])
        results.append({k: str(v) for k, v in result.items() if k in ("day", "rows", "selected", "model_version")})
    context["outlet_events"][LISTS[lane]].extra = {"day": results[-1]["day"]}
    return results


def _monitor(lane: str, scored: list[dict]) -> dict:
    """Monitoring of each scored day: PSI against the training window, volumes, weekly hit rates."""
    import datetime as dt

    from customs_risk.stages import monitor

    levels = []
    for entry in scored:
        result = monitor(lane, dt.date.fromisoformat(entry["day"]))
        log.info("%s %s: monitoring %s%s", lane, result["day"], result["level"],
                 "".join(f"; {w}" for w in result["warnings"]))
        levels.append(result["level"])
    return {"day": scored[-1]["day"], "act": "act" in levels}


def _request_retrain(lane: str, monitored: dict) -> None:
    """Emit DRIFT (the train DAG retrains through its policy, which reads the recorded flag) only on 'act'."""
    from airflow.sdk.exceptions import AirflowSkipException

    if not monitored["act"]:
        raise AirflowSkipException(f"{lane}: no drift beyond the act threshold")
    get_current_context()["outlet_events"][DRIFT[lane]].extra = {"day": monitored["day"]}


# The day's lists and their monitoring take the writer pool before a retrain that monitoring of an earlier
# lane has just asked for (measured: a scale-5 retrain held the pool for five minutes ahead of the last
# monitoring task).
FIRST = 100


@dag(dag_id="customs_risk_score", schedule=[MODELS[lane] for lane in get_settings().lanes],
     **dag_kwargs(__doc__, "ml"))
def customs_risk_score():
    for lane in get_settings().lanes:   # the lanes this deployment runs (CUSTOMS_RISK_LANES)
        scored = task(task_id=f"score_{lane}", outlets=[LISTS[lane]], pool=WAREHOUSE_POOL,
                      priority_weight=FIRST)(_score)(lane)
        monitored = task(task_id=f"monitor_{lane}", pool=WAREHOUSE_POOL, priority_weight=FIRST)(_monitor)(lane, scored)
        task(task_id=f"request_retrain_{lane}", outlets=[DRIFT[lane]])(_request_retrain)(lane, monitored)


dag = customs_risk_score()
