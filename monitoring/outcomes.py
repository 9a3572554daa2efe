"""The hit rate of the picks per week as inspection outcomes return: model picks, exploration picks,
the rules and the random audit (Wilson intervals), and the hit rate of all traffic estimated from
every pick by inverse propensity (Horvitz-Thompson), which only exploration makes possible."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.intervals import horvitz_thompson_rate, wilson_interval
from core.settings import Settings
from core.warehouse import Warehouse

WEEKS = 8
REASONS = ("model", "exploration", "rule", "audit")
COLUMNS = ["week_start", "kind", "hits", "n", "rate", "lo", "hi", "note"]


def _labelled(lane: str, feature_table: str, since: dt.date, day: dt.date, settings: Settings) -> pd.DataFrame:
    warehouse = Warehouse(settings)
    rows = warehouse.query_df(
        f"select item_id, item_date, label, selection_reason from {feature_table} "
        "where item_date between ? and ? and label is not null", [since, day])
    if warehouse.table_exists("scoring", "daily_selection"):
        logged = warehouse.query_df(
            "select item_id, propensity from scoring.daily_selection where lane = ? and item_date between ? and ? "
            "and selected", [lane, since, day])
        rows = rows.merge(logged.astype({"item_id": str}), how="left", on="item_id")
    else:
        rows["propensity"] = np.nan
    return rows


def _scored_per_week(lane: str, since: dt.date, day: dt.date, settings: Settings) -> pd.DataFrame:
    warehouse = Warehouse(settings)
    if not warehouse.table_exists("scoring", "daily_selection"):
        return pd.DataFrame(columns=["item_date", "items", "picks"])
    return warehouse.query_df(
        "select item_date, count(*) as items, sum(case when selected then 1 else 0 end) as picks "
        "from scoring.daily_selection where lane = ? and item_date between ? and ? group by item_date",
        [lane, since, day])


def week_start(days: pd.Series) -> pd.Series:
    d = pd.to_datetime(days)
    return (d - pd.to_timedelta(d.dt.weekday, unit="D")).dt.date


def weekly_hit_rates(lane: str, day: dt.date, feature_table: str, settings: Settings) -> pd.DataFrame:
    """One row per (week, kind) over the last ``WEEKS`` weeks up to ``day``: hits, outcomes, rate and
    its interval. ``all_traffic_ipw`` is the estimated hit rate of every item scored that week."""
    since = day - dt.timedelta(weeks=WEEKS)
    rows = _labelled(lane, feature_table, since, day, settings)
    rows["week_start"] = week_start(rows["item_date"])
    out = []
    for (week, reason), group in rows.groupby(["week_start", "selection_reason"]):
        if reason in REASONS:
            hits, n = float(group["label"].sum()), len(group)
            lo, hi = wilson_interval(hits, n, settings.confidence)
            out.append([week, reason, hits, n, hits / n, lo, hi, ""])
    out += _ipw_rows(rows, _scored_per_week(lane, since, day, settings), settings)
    return pd.DataFrame(out, columns=COLUMNS).sort_values(["week_start", "kind"], ignore_index=True)


def _ipw_rows(rows: pd.DataFrame, scored: pd.DataFrame, settings: Settings) -> list[list]:
    """Horvitz-Thompson per week over the live picks with a logged propensity. Outcomes still out are
    treated as missing at random: the population is scaled by the share of picks with an outcome."""
    if scored.empty:
        return []
    scored = scored.assign(week_start=week_start(scored["item_date"])).groupby("week_start")[["items", "picks"]].sum()
    live = rows[rows["selection_reason"].isin(("model", "exploration")) & rows["propensity"].notna()]
    out = []
    for week, group in live.groupby("week_start"):
        if week not in scored.index:
            continue
        items, picks = scored.loc[week, "items"], scored.loc[week, "picks"]
        returned = len(group) / picks if picks else 0.0
        est = horvitz_thompson_rate(group["label"].to_numpy(float), group["propensity"].to_numpy(float),
                                    int(round(items * min(1.0, returned))), settings.confidence)
        out.append([week, "all_traffic_ipw", float(group["label"].sum()), len(group), est["value"], est["lo"],
                    est["hi"], f"outcomes for {returned:.0%} of {int(picks)} picks"])
    return out
