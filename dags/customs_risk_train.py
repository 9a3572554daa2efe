"""Retraining per lane after each transform, when the retrain policy says so (no champion yet, the weekly
retrain on Mondays of traffic, enough new labels, or drift recorded by monitoring: customs_risk.stages.retrain_decision), in three
steps: train (register @challenger) -> validate (the gate against @champion) -> promote. A lane not due,
or with too little labelled data, is skipped, not failed. Then MODELS tells the score DAG which champion
serves the day, whether or not it changed. A run asked for by DRIFT alone (monitoring's retrain request)
publishes nothing: the new champion serves from the next day's scoring, and the day is not re-scored
(which would monitor, and ask, again)."""
from __future__ import annotations

import logging

from airflow.sdk import AssetAny, dag, get_current_context, task

from core.settings import get_settings
from customs_risk.assets import DRIFT, LABELS, MODELS, WAREHOUSE_POOL
from customs_risk.dag_defaults import business_days, dag_kwargs

log = logging.getLogger(__name__)


def _decide(lane: str) -> dict:
    """{"day", "why"} when the lane is due; skips the lane's train, validate and promote otherwise."""
    from airflow.sdk.exceptions import AirflowSkipException

    from customs_risk.stages import retrain_decision

    day = business_days(get_current_context())[-1]
    retrain, why = retrain_decision(lane, day)
    if not retrain:
        raise AirflowSkipException(f"{lane}: not retrained: {why}")
    log.info("%s: retraining for %s: %s", lane, day, why)
    return {"day": day.isoformat(), "why": why}


def _train(lane: str, decision: dict) -> dict:
    """Train on the items up to the decided business day (a rerun of the day trains on the same data)."""
    import datetime as dt

    from airflow.sdk.exceptions import AirflowSkipException

    from customs_risk.stages import train
    from ml.train import NotEnoughDataError

    try:
        result = train(lane, as_of=dt.date.fromisoformat(decision["day"]))
    except NotEnoughDataError as exc:
        raise AirflowSkipException(str(exc)) from exc
    log.info("%s: model version %s aliases %s metrics %s", lane, result.get("model_version"),
             result.get("aliases"), result.get("metrics"))
    return {k: v for k, v in result.items() if k in ("run_id", "model_version")}


def _validate(lane: str, trained: dict) -> dict:
    from customs_risk.stages import validate

    verdict = validate(lane)
    log.info("%s: gate %s for version %s: %s", lane, "passed" if verdict["passed"] else "failed",
             verdict["challenger_version"], verdict["reason"])
    return {"passed": verdict["passed"], "challenger_version": verdict["challenger_version"]}


def _promote(lane: str, verdict: dict) -> dict:
    from customs_risk.stages import promote

    result = promote(lane, validate=False)   # the validate task just ran the gate
    log.info("%s: champion v%s, promoted %s: %s", lane, result.get("champion_version"), result.get("promoted"),
             result.get("reason"))
    return {k: v for k, v in result.items() if isinstance(v, (int, float, str, bool)) or v is None}


def _publish() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    context = get_current_context()
    events = context.get("triggering_asset_events") or {}
    if events and not any(getattr(key, "name", key) == LABELS.name for key in events):
        raise AirflowSkipException("retrain asked for by monitoring: the champion serves from the next day")
    for asset in MODELS.values():
        context["outlet_events"][asset].extra = {"day": business_days(context)[-1].isoformat()}


@dag(dag_id="customs_risk_train", schedule=AssetAny(LABELS, *DRIFT.values()), **dag_kwargs(__doc__, "ml"))
def customs_risk_train():
    publish = task(task_id="publish_models", outlets=list(MODELS.values()), trigger_rule="all_done")(_publish)()
    for lane in get_settings().lanes:   # the lanes this deployment runs (CUSTOMS_RISK_LANES)
        decision = task(task_id=f"decide_{lane}", pool=WAREHOUSE_POOL)(_decide)(lane)
        trained = task(task_id=f"train_{lane}", pool=WAREHOUSE_POOL)(_train)(lane, decision)
        verdict = task(task_id=f"validate_{lane}", pool=WAREHOUSE_POOL)(_validate)(lane, trained)
        task(task_id=f"promote_{lane}", pool=WAREHOUSE_POOL)(_promote)(lane, verdict) >> publish


dag = customs_risk_train()
