"""The demo: simulate a few days, run every DAG with Airflow in order, print one summary of what came out
and where to look. Everything else (Airflow's task logs, GE and dbt output, each lane's metrics) goes to
a log file the summary names, so the terminal shows only what a newcomer needs."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
import time
from pathlib import Path

from core.settings import Settings, get_settings
from customs_risk.demo_summary import render, summarise
from simworld.oracle import ORACLE
from simworld.simulator import DEFAULT_SCALE, simulate_days

DEFAULT_DAYS = 7
DEFAULT_START = dt.date(2026, 3, 2)
LOG_NAME = "demo.log"

log = logging.getLogger(__name__)


def run_demo(days: int | None = None, scale: float | None = None, start: dt.date | None = None,
             settings: Settings | None = None) -> dict:
    # Simulated people only: the published demo key is acceptable here and nowhere else.
    os.environ.setdefault("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    # The simulated world knows the truth: its oracle adds true hit rates to training, gate and scoring.
    os.environ.setdefault("CUSTOMS_RISK_ORACLE", ORACLE)
    settings = settings or get_settings()
    days = days or DEFAULT_DAYS
    start = start or DEFAULT_START
    score_day = start + dt.timedelta(days=days - 1)
    log_path = settings.home / LOG_NAME
    with output_to_log(log_path):
        log.info("customs-risk demo: %d days from %s; details in %s", days, start, log_path)
        timings = run_stages(start, days, scale, settings)
        summary = summarise(settings, score_day)
        summary["true_hit_rates"] = true_hit_rates(settings, score_day)
        summary["desk_user"] = demo_desk_user(settings, score_day)
        summary["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
        log.debug("summary with every champion metric: %s", json.dumps(summary, default=str, indent=1))
        log.info(render(summary, settings, start, score_day, log_path))
    return summary


def run_stages(start: dt.date, days: int, scale: float | None, settings: Settings) -> dict[str, float]:
    """Simulate, then each DAG with ``dag.test()``; returns seconds per stage."""
    from customs_risk import airflow_runner

    timings: dict[str, float] = {}
    score_day = start + dt.timedelta(days=days - 1)
    clock = time.perf_counter()
    airflow_runner.configure(settings)
    timings["airflow setup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    simulate(start, days, scale, settings)
    timings["simulate"] = time.perf_counter() - clock
    log.info("simulated %d days under %s", days, settings.landing_dir)

    clock = time.perf_counter()
    for i in range(days):
        day = start + dt.timedelta(days=i)
        airflow_runner.run_dag("customs_risk_ingest", day)
        log.info("ingest DAG: %s loaded", day)
    timings["ingest DAG"] = time.perf_counter() - clock

    # In production each landed day triggers the transform through its Assets; dag.test() has no
    # scheduler to follow them, so the demo runs each downstream DAG once, for the last day.
    for dag_id, label in (("customs_risk_transform", "transform DAG"), ("customs_risk_train", "train DAG"),
                          ("customs_risk_score", "score DAG")):
        clock = time.perf_counter()
        airflow_runner.run_dag(dag_id, score_day, logical=dag_id == "customs_risk_train",
                               first_day=start if dag_id == "customs_risk_transform" else None)
        timings[label] = time.perf_counter() - clock
        log.info("%s done in %.0f s", label, timings[label])
    return timings


@contextlib.contextmanager
def output_to_log(path: Path):
    """Send this process's stdout and stderr (Airflow task logs, GE, dbt, warnings) to ``path``, at the
    file-descriptor level so library handlers made before or during the run follow; this module's
    INFO lines still reach the terminal, and its DEBUG details only the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[0]), "w", buffering=1, encoding="utf-8")
    with path.open("a", encoding="utf-8") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    handlers = (_handler(logging.StreamHandler(terminal), logging.INFO),
                _handler(logging.FileHandler(path, encoding="utf-8"), logging.DEBUG))
    for handler in handlers:
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()
        log.propagate = True
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        terminal.close()


def _handler(handler: logging.Handler, level: int) -> logging.Handler:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def true_hit_rates(settings: Settings, day: dt.date) -> dict:
    """What only a simulator can tell: the share of truly risky items among today's picks
    (model and exploration), beside the historic rules and random selection."""
    from core.warehouse import Warehouse
    from simworld.truth import load_truth, policy_hit_rates

    picks = Warehouse(settings).query_df(
        "select lane, item_id from scoring.daily_selection where item_date = ? and selected", [day])
    out = {}
    for lane in settings.lanes:
        truth = load_truth(settings, lane, [day])
        if truth is None:
            continue
        chosen = picks.loc[picks["lane"] == lane, "item_id"]
        rates = policy_hit_rates(truth, chosen)
        out[lane] = {"selected": len(chosen), "rule_selected": int(truth["rule_selected"].sum()),
                     **{name: round(rates[f"true_hit_rate_{key}"], 3)
                        for name, key in (("model_policy", "model"), ("rule_policy", "rule"), ("random", "random"))}}
    return out


def demo_desk_user(settings: Settings, day: dt.date) -> dict | None:
    """A demo analyst for the office with the longest list of the day, its generated password kept in a
    file only the owner can read (never printed)."""
    import secrets

    from customs_risk.desk.auth import add_user
    from customs_risk.desk.store import Store

    store = Store(settings.desk_url)
    lists = sorted(store.lists_of_day(day), key=lambda r: (-r["n_items"], r["lane"], r["office"]))
    if not lists:
        return None
    best, password = lists[0], secrets.token_urlsafe(18)
    path = settings.home / "desk_demo_user.txt"
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_text(f"user: demo-analyst\npassword: {password}\n")
    add_user(store, "demo-analyst", "analyst", best["office"], best["lane"], password, by="demo")
    return {"username": "demo-analyst", "lane": best["lane"], "office": best["office"], "password_file": str(path)}


def simulate(start: dt.date, days: int, scale: float | None = None, settings: Settings | None = None) -> list[dict]:
    """Write simulated landing files (and their truth) for ``days`` days from ``start``."""
    settings = settings or get_settings()
    return simulate_days(start, days, settings, scale=DEFAULT_SCALE if scale is None else scale)
