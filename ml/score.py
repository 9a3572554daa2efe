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
from ml.features import feature_columns, load_features
from ml.registry import ModelRef, champion
from ml.selection import select_within_offices, selection_rng
from ml.tracking import configure_mlflow
from ml.truth import load_truth, policy_hit_rates

SCHEMA, TABLE = "scoring", "daily_selection"
COLUMNS = {
    "item_date": "date", "lane": "varchar", "office_id": "varchar", "item_id": "varchar",
    "score": "double precision", "rank": "bigint", "selected": "boolean", "why": "varchar",
    "propensity": "double precision", "model_name": "varchar", "model_version": "bigint",
}


class FeatureMismatchError(ValueError):
    """The day's feature columns are not the ones the champion was trained on."""


def _ensure_table(warehouse: Warehouse) -> None:
    # Explicit DDL: an empty first day must not fix the column types by pandas' guess.
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    warehouse.execute(f'create schema if not exists "{SCHEMA}"')
    warehouse.execute(f'create table if not exists "{SCHEMA}"."{TABLE}" ({cols})')


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
            score=model.predict_proba(rows[expected])[:, 1])
        out = select_within_offices(
            scored, settings.capacity_share[lane], settings.exploration_share,
            rng=selection_rng(settings.seed, lane, day),
        )
        out = out.assign(lane=lane, model_name=ref.name, model_version=ref.version)[list(COLUMNS)]
        out = out.sort_values(["office_id", "rank"], kind="mergesort").reset_index(drop=True)

    warehouse = Warehouse(settings)
    _ensure_table(warehouse)
    warehouse.replace_partition(SCHEMA, TABLE, out, {"lane": lane, "item_date": day})
    all_path, office_paths = _write_csvs(out, lane, day, settings)

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
    truth = load_truth(settings, lane, [day]) if len(out) else None
    if truth is not None:
        truth = truth[truth["item_id"].isin(out["item_id"])]
        if len(truth):
            picks = out.loc[(out["why"] == "model") & out["item_id"].isin(truth["item_id"]), "item_id"]
            result["truth"] = policy_hit_rates(truth, picks)
    return result
