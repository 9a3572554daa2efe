"""Publish a scored day to the desk: the selected items with their facts, reasons in words and the
history of their parties, read from the warehouse once by the score stage and written to the desk's
store, so the desk serves the lists without ever opening the warehouse.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
import pandas as pd

from core.contracts import OFFICES
from core.settings import Settings
from core.warehouse import Reader, Warehouse
from customs_risk.desk import reasons as reason_words
from customs_risk.desk.lanes import LaneView, short_key, view
from customs_risk.desk.store import Store, now

log = logging.getLogger(__name__)

HISTORY_DAYS = 365
RECENT_INSPECTIONS = 5
# The day's picked items, found within the day's rows of the fact table (the date bound lets the warehouse
# skip every other day of a long history instead of joining all of it).
_PICKED = ("select distinct f.{party} as party from marts.{table} f join scoring.daily_selection s "
           "on s.item_id = f.{id} and s.lane = ? and s.item_date = ? and s.selected "
           "where f.{party} is not null and f.{date} >= ? and f.{date} < ?")


def publish_day(lane: str, day: dt.date, settings: Settings, scored: pd.DataFrame | None = None,
                features: pd.DataFrame | None = None) -> dict:
    """Replace the desk's lists of ``lane`` on ``day`` with the score stage's selection (``scored``: the
    day's rows as the score stage just wrote them; read back from the warehouse when not given).
    ``features``: the day's feature rows the score stage read (item_id and the model's columns), so the
    values the reasons name and what is typical that day come from memory; a republication on its own
    reads the day's rows of just those columns."""
    if scored is None:
        scored = Warehouse(settings).query_df(
            "select office_id, item_id, score, rank, selected, why, propensity, model_name, model_version, "
            "reasons from scoring.daily_selection where lane = ? and item_date = ? order by office_id, rank",
            [lane, day])
    picked = scored[scored["selected"].astype(bool)].reset_index(drop=True)
    columns = _reason_columns(picked)
    if columns and (features is None or not set(columns) <= set(features.columns)):
        from ml.features import load_features

        features = load_features(lane, settings, day=day, columns=columns)
    values, typical = _feature_values(features, picked, columns)
    spec = view(lane)
    with Warehouse(settings).reader() as warehouse:
        if warehouse.table_exists("marts", spec.table):
            facts, history = _facts(warehouse, spec, lane, day), _party_history(warehouse, spec, lane, day)
        else:   # a features-only warehouse (model tests): lists with scores and reasons, no facts
            log.warning("desk: marts.%s does not exist: publishing %s %s without facts or history", spec.table,
                        lane, day)
            facts, history = {}, {}
    item_rows = [_item_row(lane, day, row, spec, facts, values, typical, history)
                 for row in _records(picked)]
    list_rows = _list_rows(lane, day, scored, settings)
    Store(settings.desk_url).publish(day, lane, list_rows, item_rows)
    log.info("desk: published %s %s: %d items in %d lists", lane, day, len(item_rows), len(list_rows))
    return {"desk_items": len(item_rows), "desk_lists": len(list_rows)}


def _facts(warehouse: Reader, spec: LaneView, lane: str, day: dt.date) -> dict[str, dict]:
    """item_id -> {"shown": label -> text (keys shortened), "parties": party column -> full value}."""
    columns = ", ".join(f"f.{c}" for c, _ in spec.facts)
    frame = warehouse.query_df(
        f"select f.{spec.id_column} as item_id, {columns} from marts.{spec.table} f "
        f"join scoring.daily_selection s on s.item_id = f.{spec.id_column} and s.lane = ? and s.item_date = ? "
        f"and s.selected where f.{spec.date_column} >= ? and f.{spec.date_column} < ?",
        [lane, day, day, day + dt.timedelta(days=1)])
    out = {}
    for row in _records(frame):
        shown = {label: short_key(row[c]) if c in spec.keys else _fact_text(c, row[c]) for c, label in spec.facts}
        parties = {c: row[c] for c, _ in spec.parties if isinstance(row[c], str)}
        out[str(row["item_id"])] = {"shown": shown, "parties": parties}
    return out


def _fact_text(column: str, value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return reason_words.format_value(column, value) if not isinstance(value, str) else value


def _reason_columns(picked: pd.DataFrame) -> list[str]:
    """The feature columns the selected items' reasons name (identities excepted: they show no value)."""
    return sorted({c for text in picked["reasons"].dropna() for c, _ in reason_words.parse_reasons(text)
                   if c.startswith(("f_", "c_")) and not reason_words.is_identity(c)})


def _feature_values(features: pd.DataFrame | None, picked: pd.DataFrame, columns: list[str]):
    """The selected items' values of ``columns`` and what is typical of each that day."""
    if not columns:
        return {}, {}
    stats, mine = _day_stats(features, columns), _picked_values(features, picked, columns)
    typical = {c: reason_words.typical_text(c, stats.get(c, {})) for c in columns}
    return {row.pop("item_id"): row for row in _records(mine)}, typical


_STATS = ("n", "other", "mean", "median")


def _day_stats(features: pd.DataFrame, columns: list[str]) -> dict[str, dict]:
    """Per number column: non-null count, values other than 0 and 1, mean and median of the day."""
    out = {}
    for c in columns:
        if c.startswith("c_"):
            continue
        values = features[c].to_numpy(dtype=float, na_value=np.nan)
        values = values[~np.isnan(values)]
        n = len(values)
        out[c] = dict(zip(_STATS, (n, int(np.count_nonzero((values != 0) & (values != 1))),
                                   float(values.mean()) if n else None, float(np.median(values)) if n else None)))
    return out


def _picked_values(features: pd.DataFrame, picked: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    rows = features[features["item_id"].isin(picked["item_id"])]
    values = {c: rows[c].astype(object).where(rows[c].notna(), None) for c in columns}
    return pd.DataFrame({"item_id": rows["item_id"].astype(str).to_numpy(),
                         **{c: v.to_numpy() for c, v in values.items()}})


def _party_history(warehouse: Reader, spec: LaneView, lane: str, day: dt.date) -> dict[str, dict]:
    """(party column) -> party value -> counts over the last year before the day and the recent inspections."""
    since, picked_days = day - dt.timedelta(days=HISTORY_DAYS), (day, day + dt.timedelta(days=1))
    out: dict[str, dict] = {}
    for party, _ in spec.parties:
        fmt = {"party": party, "table": spec.table, "id": spec.id_column, "date": spec.date_column}
        picked = _PICKED.format(**fmt)
        counts = warehouse.query_df(
            f"with picked as ({picked}) select f.{party} as party, count(*) as n_items, "
            "sum(case when f.is_inspected then 1 else 0 end) as n_inspected, "
            "sum(case when f.label = 1 then 1 else 0 end) as n_hits "
            f"from marts.{spec.table} f join picked on picked.party = f.{party} "
            f"where f.{spec.date_column} >= ? and f.{spec.date_column} < ? group by 1",
            [lane, day, *picked_days, since, day])
        recent = warehouse.query_df(
            f"with picked as ({picked}), ranked as (select f.{party} as party, f.{spec.id_column} as item_id, "
            f"f.{spec.date_column} as item_date, f.label, f.has_seizure, row_number() over (partition by "
            f"f.{party} order by f.{spec.date_column} desc, f.{spec.id_column}) as n from marts.{spec.table} f "
            f"join picked on picked.party = f.{party} where f.is_inspected and f.{spec.date_column} >= ? "
            f"and f.{spec.date_column} < ?) select * from ranked where n <= {RECENT_INSPECTIONS}",
            [lane, day, *picked_days, since, day])
        out[party] = {row["party"]: {"n_items": int(row["n_items"]), "n_inspected": int(row["n_inspected"] or 0),
                                     "n_hits": int(row["n_hits"] or 0), "recent": []}
                      for row in _records(counts)}
        for row in _records(recent.sort_values(["party", "n"])):
            out[party].setdefault(row["party"], {"n_items": 0, "n_inspected": 0, "n_hits": 0, "recent": []})
            out[party][row["party"]]["recent"].append({
                "item_id": str(row["item_id"]), "date": str(pd.Timestamp(row["item_date"]).date()),
                "result": "seizure" if row["has_seizure"] == 1 else "finding" if row["label"] == 1
                else "no finding"})
    return out


def _item_row(lane, day, row, spec: LaneView, facts, values, typical, history) -> dict:
    item_id = str(row["item_id"])
    own = values.get(item_id, {})
    mine = facts.get(item_id, {"shown": {}, "parties": {}})
    parties = []
    for column, label in spec.parties:
        key = mine["parties"].get(column)
        record = history.get(column, {}).get(key) if key is not None else None
        if record is None:
            record = {"n_items": 0, "n_inspected": 0, "n_hits": 0, "recent": []}
        parties.append({"label": label, "key": short_key(key) if column in spec.keys else (key or ""),
                        **record})
    return {
        "lane": lane, "item_id": item_id, "day": day, "office": str(row["office_id"]), "rank": int(row["rank"]),
        "score": float(row["score"]), "why": str(row["why"]), "propensity": _float(row["propensity"]),
        "model_name": row["model_name"], "model_version": _int(row["model_version"]),
        "facts": json.dumps(mine["shown"]),
        "reasons": json.dumps(reason_words.structured(lane, row["reasons"], own, typical), default=str),
        "history": json.dumps(parties, default=str),
    }


def _list_rows(lane: str, day: dt.date, scored: pd.DataFrame, settings: Settings) -> list[dict]:
    """One list per office of the lane (empty ones too: a missing list would be ambiguous)."""
    configured = settings.office_capacity.get(lane, {})
    office = scored["office_id"].astype(str)
    traffic = office.value_counts()
    selected = office[scored["selected"].astype(bool).to_numpy()].value_counts()
    offices = sorted(set(OFFICES.get(lane, ())) | set(traffic.index))
    model = scored.dropna(subset=["model_version"]).head(1).to_dict("records")
    rows = []
    for office in offices:
        capacity = configured.get(office, settings.capacity_share[lane])
        kind = "count" if isinstance(capacity, int) and not isinstance(capacity, bool) else "share"
        rows.append({
            "day": day, "lane": lane, "office": office, "n_items": int(selected.get(office, 0)),
            "traffic": int(traffic.get(office, 0)),
            "capacity": f"{capacity} items" if kind == "count" else f"{capacity:.1%} of traffic",
            "model_name": model[0]["model_name"] if model else None,
            "model_version": _int(model[0]["model_version"]) if model else None, "published_at": now(),
        })
    return rows


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` by column lists: 3x faster on Arrow-backed strings."""
    columns = list(frame.columns)
    return [dict(zip(columns, values)) for values in zip(*(frame[c].tolist() for c in columns))]


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
