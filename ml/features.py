"""Reading the dbt feature tables: the contract between the marts and the models.

Feature columns are found by their ``f_`` prefix so a new dbt feature needs no Python change; the
model signature then pins the set a given model version was trained on.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from customs_risk.settings import LANES, Settings
from customs_risk.warehouse import Warehouse

FEATURE_PREFIX = "f_"
KEY_COLUMNS = ("item_id", "item_date", "office_id", "label", "selection_reason", "is_audit")
# dbt's incremental bookkeeping (when a row's inputs were loaded): not data, so not in any dataset digest.
BOOKKEEPING_COLUMNS = ("inputs_loaded_at",)


def feature_table(lane: str) -> tuple[str, str]:
    """(schema, table) of a lane's features; the lane is checked because it ends up inside SQL."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; expected one of {', '.join(LANES)}")
    return "marts", f"fct_{lane}_features"


def feature_columns(columns) -> list[str]:
    return [c for c in columns if str(c).startswith(FEATURE_PREFIX)]


def load_features(
    lane: str, settings: Settings, *, as_of: date | None = None, day: date | None = None
) -> pd.DataFrame:
    """Rows of the lane's feature table up to ``as_of`` (point in time) or on one ``day``.

    Ordered by (item_date, item_id) so the same data always gives the same frame, hence the same
    dataset digest and the same model.
    """
    schema, table = feature_table(lane)
    warehouse = Warehouse(settings)
    if not warehouse.table_exists(schema, table):
        raise LookupError(f"feature table {schema}.{table} does not exist: build the dbt marts first")
    where, params = "", []
    if day is not None:
        where, params = "where item_date = ?", [day]
    elif as_of is not None:
        where, params = "where item_date <= ?", [as_of]
    df = warehouse.query_df(f'select * from "{schema}"."{table}" {where} order by item_date, item_id', params)
    df = df.drop(columns=[c for c in BOOKKEEPING_COLUMNS if c in df.columns])
    df["item_date"] = pd.to_datetime(df["item_date"]).dt.date
    df["item_id"] = df["item_id"].astype(str)
    df["office_id"] = df["office_id"].astype(str)
    features = feature_columns(df.columns)
    if not features:
        raise ValueError(f"{schema}.{table} has no {FEATURE_PREFIX}* feature columns")
    df[features] = df[features].astype("float64")
    return df
