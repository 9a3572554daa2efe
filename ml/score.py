"""Daily scoring: the champion ranks one day's traffic of a lane and each office gets its list.

Everything a day writes (warehouse partition, CSV folder) is replaced as a whole, so a rerun of the
same day with the same champion produces the same lists instead of adding to them.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd

from core.settings import Settings, get_settings
from core.warehouse import Warehouse
from core.contracts import OFFICES
from ml.features import feature_columns, load_features, model_frame, typed
from ml.registry import ModelRef, champion
from ml.selection import select_within_offices, selection_rng
from ml.tracking import configure_mlflow
from ml.oracle import get_oracle

SCHEMA, TABLE = "scoring", "daily_selection"
COLUMNS = {
    "item_date": "date", "lane": "varchar", "office_id": "varchar", "item_id": "varchar",
    "score": "double precision", "rank": "bigint", "selected": "boolean", "why": "varchar",
    "propensity": "double precision", "model_name": "varchar", "model_version": "bigint",
    "reasons": "varchar",
}
N_REASONS = 3


class FeatureMismatchError(ValueError):
    """The day's feature columns are not the ones the champion was trained on."""


def _ensure_table(warehouse: Warehouse) -> None:
    # Explicit DDL: an empty first day must not fix the column types by pandas' guess.
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    warehouse.execute(f'create schema if not exists "{SCHEMA}"')
    warehouse.execute(f'create table if not exists "{SCHEMA}"."{TABLE}" ({cols})')
    # Tables made before a column existed get it added (null for their old rows).
    for c, t in COLUMNS.items():
        warehouse.execute(f'alter table "{SCHEMA}"."{TABLE}" add column if not exists "{c}" {t}')


def reason_codes(model, X: pd.DataFrame, n: int = N_REASONS) -> list[str]:
    """Exact TreeSHAP contributions (log-odds) per row; the ``n`` largest as ``f_x=+0.81; ...``."""
    import numpy as np
    from xgboost import DMatrix

    if X.empty:
        return []
    dmatrix = DMatrix(X, enable_categorical=True)   # code columns arrive as categories (ml.features.model_frame)
    contribs = model.get_booster().predict(dmatrix, pred_contribs=True)[:, :-1]  # last column: bias
    names = np.asarray(X.columns)
    order = np.argsort(-contribs, axis=1, kind="stable")[:, :n]
    return ["; ".join(f"{names[j]}={contribs[i, j]:+.2f}" for j in row) for i, row in enumerate(order)]


def capacity_report(out: pd.DataFrame, lane: str, settings: Settings) -> dict[str, dict]:
    """Per office: traffic, the configured capacity, what was selected and a note for the edge cases."""
    overrides = settings.office_capacity.get(lane, {})
    report = {}
    for office, rows in out.groupby("office_id"):
        configured = overrides.get(office, settings.capacity_share[lane])
        kind = "count" if isinstance(configured, int) and not isinstance(configured, bool) else "share"
        entry = {"traffic": len(rows), "capacity": configured, "capacity_kind": kind,
                 "selected": int(rows["selected"].sum())}
        if configured == 0:
            entry["note"] = "capacity 0: nothing selected"
        elif kind == "count" and configured > len(rows):
            entry["note"] = f"capacity {configured} above traffic {len(rows)}: every item selected"
        report[str(office)] = entry
    return report


def write_summary_html(out: pd.DataFrame, lane: str, day: date, settings: Settings, result: dict) -> Path:
    """A short human summary of the day and lane next to the CSVs: <scored_dir>/<day>/<lane>.html."""
    import html

    import numpy as np

    e = html.escape
    path = settings.scored_dir / day.isoformat() / f"{lane}.html"
    selected = out[out["selected"]]
    rows = "".join(f"<tr><td>{e(o)}</td><td>{c['traffic']}</td><td>{e(str(c['capacity']))} ({c['capacity_kind']})</td>"
                   f"<td>{c['selected']}</td><td>{e(c.get('note', ''))}</td></tr>"
                   for o, c in result.get("capacity", {}).items())
    scores = out["score"].to_numpy(dtype=float)
    qs = (0.5, 0.9, 0.99, 1.0)
    dist = "".join(f"<td>{np.quantile(scores, q):.4f}</td>" for q in qs) if len(scores) else "<td colspan=4>no rows</td>"
    counts = np.histogram(scores, bins=10, range=(0, 1))[0] if len(scores) else np.zeros(10, dtype=int)
    hist = "".join(f"<tr><td>{i / 10:.1f}-{(i + 1) / 10:.1f}</td><td>{n}</td></tr>" for i, n in enumerate(counts))
    top = (selected["reasons"].dropna().str.split("; ").explode().str.split("=").str[0].value_counts().head(10)
           if len(selected) else pd.Series(dtype=int))
    reasons = "".join(f"<tr><td>{e(str(f))}</td><td>{n}</td></tr>" for f, n in top.items())
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(lane)} {day}</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body><h1>{e(lane)} selection for {day}</h1>
<p>Model {e(str(result.get('model_name')))} version {result.get('model_version')}: {len(out)} items scored,
{int(out['selected'].sum()) if len(out) else 0} selected ({result.get('model_selected', 0)} model,
{result.get('exploration_selected', 0)} exploration).</p>
<h2>Selected per office</h2><table><tr><th>office</th><th>traffic</th><th>capacity</th><th>selected</th><th>note</th></tr>{rows}</table>
<h2>Score distribution</h2><table><tr><th>median</th><th>p90</th><th>p99</th><th>max</th></tr><tr>{dist}</tr></table>
<table><tr><th>score</th><th>items</th></tr>{hist}</table>
<h2>Top reasons among selected items</h2><table><tr><th>feature</th><th>items</th></tr>{reasons}</table>
</body></html>
"""
    path.write_text(body, encoding="utf-8")
    return path


def signature_inputs(ref: ModelRef) -> list[str]:
    from mlflow.models import get_model_info

    signature = get_model_info(ref.uri).signature
    if signature is None:
        raise FeatureMismatchError(f"{ref.name} version {ref.version} has no signature; retrain it")
    return list(signature.inputs.input_names())


def check_features(day_columns: list[str], expected: list[str], ref: ModelRef) -> None:
    missing = [c for c in expected if c not in day_columns]
    extra = [c for c in day_columns if c not in expected]
    if missing or extra:
        raise FeatureMismatchError(
            f"refusing to score with {ref.name} version {ref.version}: feature table lacks {missing} and "
            f"has unexpected {extra}; retrain the lane on the current features (or fix the dbt model)"
        )


def _write_csvs(out: pd.DataFrame, lane: str, day: date, settings: Settings) -> tuple[Path, dict[str, Path]]:
    """All scored rows in <day>/<lane>.csv; the selected list per office in <day>/<lane>/<office>.csv.
    Every known office gets a file (header only when empty): a missing file would be ambiguous."""
    day_dir = settings.scored_dir / day.isoformat()
    day_dir.mkdir(parents=True, exist_ok=True)
    staging = day_dir / f".{lane}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    selected = out[out["selected"]]
    offices = sorted(set(OFFICES.get(lane, ())) | set(out["office_id"]))
    paths = {}
    for office in offices:
        selected[selected["office_id"] == office].to_csv(staging / f"{office}.csv", index=False)
        paths[office] = day_dir / lane / f"{office}.csv"
    final = day_dir / lane
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    all_path = day_dir / f"{lane}.csv"
    out.to_csv(all_path, index=False)
    return all_path, paths


def score_day(lane: str, day: date, settings: Settings | None = None) -> dict:
    """Score ``day`` of ``lane`` with the @champion model and write the selection.

    Returns counts, the model version used, the output paths and, on simulated data, the true hit rate
    of the model picks beside random and rule selection (returned only, not logged).
    """
    import mlflow

    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    ref = champion(settings, settings.model_name(lane))
    expected = signature_inputs(ref)
    rows = load_features(lane, settings, day=day)
    check_features(feature_columns(rows.columns), expected, ref)

    result: dict = {"lane": lane, "day": str(day), "model_name": ref.name, "model_version": ref.version}
    if rows.empty:
        dtypes = {"double precision": "float64", "bigint": "int64", "boolean": "bool"}
        out = pd.DataFrame({c: pd.Series([], dtype=dtypes.get(t, object)) for c, t in COLUMNS.items()})
        result["note"] = f"no {lane} rows on {day}: wrote an empty selection"
    else:
        model = mlflow.xgboost.load_model(ref.uri)
        scored = rows[["item_id", "item_date", "office_id"]].assign(
            score=model.predict_proba(model_frame(model, rows, expected))[:, 1])
        out = select_within_offices(
            scored, settings.capacity_share[lane], settings.exploration_share,
            rng=selection_rng(settings.seed, lane, day), office_capacity=settings.office_capacity.get(lane),
        )
        # Reason codes for the selected items only: exact TreeSHAP is cheap for a few hundred rows.
        reasons = pd.Series(None, index=out.index, dtype=object)
        picked = out.index[out["selected"].to_numpy()]
        if len(picked):
            X = rows.set_index("item_id").loc[out.loc[picked, "item_id"]]
            reasons.loc[picked] = reason_codes(model, model_frame(model, X, expected))
        out = out.assign(lane=lane, model_name=ref.name, model_version=ref.version, reasons=reasons)[list(COLUMNS)]
        out = out.sort_values(["office_id", "rank"], kind="mergesort").reset_index(drop=True)

    warehouse = Warehouse(settings)
    _ensure_table(warehouse)
    warehouse.replace_partition(SCHEMA, TABLE, out, {"lane": lane, "item_date": day})
    all_path, office_paths = _write_csvs(out, lane, day, settings)
    result["capacity"] = capacity_report(out, lane, settings)

    result |= {
        "rows": len(out),
        "selected": int(out["selected"].sum()) if len(out) else 0,
        "model_selected": int((out["why"] == "model").sum()),
        "exploration_selected": int((out["why"] == "exploration").sum()),
        "offices": int(out["office_id"].nunique()),
        "table": f"{SCHEMA}.{TABLE}",
        "csv_all": all_path,
        "csv_offices": office_paths,
    }
    result["html"] = write_summary_html(out, lane, day, settings, result)
    oracle = get_oracle(settings)
    truth = oracle.truth(lane, [day]) if oracle is not None and len(out) else None
    if truth is not None:
        truth = truth[truth["item_id"].isin(out["item_id"])]
        if len(truth):
            picks = out.loc[out["why"] == "model", "item_id"]
            picks = picks[picks.isin(truth["item_id"])]
            result["truth"] = oracle.policy_hit_rates(truth, picks)
    return result
