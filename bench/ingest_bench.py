"""Ingest benchmark: simulate one day at ``scale`` and time validation + load of every source.

``run(settings, scale)`` returns rows/s per source, total seconds, peak RSS and the floor (merely reading
the same files with DuckDB ``read_csv``/``read_json``), and merges them into ``bench/results.json`` under
"ingest" (other keys are kept). ``python -m bench.ingest_bench [scale]`` runs it in a fresh home.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

from bench.run import RESULTS, merge_results

DAY = dt.date(2026, 3, 2)
SOURCES = ("declarations", "shipments", "travellers", "cctv_events", "inspections")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(settings, scale: float = 1.0, results_path: Path = RESULTS) -> dict:
    import duckdb

    from ingest.load import load_day
    from simworld.simulator import simulate_day

    os.environ.setdefault("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    files = simulate_day(DAY, settings, scale=scale)
    per_source, total_start = {}, time.perf_counter()
    for source in SOURCES:
        start = time.perf_counter()
        report = load_day(source, DAY, settings)
        seconds = time.perf_counter() - start
        rows = report.rows_loaded + report.rows_quarantined
        per_source[source] = {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
    total = time.perf_counter() - total_start
    floor = {}
    con = duckdb.connect()
    for source, path in files.items():
        start = time.perf_counter()
        reader = "read_json" if path.suffix == ".jsonl" else "read_csv"
        con.execute(f"select count(*) from {reader}(?)", [str(path)]).fetchone()
        floor[source] = round(time.perf_counter() - start, 2)
    result = {"scale": scale, "day": DAY.isoformat(), "total_seconds": round(total, 1),
              "peak_rss_mb": round(_peak_rss_mb()), "cpu_count": os.cpu_count(), "sources": per_source,
              "floor_seconds": floor, "floor_total_seconds": round(sum(floor.values()), 2),
              "measured_at": dt.datetime.now().isoformat(timespec="seconds")}
    merge_results("ingest", result, results_path)
    return result


if __name__ == "__main__":
    from bench.run import bench_home
    from core.settings import get_settings

    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    bench_home("ingest")
    print(json.dumps(run(get_settings(), scale), indent=2))
