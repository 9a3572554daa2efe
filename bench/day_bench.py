"""``make bench-day``: one day landed on top of a history and run under the scheduler, end to end.

In a fresh home (``bench_home("day")``): a history of ``--history-days`` days at ``--history-scale`` is
simulated and loaded, built and trained directly through ``customs_risk.stages`` (so each lane has a
champion), then ``customs-risk airflow``'s service starts, the bench day is written into the landing
folder at ``--scale`` (1.0 = a full Korean day: 700k shipments, 120k declarations, 100k travellers,
1M CCTV events) and nothing else is done: the landing watcher, ingest, transform, train and score DAGs
run on their own. Each DAG run's wall time (from the API) and the total from "files landed" to "the
day's lists are written" go to ``bench/results.json`` under "day" (other keys kept).

    python -m bench.day_bench [--scale 1.0] [--history-days 4] [--history-scale 0.01]
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import socket
import sys
import time

from bench.run import bench_home, merge_results

START = dt.date(2026, 3, 2)
CHAIN = ("customs_risk_landing", "customs_risk_ingest", "customs_risk_transform", "customs_risk_train",
         "customs_risk_score")
log = logging.getLogger("bench.day")


def _history(settings, days: list[dt.date], scale: float) -> None:
    from core.contracts import CONTRACTS
    from customs_risk import stages
    from ml.train import NotEnoughDataError
    from simworld.simulator import simulate_day

    for day in days:
        simulate_day(day, settings, scale=scale)
        for source in CONTRACTS:
            stages.ingest(source, day, settings)
        stages.mark_landed(day, settings)
    stages.transform(settings=settings)
    for lane in settings.lanes:
        try:
            stages.train(lane, as_of=days[-1], settings=settings)
        except NotEnoughDataError as exc:
            log.warning("%s: no champion from the history: %s", lane, exc)


def _seconds(run: dict) -> float:
    start, end = (dt.datetime.fromisoformat(run[k].replace("Z", "+00:00")) for k in ("start_date", "end_date"))
    return round((end - start).total_seconds(), 1)


def _wait_score_run(service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.check_running()
        runs = service.runs("customs_risk_score")
        if any(r["state"] == "failed" for r in runs):
            raise RuntimeError("the score run failed")
        if any(r["state"] == "success" for r in runs):
            return
        time.sleep(5)
    raise TimeoutError(f"no score run within {timeout:.0f} s")


def run(scale: float, history_days: int, history_scale: float, timeout: float) -> dict:
    from core.settings import get_settings
    from customs_risk.airflow_service import AirflowService
    from simworld.simulator import simulate_day

    bench_home("day")
    settings = get_settings()
    days = [START + dt.timedelta(days=i) for i in range(history_days)]
    clock = time.perf_counter()
    _history(settings, days, history_scale)
    history_s = time.perf_counter() - clock
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    day = days[-1] + dt.timedelta(days=1)
    with AirflowService(settings, port=port) as service:
        service.wait_healthy(timeout=300)
        clock = time.perf_counter()
        simulate_day(day, settings, scale=scale)
        landed = time.perf_counter()
        _wait_score_run(service, timeout)
        total = time.perf_counter() - landed
        stages = {dag_id.removeprefix("customs_risk_") + "_s": sum(_seconds(r) for r in service.runs(dag_id)
                                                                  if r["state"] == "success")
                  for dag_id in CHAIN}
    figures = {"day": day.isoformat(), "scale": scale, "history_days": history_days, "history_scale": history_scale,
               "lanes": list(settings.lanes), "dbt_tasks": settings.dbt_tasks,
               "simulate_s": round(landed - clock, 1), "history_build_s": round(history_s, 1),
               "stages_s": stages, "total_s": round(total, 1),
               "note": "total = files landed -> score run done, under the scheduler (watcher poll, queueing and "
                       "task start included); stages = sum of each DAG's successful run wall times"}
    merge_results("day", figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of a full Korean day for the bench day")
    parser.add_argument("--history-days", type=int, default=4)
    parser.add_argument("--history-scale", type=float, default=0.01)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the day's lists")
    args = parser.parse_args(argv)
    figures = run(args.scale, args.history_days, args.history_scale, args.timeout)
    log.info("day bench: %s", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
