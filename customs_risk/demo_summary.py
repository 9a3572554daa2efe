"""What the demo tells a newcomer once it has run: gathered from the warehouse and MLflow (``summarise``;
the simulator's true hit rates come from ``customs_risk.demo``, the one door to the simulated world),
then written as one readable page of text (``render``).

The numbers keep their counts beside them (a hit rate on 16 picks is not one on 1,600), and the true hit
rates carry a 95 % Wilson interval, since one simulated day is a small sample.
"""
from __future__ import annotations

import datetime as dt

from core.intervals import wilson_interval
from core.settings import Settings

CHAMPION_KEYS = ("precision_at", "recall_at", "auc", "true_hit_rate", "unbiased_precision", "selected_at",
                 "random_sample")
WIDTH = 78


def summarise(settings: Settings, day: dt.date) -> dict:
    from core.contracts import CONTRACTS
    from core.warehouse import Warehouse

    warehouse = Warehouse(settings)
    raw = {s: int(warehouse.query_df(f"select count(*) from raw.{s}").iloc[0, 0]) for s in CONTRACTS}
    reasons = warehouse.query_df("select source, expectation, count(*) as n from raw.quarantine "
                                 "group by source, expectation order by source, n desc, expectation")
    quarantined = reasons.groupby("source", sort=True).agg(n=("n", "sum"), top_reason=("expectation", "first"))
    features = {lane: int(warehouse.query_df(f"select count(*) from marts.fct_{lane}_features").iloc[0, 0])
                for lane in settings.lanes}
    selection = warehouse.query_df(
        "select lane, count(*) as scored, count(*) filter (where selected) as selected, "
        "count(*) filter (where why = 'exploration') as explored, max(model_version) as model_version "
        "from scoring.daily_selection where item_date = ? group by lane order by lane", [day])
    return {
        "raw_rows": raw,
        "quarantined": {s: int(n) for s, n in quarantined["n"].items()},
        "quarantine_top_reason": dict(quarantined["top_reason"].items()),
        "feature_rows": features,
        "selection": selection.to_dict("records"),
        "models": champion_metrics(settings),
        "experiments": experiment_ids(settings),
    }


def champion_metrics(settings: Settings) -> dict:
    """Each lane's @champion: its version, validation window and the metrics of its training run."""
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
        champion_run = client.get_run(version.run_id)
        run = champion_run.data
        baselines = client.search_runs([champion_run.info.experiment_id],   # siblings (ml.baselines.log_baselines)
                                       f"tags.train_run_id = '{version.run_id}'")
        out[lane] = {"version": version.version, "gate": version.tags.get("gate.decision", "not run"),
                     "compared_runs": [version.run_id] + [r.info.run_id for r in baselines
                                                          if r.data.tags.get("stage") == "baseline"],
                     "valid_start": run.params.get("valid_start"), "valid_end": run.params.get("valid_end"),
                     **{k: round(v, 3) for k, v in sorted(run.metrics.items()) if k.startswith(CHAMPION_KEYS)
                        and "_office_" not in k}}
    return out


def experiment_ids(settings: Settings) -> dict[str, str]:
    from ml.tracking import configure_mlflow

    return {lane: configure_mlflow(lane, settings) for lane in settings.lanes}


def _rate(rate: float, n: int) -> str:
    lo, hi = wilson_interval(rate * n, n) if n and rate == rate else (float("nan"), float("nan"))
    return f"{rate:.3f} [{lo:.3f}-{hi:.3f}] on {n:,}" if n else "n/a (no picks)"


def _figure(metrics: dict, key: str, fmt: str = "{:.3f}") -> str:
    value = metrics.get(key)
    return "n/a" if value is None or value != value else fmt.format(value)


def _champion_lines(lane: str, m: dict, name: str) -> list[str]:
    picks = int(m.get("selected_at_capacity", 0))
    gate = m.get("gate", "not run")
    gate_note = "" if gate == "pass" else " (a lane's first model is champion until one passes)"
    lines = [f"  {lane:<9} {name} v{m['version']}, gate: {gate}{gate_note}",
             f"            judged on {m.get('valid_start')}..{m.get('valid_end')} (out of time), "
             f"{picks:,} picks at capacity",
             f"            AUC {_figure(m, 'auc')}, precision at capacity {_figure(m, 'precision_at_capacity')} "
             f"(labelled picks), recall {_figure(m, 'recall_at_capacity')}, P@1% {_figure(m, 'precision_at_1pct')}"]
    if "unbiased_precision_at_capacity" in m:
        lines.append(f"            on the random sample: precision {_figure(m, 'unbiased_precision_at_capacity')} "
                     f"({int(m.get('random_sample_selected', 0))} picks of {int(m.get('random_sample_rows', 0))} rows)")
    if "true_hit_rate_at_capacity" in m:
        lines.append(f"            true hit rate (simulator) {_rate(m['true_hit_rate_at_capacity'], picks)} picks; "
                     f"rules {_figure(m, 'true_hit_rate_rule')}, random {_figure(m, 'true_hit_rate_random')}")
    return lines


def render(summary: dict, settings: Settings, first_day: dt.date, day: dt.date, log_path) -> str:
    """The demo's one printout: what ran, rows per stage, the champions, today's selection, where to look."""
    lines = ["", "=" * WIDTH, f"customs-risk demo: {first_day}..{day} simulated, scored lists for {day}", "=" * WIDTH]
    lines += _ran(summary)
    lines += _rows(summary, day)
    lines.append("Champions (one XGBoost model per lane; figures on its validation window):")
    for lane, m in summary["models"].items():
        lines += _champion_lines(lane, m, settings.model_name(lane))
    lines += _selected(summary, day)
    lines += where_to_look(summary, settings, day, log_path)
    return "\n".join(lines)


def _ran(summary: dict) -> list[str]:
    what = {"airflow setup": "Airflow's metadata (SQLite) under the project home, created once",
            "simulate": "landing files of every source and day (and the simulator's truth)",
            "ingest DAG": "one run per day: read, pseudonymise, validate with GE, load or quarantine",
            "transform DAG": "dbt build: staging, intermediate, marts with point-in-time features",
            "train DAG": "XGBoost per lane, out-of-time evaluation, baselines, gate to @champion",
            "score DAG": "the champion scores the last day; selection within each office's capacity"}
    timings = summary.get("timings_s", {})
    return ["What ran (Airflow dag.test):"] + [f"  {stage:<14} {timings[stage]:>5.0f} s  {text}"
                                               for stage, text in what.items() if stage in timings]


def _rows(summary: dict, day: dt.date) -> list[str]:
    q, reasons = summary["quarantined"], summary.get("quarantine_top_reason", {})
    quarantined = ", ".join(f"{s} {n:,} (mostly {reasons.get(s)})" for s, n in q.items()) if q else "none"
    scored = {row["lane"]: row["scored"] for row in summary["selection"]}
    rows = {"loaded (raw)": ", ".join(f"{k} {v:,}" for k, v in summary["raw_rows"].items()),
            "quarantined": quarantined,
            "features": ", ".join(f"{k} {v:,}" for k, v in summary.get("feature_rows", {}).items()),
            f"scored {day}": ", ".join(f"{k} {v:,}" for k, v in scored.items())}
    return ["Rows per stage:"] + [f"  {label:<18} {text}" for label, text in rows.items()]


def _selected(summary: dict, day: dt.date) -> list[str]:
    lines = [f"Selected for inspection on {day}:"]
    truths = summary.get("true_hit_rates", {})
    for row in summary["selection"]:
        lane = row["lane"]
        lines.append(f"  {lane:<9} {row['selected']:,} of {row['scored']:,} items "
                     f"({row['selected'] - row['explored']} by the model, {row['explored']} exploration), "
                     f"model v{row['model_version']}")
        if lane in truths:
            t = truths[lane]
            lines.append(f"            true hit rate (simulator): picks {_rate(t['model_policy'], t['selected'])}; "
                         f"rules {_rate(t['rule_policy'], t['rule_selected'])}; random {t['random']:.3f}")
    return lines


def where_to_look(summary: dict, settings: Settings, day: dt.date, log_path) -> list[str]:
    from expectations.context import data_docs_index
    from ml.tracking import compare_runs_url, runs_table_url

    scored = settings.scored_dir / day.isoformat()
    lines = ["Where to look:",
             f"  what to inspect     {scored}/<lane>/<office>.csv (all scored rows: {scored}/<lane>.parquet)",
             f"  day summaries       {scored}/<lane>.html",
             f"  data quality        {data_docs_index(settings.gx_dir)}",
             "                      (every batch by source and day; failing rows in table raw.quarantine)",
             "  dbt docs            uv run customs-risk docs   (then open the printed index.html)",
             f"  MLflow UI           uv run mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}"]
    for lane, eid in summary.get("experiments", {}).items():
        lines.append(f"    {lane:<17} runs: {runs_table_url(eid)}")
        compared = summary["models"].get(lane, {}).get("compared_runs")
        if compared:
            lines.append(f"    {'':<17} champion vs rules vs random: {compare_runs_url(compared, eid)}")
    lines.append("  risk desk           uv run customs-risk desk --host 127.0.0.1 --port 8000   "
                 "(then http://127.0.0.1:8000/)")
    user = summary.get("desk_user")
    if user:
        lines.append(f"    sign in as        {user['username']} (analyst, {user['lane']} office {user['office']}); "
                     f"password in {user['password_file']}")
    lines += [f"  Airflow UI          uv run customs-risk airflow  (user admin, password in "
              f"{settings.airflow_home / 'admin_password.json'})",
              f"  details of this run {log_path}  (metrics of every lane, Airflow, GE and dbt logs)"]
    return lines
