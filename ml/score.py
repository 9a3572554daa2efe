"""Daily scoring: the champion ranks one day's traffic of a lane and each office gets its list.

Everything a day writes (warehouse partition, CSV folder) is replaced as a whole, so a rerun of the
same day with the same champion produces the same lists instead of adding to them.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd

from customs_risk.settings import Settings, get_settings
from customs_risk.warehouse import Warehouse
from ingest.contracts import OFFICES
from ml.features import feature_columns, load_features, model_frame, typed
from ml.registry import ModelRef, champion
from ml.selection import select_within_offices, selection_rng
from ml.tracking import configure_mlflow
from ml.truth import load_truth, policy_hit_rates

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


def _signature_inputs(ref: ModelRef) -> list[str]:
    from mlflow.models import get_model_info

    signature = get_model_info(ref.uri).signature
    if signature is None:
        raise FeatureMismatchError(f"{ref.name} version {ref.version} has no signature; retrain it")
    return list(signature.inputs.input_names())


def _check_features(day_columns: list[str], expected: list[str], ref: ModelRef) -> None:
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
    expected = _signature_inputs(ref)
    rows = load_features(lane, settings, day=day)
    _check_features(feature_columns(rows.columns), expected, ref)

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
    truth = load_truth(settings, lane, [day]) if len(out) else None
    if truth is not None:
        truth = truth[truth["item_id"].isin(out["item_id"])]
        if len(truth):
            picks = out.loc[out["why"] == "model", "item_id"]
            picks = picks[picks.isin(truth["item_id"])]
            result["truth"] = policy_hit_rates(truth, picks)
    return result


INPUT_FORMATS = ("kcs",)
INPUT_COLUMNS = ("declaration_id", "score", "rank", "selected", "reasons")


def score_input(lane: str, path: Path, output: Path, fmt: str = "kcs", settings: Settings | None = None) -> dict:
    """Score a file of declarations brought by the user with the lane's @champion; write ``output``.

    Features come from the warehouse the honest way: the file is loaded *through the import path as
    unlabelled traffic* (a copy without the Fraud / Critical Fraud columns is staged as
    ``<landing>/declarations/<day>/kcs_input_<stem>.csv``, validated by the declarations contract and
    loaded), then ``dbt build`` computes its point-in-time feature rows, which are read back. So:

    * labels in the file are ignored: they never reach ``raw.inspections`` or any feature;
    * an item's history features count only outcomes recorded before its date (the warehouse history),
      exactly as for daily scoring; the file's own rows add to the traffic counts of later items, since
      that traffic did happen;
    * the rows stay in the warehouse as unlabelled declarations (rerunning the same file replaces them,
      because each day's partition is rebuilt from its landing files); their outcomes can be imported
      later like any others. Rows whose item id is already in ``raw.declarations`` from another file
      are not re-imported: their existing feature rows are scored. Rerunning a file restages all its
      other rows under the same landing name, so a rerun replaces, never duplicates, them. (Importing
      the same declarations later from a labelled file under another name would load them twice:
      import their outcomes as an inspections file instead.)

    Item ids follow the importer: a Declaration ID repeated within the file becomes ``<id>-<n>``.
    Output, one row per declaration of the file, in file order: ``declaration_id,score,rank,selected,
    reasons``. ``rank`` is over the whole file (1 = highest score, ties to the smaller id); ``selected``
    marks the top ``capacity_share[lane]`` of the file (ceil), the model picks only (no random
    exploration, so the same file and champion give the same list); ``reasons`` (top TreeSHAP
    contributions, as in daily scoring) are given for the selected rows. Rows the contract quarantined
    have no features: they get an empty score and rank and are counted in ``unscored``.
    """
    import csv
    import tempfile

    import mlflow
    import numpy as np

    from customs_risk.transform import build
    from ingest.kcs import LABELS, import_kcs, read_kcs
    from ml.metrics import rank_order
    from ml.selection import capacity_count

    settings = settings or get_settings()
    if fmt not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {fmt!r}; expected one of {', '.join(INPUT_FORMATS)}")
    if lane != "cargo":
        raise ValueError(f"--format {fmt} holds import declarations: lane must be cargo, got {lane!r}")
    path, output = Path(path), Path(output)
    configure_mlflow(lane, settings)
    ref = champion(settings, settings.model_name(lane))   # fail before loading anything without a model
    expected = _signature_inputs(ref)

    header, rows = read_kcs(path)
    index = {name: i for i, name in enumerate(header)}
    keep = [i for i, name in enumerate(header) if name not in LABELS]
    ids = [r[index["Declaration ID"]].strip() if len(r) == len(header) else None for r in rows if r]
    counts = pd.Series([i for i in ids if i is not None]).value_counts()
    seen: dict[str, int] = {}
    item_ids = []
    for i in ids:
        if i is not None and counts.get(i, 0) > 1:
            seen[i] = seen.get(i, 0) + 1
            i = f"{i}-{seen[i]}"
        item_ids.append(i)
    warehouse = Warehouse(settings)
    stem = f"input_{path.stem}"
    known: set[str] = set()   # ids loaded from other files; rows loaded from this input before are restaged
    if warehouse.table_exists("raw", "declarations"):
        known = set(warehouse.query_df(
            "select distinct cast(declaration_id as varchar) as id from raw.declarations "
            "where _source_file is null or _source_file not like ?", [f"%kcs_{stem}.csv"])["id"])
    fresh = [(item, r) for item, r in zip(item_ids, (r for r in rows if r)) if item is None or item not in known]

    imported = None
    if fresh:
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / f"{stem}.csv"
            with open(staged, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([header[i] for i in keep])
                for item, r in fresh:
                    if item is None:            # malformed line: passed on as is, the contract quarantines it
                        writer.writerow(r)
                        continue
                    values = [r[i] for i in keep]
                    values[keep.index(index["Declaration ID"])] = item   # already unique: stays as is
                    writer.writerow(values)
            (imported,) = import_kcs([staged], settings)
        if imported.error:
            raise ValueError(f"{path}: {imported.error}")
        build(settings)

    wanted = [i for i in item_ids if i is not None]
    frame = warehouse.query_df(
        'select * from "marts"."fct_cargo_features" where item_id in (select unnest(?))', [wanted]) \
        if warehouse.kind == "duckdb" else _feature_rows_by_id(warehouse, wanted)
    frame["item_id"] = frame["item_id"].astype(str)
    _check_features(feature_columns(frame.columns), expected, ref)
    model = mlflow.xgboost.load_model(ref.uri)
    frame = frame.drop_duplicates("item_id").reset_index(drop=True)
    X = model_frame(model, typed(frame), expected)
    frame["score"] = model.predict_proba(X)[:, 1] if len(frame) else np.array([], dtype=float)
    order = rank_order(frame["score"].to_numpy(), frame["item_id"])
    frame["rank"] = 0
    frame.loc[order, "rank"] = np.arange(1, len(frame) + 1)
    n_selected = capacity_count(settings.capacity_share[lane], len(frame))
    frame["selected"] = frame["rank"] <= n_selected
    frame["reasons"] = None
    picked = frame.index[frame["selected"].to_numpy()]
    if len(picked):
        frame.loc[picked, "reasons"] = reason_codes(model, X.loc[picked])

    out = pd.DataFrame({"declaration_id": [i if i is not None else "" for i in item_ids]})
    out = out.merge(frame[["item_id", "score", "rank", "selected", "reasons"]],
                    left_on="declaration_id", right_on="item_id", how="left").drop(columns="item_id")
    out["rank"] = out["rank"].astype("Int64")
    out["selected"] = out["selected"].fillna(False).astype(bool)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = output.with_name(f".{output.name}.tmp")
    out[list(INPUT_COLUMNS)].to_csv(tmp_out, index=False)
    tmp_out.replace(output)
    return {
        "lane": lane, "input": str(path), "output": str(output), "format": fmt,
        "model_name": ref.name, "model_version": ref.version,
        "rows": len(out), "scored": int(out["score"].notna().sum()), "unscored": int(out["score"].isna().sum()),
        "selected": int(out["selected"].sum()), "capacity_share": settings.capacity_share[lane],
        "already_in_warehouse": len(item_ids) - len(fresh),
        "imported": imported.summary() if imported is not None else "nothing new to import",
    }


def _feature_rows_by_id(warehouse: Warehouse, ids: list[str]) -> pd.DataFrame:
    """Postgres: the same lookup in chunks of placeholders."""
    parts = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        marks = ", ".join("?" for _ in chunk)
        parts.append(warehouse.query_df(f'select * from "marts"."fct_cargo_features" where item_id in ({marks})', chunk))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
