"""Keys seen before: earlier in the batch, or on a day already loaded.

The first copy of a key loads; every later copy is quarantined as a duplicate naming where the key was
first seen (a line of a file in this batch, or the day it was loaded for). A rerun of a day is no
duplicate of itself: the days being loaded are left out of the warehouse look-up, since their partitions
are replaced. The contract suite then judges the ``_duplicate_of`` column this module fills.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.contracts import Contract
from core.warehouse import Warehouse
from expectations.suites import BATCH_DAY, DUPLICATE_OF, DUPLICATE_REASON
from ingest.readers import FILE, LINE


def duplicate_of(batch: pd.DataFrame, contract: Contract, warehouse: Warehouse, days: list[dt.date]) -> pd.Series:
    """Per row: where its key was first seen, or None for a first copy of a new key."""
    key = batch[contract.key]
    present = key.notna()
    first = batch[present & ~key.duplicated(keep="first")]
    place = ("line " + first[LINE].astype(str) + " of " + first[FILE].astype(str)
             + " (" + first[BATCH_DAY].dt.date.astype(str) + ")")
    later = present & key.duplicated(keep="first")
    within = key.where(later).map(dict(zip(first[contract.key], place)))
    loaded = key.map(_loaded_for(warehouse, contract, first[contract.key].tolist(), days))
    result = within.where(within.notna(), "loaded for " + loaded.astype("string").fillna(""))
    return result.where(within.notna() | loaded.notna(), None).astype(object)


def _loaded_for(warehouse: Warehouse, contract: Contract, keys: list[str], days: list[dt.date]) -> dict[str, str]:
    """The first loaded day of each key already in ``raw.<source>``, outside the days being (re)loaded.

    DuckDB joins the keys as a registered frame (a full CCTV day, 1.08M keys: ~1 s; as a list parameter ~4 s);
    PostgreSQL takes them as an array parameter."""
    if not keys or not warehouse.table_exists("raw", contract.table):
        return {}
    table, key = f'raw."{contract.table}"', f'"{contract.key}"'
    outside = "e._batch_date not in (select unnest(?::date[])) group by 1"
    if warehouse.kind == "duckdb":
        with warehouse.connect(read_only=True) as conn:
            conn.register("_keys", pd.DataFrame({"k": keys}))
            frame = conn.execute(f"select e.{key} as k, min(e._batch_date) as d from {table} e "
                                 f"semi join _keys on e.{key} = _keys.k where {outside}", [days]).df()
    else:
        frame = warehouse.query_df(f"select e.{key} as k, min(e._batch_date) as d from {table} e "
                                   f"where e.{key} in (select unnest(?::varchar[])) and {outside}", [keys, days])
    return {k: str(pd.Timestamp(d).date()) for k, d in zip(frame["k"], frame["d"])}


def with_duplicate_detail(failures: dict[int, list[str]], batch: pd.DataFrame,
                          contract: Contract) -> dict[int, list[str]]:
    """Name the first copy in each duplicate's reason: 'waybill_id: duplicate key (first: line 6 of ...)'."""
    generic = f"{contract.key}: {DUPLICATE_REASON}"
    where = batch.set_index("_row")[DUPLICATE_OF]
    return {row: [f"{r} (first: {where[row]})" if r == generic else r for r in reasons]
            for row, reasons in failures.items()}
