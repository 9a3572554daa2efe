"""What every project DAG shares: operational defaults, the failure log line, the first business day.

Retries cover what a rerun can fix (a locked warehouse file, a slow disk); every task is idempotent
(a day's partition is replaced, never appended), so a retry changes nothing but the outcome.
"""
from __future__ import annotations

import datetime as dt
import logging

import pendulum

log = logging.getLogger("customs_risk.dags")

# Runs are keyed on business days, never on the wall clock: nothing to catch up from a start date.
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
TAGS = ["customs-risk"]


def business_days(context) -> list[dt.date]:
    """The business days of a run (see customs_risk.stages.days_from_context)."""
    from customs_risk.stages import days_from_context

    return days_from_context(context)


def log_failure(context) -> None:
    """on_failure_callback: one line naming the DAG, the task, the business day and the error."""
    ti = context.get("ti") or context.get("task_instance")
    try:
        days = ", ".join(d.isoformat() for d in business_days(context))
    except ValueError:
        days = "unknown"
    log.error("customs-risk: %s.%s failed for business day %s (try %s): %s",
              getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?"), days,
              getattr(ti, "try_number", "?"), context.get("exception"))


DEFAULT_ARGS = {
    "owner": "customs-risk",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=1),
    "execution_timeout": dt.timedelta(hours=1),
    "on_failure_callback": log_failure,
}


def dag_kwargs(doc: str, *tags: str) -> dict:
    """The ``@dag`` arguments every project DAG shares: one run at a time, in business-day order."""
    return {"start_date": START_DATE, "catchup": False, "max_active_runs": 1, "default_args": DEFAULT_ARGS,
            "tags": [*TAGS, *tags], "doc_md": doc}
