"""Training benchmark: each lane trained on 90 days of full-scale history (issue #6: under 10 minutes per
lane on 2 cores), with the bounded hyper-parameter search the train DAG runs.

Runs on a warehouse ``bench.dbt_bench`` left behind (``--home``, default the dbt bench's home), so the
history is the one that benchmark built: 90 days at scale 1, seed days copied week by week. Each lane is
trained as of the last day, exactly as ``customs-risk train --lane L`` does (MLflow store in that home).
Merged into ``bench/results.json`` under "train" (other keys kept).

    python -m bench.train_bench [--home var/bench/dbt]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from bench.run import RESULTS, merge_results

LANES = ("express", "cargo", "traveller")


def run(home: Path, results_path: Path = RESULTS) -> dict:
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    from core.settings import get_settings
    from core.warehouse import Warehouse
    from ml.train import SEARCH_TRIALS, train_lane

    settings = get_settings()
    warehouse = Warehouse(settings)
    figures: dict = {"home": str(home), "search_trials": SEARCH_TRIALS, "lanes": {}}
    for lane in LANES:
        table = f"marts.fct_{lane}_features"
        sizes = warehouse.query_df(
            f"select count(*) as items, count(label) as labelled, count(distinct item_date) as days,"
            f" max(item_date) as last_day from {table}").iloc[0]
        start = time.perf_counter()
        result = train_lane(lane, settings, as_of=sizes["last_day"])
        seconds = time.perf_counter() - start
        figures["lanes"][lane] = {
            "seconds": round(seconds, 1), "items_in_history": int(sizes["items"]),
            "labelled_rows": int(sizes["labelled"]), "days": int(sizes["days"]),
            "model_version": result.get("model_version"),
            "meets_goal_10_min": seconds < 600,
        }
        print(lane, json.dumps(figures["lanes"][lane]), flush=True)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["cpu_count"] = os.cpu_count()
    merge_results("train", figures, results_path)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_home = Path(os.environ.get("CUSTOMS_RISK_BENCH_HOME", Path(__file__).resolve().parent.parent / "var" / "bench")) / "dbt"
    parser.add_argument("--home", type=Path, default=default_home)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.home, args.results), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
