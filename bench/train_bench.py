"""Training benchmark: each lane trained on the history ``bench.dbt_bench`` built (issue #6: 90 days at
scale 1, under 10 minutes per lane on 2 cores, with the train DAG's bounded hyper-parameter search; issue
#16: the same history at scale 5 trained with ``--distributed``, within this machine's memory).

Runs on the warehouse the dbt bench left behind (``--home``, default its home). Each lane is trained as of
the last day, exactly as ``customs-risk train --lane L [--distributed]`` does (MLflow store in that home).
Per lane: seconds, the history's items and labelled rows, and the peak resident memory of this process
and its children (the Dask workers) sampled twice a second. Merged into ``bench/results.json`` under
"train" (in memory) or "train_distributed", each with the history's scale (other keys kept).

    python -m bench.train_bench [--home var/bench/dbt] [--distributed [--workers N]] [--lanes express ...]
        [--copy-features-to-days N]

``--copy-features-to-days`` trains on a history longer than the disk holds a whole warehouse of (90 days
at scale 5 would need ~110 GB, their feature tables ~32 GB): the feature tables' built days are copied
forward until they span N days (see ``extend_feature_history``), and the record says so.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import pandas as pd

from bench.run import RESULTS, MemorySampler, merge_results, this_process_tree

LANES = ("express", "cargo", "traveller")


def run(home: Path, results_path: Path = RESULTS, lanes=LANES, distributed: bool = False,
        workers: int | None = None, copy_features_to_days: int | None = None) -> dict:
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    from core.settings import get_settings
    from core.warehouse import Warehouse
    from ml.distributed import DaskOptions
    from ml.train import SEARCH_TRIALS, train_lane

    settings = get_settings()
    warehouse = Warehouse(settings)
    options = DaskOptions(n_workers=workers) if distributed else None
    figures: dict = {"home": str(home), "trained_on": "dask" if distributed else "memory",
                     "search_trials": "none (defaults, early stopping)" if distributed else SEARCH_TRIALS,
                     "lanes": {}}
    figures["history"] = _history(warehouse)
    if copy_features_to_days:
        start = time.perf_counter()
        figures["history"]["feature_days_built"] = extend_feature_history(warehouse, copy_features_to_days)
        figures["history"]["feature_days_copied_to"] = copy_features_to_days
        figures["history"]["copy_seconds"] = round(time.perf_counter() - start, 1)
        figures["history"]["warehouse_gb"] = round(settings.duckdb_path.stat().st_size / 2**30, 2)
    memory = MemorySampler(this_process_tree)
    memory.start()
    for lane in lanes:
        table = f"marts.fct_{lane}_features"
        sizes = warehouse.query_df(
            f"select count(*) as items, count(label) as labelled, count(distinct item_date) as days,"
            f" max(item_date) as last_day from {table}").iloc[0]
        began, start = dt.datetime.now(dt.timezone.utc), time.perf_counter()
        result = train_lane(lane, settings, as_of=sizes["last_day"], distributed=options)
        seconds = time.perf_counter() - start
        window = result.get("window", {})
        figures["lanes"][lane] = {
            "seconds": round(seconds, 1), "items_in_history": int(sizes["items"]),
            "labelled_rows": int(sizes["labelled"]), "days": int(sizes["days"]),
            "train_rows": window.get("train_rows"), "valid_rows": window.get("valid_rows"),
            "model_version": result.get("model_version"),
            "peak_rss_mb": memory.peak_mb(began),
            "meets_goal_10_min": seconds < 600,
        }
        print(lane, json.dumps(figures["lanes"][lane], default=str), flush=True)
    memory.stop()
    figures["peak_rss_mb"] = memory.peak_mb()
    figures["cpu_count"] = os.cpu_count()
    merge_results("train_distributed" if distributed else "train", figures, results_path)
    return figures


def _history(warehouse) -> dict:
    """Days and shipments per day of the history trained on (its scale: 1.0 = a full Korean day)."""
    row = warehouse.query_df("select count(distinct _batch_date) as days, count(*) as shipments from raw.shipments"
                             ).iloc[0]
    days, shipments = int(row["days"]), int(row["shipments"])
    return {"days": days, "shipments": shipments,
            "scale": round(shipments / days / 700_000, 2) if days else None}


def extend_feature_history(warehouse, days: int) -> dict[str, int]:
    """Copy each lane's built feature days forward, block after block, until the table spans ``days``
    days; return the days each lane had built. A copied item keeps its features and label; its id is
    suffixed ``-cNN`` and its dates shifted, as ``bench.dbt_bench`` copies raw rows. The copies have no
    simulator truth, so a window of copied days is judged on the labels alone."""
    built: dict[str, int] = {}
    for lane in LANES:
        table = f"marts.fct_{lane}_features"
        first, last = warehouse.query_df(f"select min(item_date) as a, max(item_date) as b from {table}").iloc[0]
        first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
        built[lane] = (last - first).days + 1
        dates = warehouse.query_df(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?"
            " and data_type = 'DATE'", [table.split(".")[1]])["column_name"]
        for copy, offset in enumerate(range(built[lane], days, built[lane]), start=1):
            shifted = [f"item_id || '-c{copy:02d}' as item_id"]
            shifted += [f"cast({c} + interval {offset} day as date) as {c}" for c in dates]
            until = first + dt.timedelta(days=days - 1 - offset)
            warehouse.execute(f"insert into {table} select * replace ({', '.join(shifted)}) from {table}"
                              f" where item_date between date '{first}' and date '{min(last, until)}'")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_home = Path(os.environ.get("CUSTOMS_RISK_BENCH_HOME", Path(__file__).resolve().parent.parent / "var" / "bench")) / "dbt"
    parser.add_argument("--home", type=Path, default=default_home)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--lanes", nargs="+", choices=LANES, default=list(LANES))
    parser.add_argument("--distributed", action="store_true", help="train on a Dask LocalCluster (ml.distributed)")
    parser.add_argument("--workers", type=int, default=None, help="Dask workers (default one per core)")
    parser.add_argument("--copy-features-to-days", type=int, default=None,
                        help="copy the built feature days forward until they span this many days first")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.home, args.results, args.lanes, args.distributed, args.workers,
                         args.copy_features_to_days), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
