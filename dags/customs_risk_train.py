"""Retraining per lane in three steps: train (register as @challenger) -> validate (the gate against
@champion, verdict tagged on the version) -> promote (move @champion, keep @previous_champion).
Runs weekly, and when new inspection outcomes land: such a run retrains a lane only once enough
outcomes were recorded after its champion's validation window (CUSTOMS_RISK_RETRAIN_MIN_NEW_LABELS).
A lane with too little labelled data, or too few new labels, is skipped, not failed."""
from __future__ import annotations

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from customs_risk.assets import RAW
from core.settings import get_settings


def _train(lane: str, triggering_asset_events=None) -> dict:
    """Airflow passes ``triggering_asset_events`` (empty on the weekly run)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from customs_risk.stages import train
    from ml.train import NotEnoughDataError

    if triggering_asset_events:      # new inspection outcomes, not the weekly run
        from ml.retrain_policy import retrain_decision

        retrain, why = retrain_decision(lane, get_settings())
        if not retrain:
            raise AirflowSkipException(f"{lane}: not retrained: {why}")
        print(f"{lane}: retraining: {why}")
    try:
        result = train(lane)
    except NotEnoughDataError as exc:
        raise AirflowSkipException(str(exc)) from exc
    print(f"{lane}: model version {result.get('model_version')} aliases {result.get('aliases')} metrics {result.get('metrics')}")
    return {k: v for k, v in result.items() if k in ("run_id", "model_version")}


def _validate(lane: str, trained: dict) -> dict:
    from customs_risk.stages import validate as validate_challenger

    verdict = validate_challenger(lane)
    print(f"{lane}: gate {'passed' if verdict['passed'] else 'failed'} for version {verdict['challenger_version']}: {verdict['reason']}")
    return {"passed": verdict["passed"], "challenger_version": verdict["challenger_version"]}


def _promote(lane: str, verdict: dict) -> dict:
    from customs_risk.stages import promote

    result = promote(lane, validate=False)
    print(f"{lane}: champion v{result.get('champion_version')}, promoted {result.get('promoted')}: {result.get('reason')}")
    return {k: v for k, v in result.items() if isinstance(v, (int, float, str, bool)) or v is None}


@dag(dag_id="customs_risk_train",
     schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 2 * * 1", timezone="UTC"),
                                  assets=RAW["inspections"]),
     start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_runs=1,
     tags=["customs-risk", "ml"], doc_md=__doc__)
def customs_risk_train():
    for lane in get_settings().lanes:   # the lanes this deployment runs (CUSTOMS_RISK_LANES)
        trained = task(task_id=f"train_{lane}")(_train)(lane)
        verdict = task(task_id=f"validate_{lane}")(_validate)(lane, trained)
        task(task_id=f"promote_{lane}")(_promote)(lane, verdict)


dag = customs_risk_train()
