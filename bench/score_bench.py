"""Scoring benchmark: one full Korean day (700,000 shipments + 120,000 declarations + 100,000 travellers)
scored per lane with reason codes for the selected, beside the floor of one bare XGBoost prediction pass
on the same rows; plus the time to train each lane on the (small) history loaded first.

In a fresh home (``bench_home("score")``): simulate and load ``history_days`` days at ``history_scale``
(enough labels for each lane to train), then one full day at scale 1.0, one ``dbt build``, train every
lane as of the day before the full day, and time ``stages.score`` per lane. Merged into
``bench/results.json`` under "score" (other keys kept).

    python -m bench.score_bench [--history-days 10] [--history-scale 0.05]   # ~4.5 min on 2 cores
    python -m bench.score_bench --home /tmp/bench5/dbt --day 2026-02-04     # a day on an existing history

Honest limits, also written into the results: the training figure is on the small history, NOT on 90
days of full-scale history, and the models that score the full day were trained on that small history
(scoring cost does not depend on model quality, only on its size: trees x depth, recorded too).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

from bench.run import RESULTS, bench_home, merge_results
from bench.run import timed as bench_timed

START = dt.date(2026, 3, 2)
LANES = ("express", "cargo", "traveller")


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _concurrent_demo() -> list[str]:
    """Other customs-risk processes on the machine (a demo sharing the 2 cores skews the figures)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "customs-risk" in cmd or "customs_risk" in cmd or "airflow" in cmd:
            found.append(f"{pid}: {cmd[:120]}")
    return found


def _floor(lane: str, settings, day: dt.date) -> dict:
    """The bare XGBoost passes on the same rows as the scoring run: one ``inplace_predict`` over the day's
    rows of the lane, and ``pred_contribs`` (TreeSHAP) over the rows it selected, champion model."""
    import mlflow
    import xgboost

    from core.warehouse import Warehouse
    from ml.features import feature_table, model_frame, typed
    from ml.tracking import configure_mlflow

    configure_mlflow(lane, settings)
    model = mlflow.xgboost.load_model(f"models:/{settings.model_name(lane)}@champion")
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    schema, table = feature_table(lane)
    warehouse = Warehouse(settings)
    frame = warehouse.query_df(f"select * from {schema}.{table} where item_date = ? order by item_id", [day])
    X = model_frame(model, typed(frame), booster.feature_names)
    start = time.perf_counter()
    booster.inplace_predict(X)
    predict_s = time.perf_counter() - start
    picked = set(warehouse.query_df("select item_id from scoring.daily_selection where lane = ? and item_date = ? "
                                    "and selected", [lane, day])["item_id"])
    X_picked = X[frame["item_id"].isin(picked).to_numpy()]
    start = time.perf_counter()
    booster.predict(xgboost.DMatrix(X_picked, enable_categorical=True), pred_contribs=True)
    contribs_s = time.perf_counter() - start
    return {"rows": len(X), "seconds": round(predict_s, 3), "rows_per_s": round(len(X) / predict_s),
            "pred_contribs_rows": len(X_picked), "pred_contribs_seconds": round(contribs_s, 3),
            "n_trees": booster.num_boosted_rounds(), "n_features": len(booster.feature_names),
            "note": "inplace_predict / DMatrix + pred_contribs only; the feature read from DuckDB not timed"}


def _near_floor(timings: dict, floor: dict) -> dict:
    """The issue's two ratios: selection (predict + rank and pick within capacity) over the bare predict,
    reasons (TreeSHAP + the top three as text) over bare ``pred_contribs`` on the same selected rows."""
    selection = timings["predict"] + timings["select"]
    return {"selection_s": round(selection, 3), "selection_over_predict": round(selection / floor["seconds"], 2),
            "reasons_s": timings["reasons"],
            "reasons_over_pred_contribs": round(timings["reasons"] / floor["pred_contribs_seconds"], 2),
            "targets": {"selection_over_predict": 3.0, "reasons_over_pred_contribs": 1.5}}


def _train_lanes(stages, settings, as_of: dt.date) -> dict:
    """Each lane trained on the history (as the train DAG would), with its window and timing."""
    training = {}
    for lane in LANES:
        t = time.perf_counter()
        out = stages.train(lane, settings, as_of=as_of)
        seconds = time.perf_counter() - t
        window = out["window"]
        training[lane] = {"seconds": round(seconds, 2), "train_rows": window["train_rows"],
                          "valid_rows": window["valid_rows"], "train_days": window["train_days"],
                          "valid_days": window["valid_days"], "train_positives": window["train_positives"],
                          "model_version": out["model_version"], "aliases": out.get("aliases"),
                          "search": out.get("tuned_params")}
        print(f"train_{lane}: {seconds:.2f} s on {window['train_rows']} train rows", flush=True)
    return training


def run(history_days: int = 10, history_scale: float = 0.05) -> dict:
    bench_home("score")
    from customs_risk import stages
    from core.settings import get_settings
    from core.contracts import CONTRACTS
    from simworld.simulator import FULL_DAY_VOLUMES, simulate_day

    settings = get_settings()
    concurrent = _concurrent_demo()
    setup: dict[str, float] = {}

    def timed(label, func, *args, **kwargs):
        return bench_timed(label, setup, func, *args, **kwargs)

    history = [START + dt.timedelta(days=i) for i in range(history_days)]
    full_day = START + dt.timedelta(days=history_days)
    for day in history:
        timed("simulate_history", simulate_day, day, settings, history_scale)
        for source in CONTRACTS:
            timed("ingest_history", stages.ingest, source, day, settings)
    timed("simulate_full_day", simulate_day, full_day, settings, 1.0)
    full_rows = {}
    for source in CONTRACTS:
        report = timed("ingest_full_day", stages.ingest, source, full_day, settings)
        full_rows[source] = report.rows_loaded
    timed("transform_dbt_build", stages.transform, settings=settings)

    training = _train_lanes(stages, settings, full_day - dt.timedelta(days=1))

    concurrent_at_scoring = _concurrent_demo()
    scoring, floors = {}, {}
    for lane in LANES:
        t = time.perf_counter()
        out = stages.score(lane, full_day, settings)
        seconds = time.perf_counter() - t
        floors[lane] = _floor(lane, settings, full_day)
        scoring[lane] = {"rows": out["rows"], "selected_with_reasons": out["selected"],
                         "seconds": round(seconds, 2), "rows_per_s": round(out["rows"] / seconds),
                         "phases_s": out["timings"], **_near_floor(out["timings"], floors[lane])}
        print(f"score_{lane}: {seconds:.2f} s on {out['rows']} rows ({out['selected']} selected): {scoring[lane]}",
              flush=True)

    total_rows = sum(s["rows"] for s in scoring.values())
    total_s = sum(s["seconds"] for s in scoring.values())
    floor_s = sum(f["seconds"] for f in floors.values())
    desk_s = sum(s["phases_s"]["desk"] for s in scoring.values())
    return {
        "day": full_day.isoformat(), "full_day_scale": 1.0, "full_day_volumes_target": FULL_DAY_VOLUMES,
        "full_day_rows_loaded": full_rows,
        "score": scoring,
        "score_total": {"rows": total_rows, "seconds": round(total_s, 2), "rows_per_s": round(total_rows / total_s),
                        "without_desk_publication_s": round(total_s - desk_s, 2), "desk_publication_s": round(desk_s, 2),
                        "target_seconds": 10, "meets_target": total_s < 10},
        "floor_xgboost_predict": floors, "floor_total_seconds": round(floor_s, 3),
        "score_over_floor": round(total_s / floor_s, 1) if floor_s else None,
        "train": training,
        "train_note": (f"trained on {history_days} simulated days at scale {history_scale} (a small history, "
                       f"~{round(FULL_DAY_VOLUMES['shipments'] * history_scale)} shipments/day), NOT 90 days of "
                       "full-scale history: the issue's 'training on 90 days under 10 minutes' is not measured here"),
        "history": {"days": history_days, "scale": history_scale, "first_day": history[0].isoformat(),
                    "last_day": history[-1].isoformat(),
                    "note": "the simulator's entity world depends on scale, so the full day's sellers/importers "
                            "differ from the history's; this affects model quality, not scoring cost"},
        "setup_seconds": setup,
        "peak_rss_mb": _peak_rss_mb(), "cpu_count": os.cpu_count(),
        "concurrent_processes": {"at_start": concurrent or "none seen",
                                 "at_scoring": concurrent_at_scoring or "none seen",
                                 "after_scoring": _concurrent_demo() or "none seen"},
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def run_on_home(home: Path, day: dt.date) -> dict:
    """Score ``day`` of every lane in an existing home with its champions (such as the dbt bench's
    history at scale 5 after the train bench): the cost on a long history, where the desk's party
    history reads a year of the parties' traffic."""
    os.environ.update({"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1"})
    from core.settings import get_settings
    from core.warehouse import Warehouse
    from customs_risk import stages

    settings = get_settings()
    history = Warehouse(settings).query_df(
        "select count(distinct _batch_date) as days, count(*) as shipments from raw.shipments where _batch_date < ?",
        [day]).iloc[0]
    scoring = {}
    for lane in LANES:
        t = time.perf_counter()
        out = stages.score(lane, day, settings)
        seconds = time.perf_counter() - t
        scoring[lane] = {"rows": out["rows"], "selected_with_reasons": out["selected"], "seconds": round(seconds, 2),
                         "phases_s": out["timings"], "model_version": out["model_version"]}
        print(f"score_{lane}: {scoring[lane]}", flush=True)
    return {"home": str(home), "day": day.isoformat(),
            "history": {"days": int(history["days"]), "shipments": int(history["shipments"])},
            "score": scoring, "total_seconds": round(sum(s["seconds"] for s in scoring.values()), 2),
            "peak_rss_mb": _peak_rss_mb(), "concurrent_processes": _concurrent_demo() or "none seen",
            "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=10)
    parser.add_argument("--history-scale", type=float, default=0.05)
    parser.add_argument("--home", type=Path, default=None,
                        help="score --day in this existing home with its champions instead (results key score_on_history)")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    if args.home is not None:
        if args.day is None:
            parser.error("--home needs --day")
        figures = run_on_home(args.home, args.day)
        merge_results("score_on_history", figures)
        print(json.dumps(figures, indent=2, default=str))
        return 0
    figures = run(args.history_days, args.history_scale)
    merge_results("score", figures)
    print(json.dumps(figures, indent=2, default=str))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
