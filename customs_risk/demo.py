"""The demo: simulate a few days, run every DAG with Airflow in order, print what came out and where."""
from __future__ import annotations

import datetime as dt
import os
import time

from core.settings import Settings, get_settings
from simworld.oracle import ORACLE
from simworld.simulator import DEFAULT_SCALE, simulate_days

DEFAULT_DAYS = 7
DEFAULT_START = dt.date(2026, 3, 2)


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
    timings: dict[str, float] = {}

    from customs_risk import airflow_runner

    clock = time.perf_counter()
    airflow_runner.configure(settings)
    timings["airflow setup"] = time.perf_counter() - clock

    clock = time.perf_counter()
    simulate(start, days, scale, settings)
    timings["simulate"] = time.perf_counter() - clock
    print(f"simulated {days} days from {start} under {settings.landing_dir}")

    clock = time.perf_counter()
    for i in range(days):
        day = start + dt.timedelta(days=i)
        airflow_runner.run_dag("customs_risk_ingest", day)
        print(f"ingested {day}")
    timings["ingest DAG"] = time.perf_counter() - clock

    # In production each landed day triggers the transform through its Assets; dag.test() has no
    # scheduler to follow them, so the demo runs each downstream DAG once, for the last day.
    for dag_id, label in (("customs_risk_transform", "transform DAG"), ("customs_risk_train", "train DAG"),
                          ("customs_risk_score", "score DAG")):
        clock = time.perf_counter()
        airflow_runner.run_dag(dag_id, score_day, logical=dag_id == "customs_risk_train",
                               first_day=start if dag_id == "customs_risk_transform" else None)
        timings[label] = time.perf_counter() - clock
        print(f"{label} done in {timings[label]:.0f} s")

    summary = summarise(settings, score_day)
    summary["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    print(render(summary, settings, score_day))
    return summary


def summarise(settings: Settings, day: dt.date) -> dict:
    from core.warehouse import Warehouse
    from core.contracts import CONTRACTS

    warehouse = Warehouse(settings)
    raw = {s: int(warehouse.query_df(f"select count(*) from raw.{s}").iloc[0, 0]) for s in CONTRACTS}
    quarantined = warehouse.query_df("select source, count(*) as n from raw.quarantine group by source")
    selection = warehouse.query_df(
        "select lane, count(*) as scored, count(*) filter (where selected) as selected, "
        "count(*) filter (where why = 'exploration') as explored, max(model_version) as model_version "
        "from scoring.daily_selection where item_date = ? group by lane order by lane", [day])
    return {
        "raw_rows": raw,
        "quarantined": dict(zip(quarantined["source"], quarantined["n"].astype(int))),
        "selection": selection.to_dict("records"),
        "models": _model_metrics(settings),
        "true_hit_rates": _true_hit_rates(settings, day),
    }


def _model_metrics(settings: Settings) -> dict:
    import mlflow

    from ml.tracking import configure_mlflow

    out = {}
    for lane in settings.lanes:
        configure_mlflow(lane, settings)
        client = mlflow.MlflowClient()
        try:
            version = client.get_model_version_by_alias(settings.model_name(lane), "champion")
        except mlflow.exceptions.MlflowException:
            continue
        metrics = client.get_run(version.run_id).data.metrics
        out[lane] = {"version": version.version, **{k: round(v, 3) for k, v in sorted(metrics.items())
                                                       if k.startswith(("precision_at", "recall_at", "auc",
                                                                        "true_hit_rate"))}}
    return out


def _true_hit_rates(settings: Settings, day: dt.date) -> dict:
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
        out[lane] = {"selected": len(chosen),
                     **{name: round(rates[f"true_hit_rate_{key}"], 3)
                        for name, key in (("model_policy", "model"), ("rule_policy", "rule"), ("random", "random"))}}
    return out


def render(summary: dict, settings: Settings, day: dt.date) -> str:
    from expectations.context import data_docs_index

    lines = ["", "=" * 72, f"customs-risk demo: scored lists for {day}", "=" * 72]
    lines.append("rows in the warehouse (raw): " + ", ".join(f"{k} {v:,}" for k, v in summary["raw_rows"].items()))
    q = summary["quarantined"]
    lines.append("rows quarantined: " + (", ".join(f"{k} {v}" for k, v in q.items()) if q else "none"))
    for lane, metrics in summary["models"].items():
        shown = ", ".join(f"{k} {v}" for k, v in metrics.items() if k in (
            "version", "auc", "precision_at_1pct", "precision_at_5pct", "recall_at_5pct"))
        lines.append(f"model {settings.model_name(lane)}@champion: {shown}")
    for row in summary["selection"]:
        lines.append(f"{row['lane']}: scored {row['scored']:,}, selected {row['selected']} "
                     f"(of which exploration {row['explored']}), model v{row['model_version']}")
    for lane, rates in summary["true_hit_rates"].items():
        lines.append(f"true hit rate {lane}: model {rates['model_policy']} vs rules {rates['rule_policy']} "
                     f"vs random {rates['random']} ({rates['selected']} selected)")
    lines.append("stage timings (s): " + ", ".join(f"{k} {v}" for k, v in summary["timings_s"].items()))
    lines += [
        "",
        f"scored lists:    {settings.scored_dir / day.isoformat()}/<lane>/<office>.csv  "
        f"(warehouse table scoring.daily_selection in {settings.warehouse_url})",
        f"MLflow UI:       uv run mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}",
        "dbt docs:        uv run customs-risk docs   (then open the printed index.html)",
        f"GE data docs:    {data_docs_index(settings.gx_dir)}",
        "Airflow:         uv run customs-risk airflow   (UI on :8080, user admin, password in "
        f"{settings.airflow_home / 'admin_password.json'})",
    ]
    return "\n".join(lines)


def simulate(start: dt.date, days: int, scale: float | None = None, settings: Settings | None = None) -> list[dict]:
    """Write simulated landing files (and their truth) for ``days`` days from ``start``."""
    settings = settings or get_settings()
    return simulate_days(start, days, settings, scale=DEFAULT_SCALE if scale is None else scale)
