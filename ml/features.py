"""Reading the dbt feature tables: the contract between the marts and the models.

Feature columns are found by their prefix so a new dbt feature needs no Python change; the model
signature then pins the set a given model version was trained on. ``f_`` columns are numbers; ``c_``
columns are raw codes (HS6, declarant, countries, ...) that XGBoost splits on as native categories
(cargo: KCS precision at 5 % 0.72 -> 0.74, at 1 % 0.84 -> 0.95; see docs/architecture.md). Exact declared
values reach the model as numbers too: ``f_same_*`` (how earlier declarations of the same exact price,
mass, ... ended; docs/warehouse.md), which carry what exact-value categories would, without a vocabulary.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.settings import LANES, Settings
from core.warehouse import Warehouse
from ml.registry import ModelRef

FEATURE_PREFIX = "f_"
CATEGORY_PREFIX = "c_"
# dbt's incremental bookkeeping (when a row's inputs were loaded): not data, so not in any dataset digest.
BOOKKEEPING_COLUMNS = ("inputs_loaded_at",)


def feature_table(lane: str) -> tuple[str, str]:
    """(schema, table) of a lane's features; the lane is checked because it ends up inside SQL."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; expected one of {', '.join(LANES)}")
    return "marts", f"fct_{lane}_features"


def feature_columns(columns) -> list[str]:
    return [c for c in columns if str(c).startswith((FEATURE_PREFIX, CATEGORY_PREFIX))]


def category_columns(columns) -> list[str]:
    return [c for c in columns if str(c).startswith(CATEGORY_PREFIX)]


def typed(frame: pd.DataFrame, numbers_as: str = "float64") -> pd.DataFrame:
    """Numbers as float64 (or ``numbers_as``), codes as pandas categories (in place, returned for chaining)."""
    features = feature_columns(frame.columns)
    cats = category_columns(features)
    numbers = [c for c in features if c not in cats]
    if numbers:
        frame[numbers] = frame[numbers].astype(numbers_as)
    for c in cats:
        frame[c] = frame[c].astype("string").astype("category")
    return frame


def model_frame(model, frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """``frame[features]`` ready for ``model``: each code column re-coded to the categories the model
    was trained on, so a code never seen in training is missing (XGBoost refuses unknown categories)."""
    X = frame[features]
    cats = category_columns(features)
    if not cats:
        return X
    known = dict(model.get_booster().get_categories(export_to_arrow=True).to_arrow())
    X = X.copy()
    for c in cats:
        values = X[c].astype(object).where(X[c].notna(), None)
        trained = known.get(c)
        categories = [] if trained is None else trained.to_pylist()
        X[c] = pd.Categorical(values, categories=categories)
    return X


PREDICT_CHUNK_ROWS = 1_000_000


def predict(model, frame: pd.DataFrame, features: list[str]):
    """Risk scores of ``frame``'s rows (probability of a finding), a million rows at a time: a US-sized
    day is millions of rows, and the model's copy of all of them at once would double its memory."""
    chunks = [frame.iloc[i:i + PREDICT_CHUNK_ROWS] for i in range(0, len(frame), PREDICT_CHUNK_ROWS)] or [frame]
    return np.concatenate([model.predict_proba(model_frame(model, chunk, features))[:, 1] for chunk in chunks])


def table_feature_columns(lane: str, settings: Settings) -> list[str]:
    """The feature columns of the lane's table, read from the catalogue (no rows)."""
    schema, table = feature_table(lane)
    names = Warehouse(settings).query_df(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table])["column_name"]
    return feature_columns(names)


def feature_days(lane: str, settings: Settings, first: date, last: date) -> list[date]:
    """The days of the lane's feature table from ``first`` to ``last`` that have items."""
    days = Warehouse(settings).query_df(f"select distinct item_date from {_require_table(lane, settings)} "
                                        "where item_date between ? and ? order by 1", [first, last])["item_date"]
    return [pd.Timestamp(d).date() for d in days]


def load_features(
    lane: str, settings: Settings, *, as_of: date | None = None, day: date | None = None,
    since: date | None = None, labelled_only: bool = False, columns: list[str] | None = None,
    numbers_as: str = "float64",
) -> pd.DataFrame:
    """Rows of the lane's feature table up to ``as_of`` (point in time, from ``since`` when given) or on
    one ``day``; only inspected rows with ``labelled_only`` (what training fits on: a few % of traffic,
    so 90 full days fit in memory when all items would not). ``columns``: only these (besides the keys),
    as scoring reads the day's millions of rows for the model's features alone. ``numbers_as="float32"``
    halves the memory of a large read that only feeds predictions (XGBoost computes in float32).

    Ordered by (item_date, item_id) so the same data always gives the same frame, hence the same
    dataset digest and the same model.
    """
    table = _require_table(lane, settings)
    conditions, params = [], []
    if day is not None:
        conditions, params = ["item_date = ?"], [day]
    else:
        for condition, value in (("item_date >= ?", since), ("item_date <= ?", as_of)):
            if value is not None:
                conditions.append(condition)
                params.append(value)
    if labelled_only:
        conditions.append("label is not null")
    where = f"where {' and '.join(conditions)}" if conditions else ""
    selected = "*" if columns is None else ", ".join(
        f'"{c}"' for c in dict.fromkeys(["item_id", "item_date", "office_id", *columns]))
    df = Warehouse(settings).query_columnar(f"select {selected} from {table} {where} order by item_date, item_id",
                                            params)
    df = df.drop(columns=[c for c in BOOKKEEPING_COLUMNS if c in df.columns])
    if df["item_date"].dtype != object:
        df["item_date"] = pd.to_datetime(df["item_date"]).dt.date
    df["item_id"] = df["item_id"].astype(str)
    df["office_id"] = df["office_id"].astype(str)
    features = feature_columns(df.columns)
    if not features:
        raise ValueError(f"{table} has no {FEATURE_PREFIX}* feature columns")
    return typed(df, numbers_as)


class FeatureMismatchError(ValueError):
    """The day's feature columns are not the ones the champion was trained on."""


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


def _require_table(lane: str, settings: Settings) -> str:
    schema, table = feature_table(lane)
    if not Warehouse(settings).table_exists(schema, table):
        raise LookupError(f"feature table {schema}.{table} does not exist: build the dbt marts first")
    return f'"{schema}"."{table}"'


def labelled_days(lane: str, settings: Settings, as_of: date | None = None) -> pd.DataFrame:
    """Labelled rows and positives per day up to ``as_of`` (item_date, n_rows, n_pos), ordered: the
    out-of-time split decided in the warehouse, without reading the rows."""
    where, params = ("and item_date <= ?", [as_of]) if as_of is not None else ("", [])
    counts = Warehouse(settings).query_df(
        f"select item_date, count(*) as n_rows, cast(sum(label) as bigint) as n_pos from {_require_table(lane, settings)} "
        f"where label is not null {where} group by item_date order by item_date", params)
    counts["item_date"] = pd.to_datetime(counts["item_date"]).dt.date
    return counts.astype({"n_rows": "int64", "n_pos": "int64"})


def labelled_profile(lane: str, settings: Settings, columns: list[str], since: date,
                     as_of: date) -> dict[str, int]:
    """Missing values per column among the labelled rows of [since, as_of], counted in the warehouse."""
    counts = ", ".join(f'sum(case when "{c}" is null then 1 else 0 end) as "{c}"' for c in columns)
    row = Warehouse(settings).query_df(
        f"select {counts} from {_require_table(lane, settings)} where label is not null "
        "and item_date >= ? and item_date <= ?", [since, as_of]).iloc[0]
    return {c: int(row[c] or 0) for c in columns}


def category_dtypes(lane: str, settings: Settings, columns: list[str],
                    as_of: date | None = None) -> dict[str, pd.CategoricalDtype]:
    """The categories ``load_features(..., labelled_only=True)`` would give each code column over all
    labelled rows up to ``as_of``, read as distinct values: one dtype every partition can share."""
    where, params = ("and item_date <= ?", [as_of]) if as_of is not None else ("", [])
    table, dtypes = _require_table(lane, settings), {}
    with Warehouse(settings).reader() as warehouse:
        for c in columns:
            values = warehouse.query_df(f'select distinct "{c}" as v from {table} where label is not null {where}',
                                        params)["v"]
            dtypes[c] = values.astype("string").astype("category").dtype
    return dtypes
