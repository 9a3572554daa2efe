"""``make bench``: time each stage of the demo on days of 200,000 express shipments and write rows/s,
with the bare compute floors beside them, to ``bench/results.json`` (merged: other benches' keys stay).

Stages are called directly (what each DAG task does), so the figures measure the work, not Airflow's
scheduling overhead.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Callable

SHIPMENTS_PER_DAY = 200_000
HISTORY_DAYS = 3          # training needs labelled history before the scored day
START = dt.date(2026, 3, 2)
RESULTS = Path(__file__).resolve().parent / "results.json"


def bench_home(name: str) -> Path:
    """A fresh home per benchmark, never the demo's: benchmarks load days the demo does not expect."""
    root = Path(os.environ.get("CUSTOMS_RISK_BENCH_HOME", Path(__file__).resolve().parent.parent / "var" / "bench"))
    home = root / name
    shutil.rmtree(home, ignore_errors=True)
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    return home


class MemorySampler(threading.Thread):
    """Samples the resident memory of a process tree (``processes``: returns the psutil processes alive,
    such as a service's components and task processes) twice a second; ``peak_mb(start, end)`` is the
    largest total seen in a time window."""

    def __init__(self, processes: Callable[[], list], interval: float = 0.5):
        super().__init__(daemon=True)
        self.processes, self.interval = processes, interval
        self.samples: list[tuple[dt.datetime, float]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._stop_event.wait(self.interval):
            total = 0
            for process in self.processes():
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.samples.append((dt.datetime.now(dt.timezone.utc), total / 2**20))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peak_mb(self, start: dt.datetime | None = None, end: dt.datetime | None = None) -> int:
        seen = [mb for t, mb in self.samples if (start is None or t >= start) and (end is None or t <= end)]
        return round(max(seen)) if seen else 0


def this_process_tree() -> list:
    """This process and all its descendants (for ``MemorySampler``: a Dask cluster's workers included)."""
    import psutil

    me = psutil.Process()
    return [me, *me.children(recursive=True)]


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "python": platform.python_version(),
            "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def merge_results(key: str, figures: dict, path: Path = RESULTS) -> None:
    """Each benchmark owns one key of the results file; the others stay as they were."""
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = figures
    results.setdefault("machine", {}).update(machine())
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")


def timed(label: str, timings: dict, func, *args, **kwargs):
    """Run ``func``, adding its seconds to ``timings[label]`` (labels repeated in a loop accumulate)."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    timings[label] = round(timings.get(label, 0.0) + time.perf_counter() - start, 2)
    print(f"{label}: {timings[label]} s", flush=True)
    return result


def run_pipeline_bench() -> dict:
    bench_home("pipeline")
    from customs_risk import stages
    from core.settings import get_settings
    from core.warehouse import Warehouse
    from core.contracts import CONTRACTS
    from simworld.simulator import FULL_DAY_VOLUMES, simulate_days

    settings = get_settings()
    scale = SHIPMENTS_PER_DAY / FULL_DAY_VOLUMES["shipments"]
    days = [START + dt.timedelta(days=i) for i in range(HISTORY_DAYS + 1)]
    last = days[-1]
    timings: dict[str, float] = {}

    timed("simulate_all_days", timings, simulate_days, days[0], len(days), settings, scale)
    for day in days[:-1]:
        for source in CONTRACTS:
            stages.ingest(source, day, settings)
    rows = {}
    for source in CONTRACTS:
        report = timed(f"ingest_{source}", timings, stages.ingest, source, last, settings)
        rows[source] = report.rows_loaded
    timed("transform_dbt_build", timings, stages.transform, settings=settings)
    lanes = ("express",)
    for lane in lanes:
        timed(f"train_{lane}", timings, stages.train, lane, settings, as_of=last - dt.timedelta(days=1))
        result = timed(f"score_{lane}", timings, stages.score, lane, last, settings)
        rows[f"score_{lane}"] = result["rows"]

    floors = {"duckdb_read_landing_files_s": _read_floor(settings, last),
              "xgboost_predict_pass_s": _predict_floor(settings, last)}
    warehouse_rows = int(Warehouse(settings).query_df(
        "select count(*) from marts.fct_express_features").iloc[0, 0])
    rows_per_s = {f"ingest_{s}": round(rows[s] / timings[f"ingest_{s}"]) for s in CONTRACTS}
    rows_per_s["transform_feature_rows"] = round(warehouse_rows / timings["transform_dbt_build"])
    rows_per_s["score_express"] = round(rows["score_express"] / timings["score_express"])
    return {"shipments_per_day": SHIPMENTS_PER_DAY, "scale": round(scale, 4), "days_loaded": len(days),
            "rows_last_day": rows, "seconds": timings, "rows_per_second": rows_per_s, "floors": floors}


def _read_floor(settings, day: dt.date) -> float:
    import duckdb

    start = time.perf_counter()
    conn = duckdb.connect()
    for folder in settings.landing_dir.iterdir():
        for path in (folder / day.isoformat()).glob("*"):
            reader = "read_json_auto" if path.suffix == ".jsonl" else "read_csv_auto"
            conn.execute(f"select count(*) from {reader}('{path}')").fetchone()
    return round(time.perf_counter() - start, 2)


def _predict_floor(settings, day: dt.date) -> float:
    import mlflow
    import xgboost

    from core.warehouse import Warehouse
    from ml.tracking import configure_mlflow

    configure_mlflow("express", settings)
    model = mlflow.xgboost.load_model(f"models:/{settings.model_name('express')}@champion")
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    frame = Warehouse(settings).query_df("select * from marts.fct_express_features where item_date = ?", [day])
    features = frame[booster.feature_names]
    start = time.perf_counter()
    booster.predict(xgboost.DMatrix(features))
    return round(time.perf_counter() - start, 3)


def main() -> int:
    figures = run_pipeline_bench()
    merge_results("pipeline", figures)
    print(json.dumps(figures, indent=2))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
