"""Weekly retraining: one XGBoost model per lane, tracked and registered in MLflow."""
from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from customs_risk.settings import LANES


def _train(lane: str) -> dict:
    from customs_risk.stages import train

    result = train(lane)
    print(f"{lane}: model version {result.get('model_version')} aliases {result.get('aliases')} metrics {result.get('metrics')}")
    return {k: v for k, v in result.items() if k in ("run_id", "model_version")}


@dag(dag_id="customs_risk_train", schedule="@weekly", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
     catchup=False, max_active_runs=1, tags=["customs-risk", "ml"],
     doc_md="Out-of-time training per lane; the first model of a lane becomes `@champion`.")
def customs_risk_train():
    for lane in LANES:
        task(task_id=f"train_{lane}")(_train)(lane)


dag = customs_risk_train()
