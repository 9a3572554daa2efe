"""``make bench-day``: one day landed on top of a history and run under the scheduler, end to end.

In a fresh home (``bench_home("day")``): a history of ``--history-days`` days at ``--history-scale`` is
simulated and loaded, built and trained directly through ``customs_risk.stages`` (so each lane has a
champion), then ``customs-risk airflow``'s service starts, the bench day is written into the landing
folder at ``--scale`` (1.0 = a full Korean day: 700k shipments, 120k declarations, 100k travellers,
1M CCTV events; 5.0 = a US-sized day) and nothing else is done: the landing watcher, ingest, transform,
train and score DAGs run on their own.

Per stage (each DAG run's wall time from the API, its tasks' times, the rows it handled, rows/s and the
peak memory of the service's whole process tree while it ran) and the total from "files landed" to "the
day's lists are written" go to ``bench/results.json`` under ``day.scale_<S>``; with more than one scale
measured, ``day.growth`` gives one ratio per stage (seconds at the larger scale / seconds at 1.0), and
``day.dbt_nodes_growth`` one per dbt model.

    python -m bench.day_bench [--scale 1.0] [--history-days 7] [--history-scale 0.05] [--dbt-tasks layer]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import sys
import time

from bench.run import RESULTS, MemorySampler, bench_home, merge_results

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


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _wait_score_run(service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.check_running()
        runs = service.runs("customs_risk_score")
        if any(r["state"] == "failed" for r in runs):
            raise RuntimeError("the score run failed")
        if any(r["state"] == "success" for r in runs):
            return
        time.sleep(2)
    raise TimeoutError(f"no score run within {timeout:.0f} s")


def _stage_runs(service, memory: MemorySampler, since: dt.datetime) -> dict:
    """Per DAG of the chain: its runs since the files landed, wall seconds, task seconds, peak memory."""
    stages = {}
    for dag_id in CHAIN:
        runs = [r for r in service.runs(dag_id) if r["state"] == "success" and _when(r["start_date"]) >= since]
        tasks, seconds, peak, last_end = {}, 0.0, 0, None
        for run in runs:
            start, end = _when(run["start_date"]), _when(run["end_date"])
            seconds += (end - start).total_seconds()
            peak = max(peak, memory.peak_mb(start, end))
            instances = service.api(f"dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances?limit=200")
            for ti in instances["task_instances"]:
                if ti.get("duration") is not None:
                    tasks[ti["task_id"]] = round(tasks.get(ti["task_id"], 0.0) + ti["duration"], 1)
                if ti["task_id"].startswith("score_") and ti.get("end_date"):
                    last_end = max(filter(None, [last_end, _when(ti["end_date"])]))
        stages[dag_id.removeprefix("customs_risk_")] = {"runs": len(runs), "seconds": round(seconds, 1),
                                                        "peak_rss_mb": peak, "tasks": tasks}
        if last_end is not None:
            stages["score"]["lists_written_s"] = round((last_end - since).total_seconds(), 1)
    return stages


def _day_rows(settings, day: dt.date) -> dict:
    """Rows the day brought per stage: loaded per source, feature rows and scored rows per lane."""
    from core.contracts import CONTRACTS
    from core.warehouse import Warehouse

    with Warehouse(settings).reader() as warehouse:
        def count(sql: str, *params) -> int:
            return int(warehouse.query_df(sql, [*params, day]).iloc[0, 0])

        return {
            "ingest": {source: count(f'select count(*) from raw."{source}" where _batch_date = ?')
                       for source in CONTRACTS},
            "transform": {lane: count(f'select count(*) from marts."fct_{lane}_features" where item_date = ?')
                          for lane in settings.lanes},
            "score": {lane: count("select count(*) from scoring.daily_selection where lane = ? and item_date = ?", lane)
                      for lane in settings.lanes},
        }


def _dbt_nodes(settings, since: dt.datetime) -> dict[str, float]:
    """Seconds per dbt model/test of the day's build (transform.dbt_build's node timing log)."""
    from transform.dbt_build import NODE_TIMINGS

    path = settings.home / "logs" / "dbt" / NODE_TIMINGS
    nodes: dict[str, float] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        entry = json.loads(line)
        if _when(entry["finished_at"]) >= since.replace(microsecond=0):
            name = entry["node"].split(".", 2)[-1] if entry["type"] != "test" else entry["node"]
            nodes[name] = round(nodes.get(name, 0.0) + entry["seconds"], 2)
    return dict(sorted(nodes.items(), key=lambda kv: -kv[1]))


def _with_rates(stages: dict, rows: dict) -> dict:
    for stage, handled in rows.items():
        total = sum(handled.values())
        stages[stage] |= {"rows": handled, "rows_per_s": round(total / stages[stage]["seconds"])
                          if stages[stage]["seconds"] else None}
    return stages


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
        memory = MemorySampler(service.processes_alive)
        memory.start()
        clock = time.perf_counter()
        simulate_day(day, settings, scale=scale)
        landed_at, landed = dt.datetime.now(dt.timezone.utc), time.perf_counter()
        _wait_score_run(service, timeout)
        total = time.perf_counter() - landed
        memory.stop()
        stages = _stage_runs(service, memory, landed_at)
    figures = {"day": day.isoformat(), "scale": scale, "history_days": history_days, "history_scale": history_scale,
               "lanes": list(settings.lanes), "dbt_tasks": settings.dbt_tasks,
               "simulate_s": round(landed - clock, 1), "history_build_s": round(history_s, 1),
               "total_s": round(total, 1), "lists_written_s": stages["score"].get("lists_written_s"),
               "peak_rss_mb": memory.peak_mb(), "load_average_after": [round(x, 2) for x in os.getloadavg()],
               "stages": _with_rates(stages, _day_rows(settings, day)),
               "dbt_nodes_s": _dbt_nodes(settings, landed_at),
               "note": "total = files landed -> score run done (monitoring included), lists_written_s = files landed -> the last lane's list written; under the scheduler (watcher poll, queueing and "
                       "task start included); a stage's seconds = its DAG runs' wall time; peak_rss_mb = the "
                       "service's whole process tree (components + task processes), sampled every 0.5 s"}
    merge_results("day", _merged(figures))
    return figures


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _merged(figures: dict) -> dict:
    """The day key with this scale's figures beside the others', and the growth ratios against scale 1."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    day = {k: v for k, v in results.get("day", {}).items() if k.startswith("scale_")}
    day[f"scale_{figures['scale']:g}"] = figures
    base = day.get("scale_1")
    growth, node_growth = {}, {}
    for key, other in sorted(day.items()):
        if base is None or other is base:
            continue
        growth[key] = {"rows": ratio(other["scale"], base["scale"]), "total_s": ratio(other["total_s"], base["total_s"])}
        growth[key] |= {stage: ratio(other["stages"][stage]["seconds"], base["stages"][stage]["seconds"])
                        for stage in base["stages"] if stage in other["stages"]}
        node_growth[key] = {node: ratio(s, base["dbt_nodes_s"][node]) for node, s in other["dbt_nodes_s"].items()
                            if base["dbt_nodes_s"].get(node, 0) >= 0.5}
    return day | {"growth_over_scale_1": growth, "dbt_nodes_growth_over_scale_1": node_growth}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of a full Korean day for the bench day")
    parser.add_argument("--history-days", type=int, default=7)
    parser.add_argument("--history-scale", type=float, default=0.05)
    parser.add_argument("--dbt-tasks", choices=("layer", "model"), default="layer",
                        help="dbt as three per-layer tasks (default: on DuckDB's single writer, per-model tasks "
                             "add ~6 s of task start each, serialised) or one task per model")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the day's lists")
    args = parser.parse_args(argv)
    os.environ["CUSTOMS_RISK_DBT_TASKS"] = args.dbt_tasks
    figures = run(args.scale, args.history_days, args.history_scale, args.timeout)
    log.info("day bench: %s", json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
