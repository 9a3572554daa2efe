"""Batch-level expectations that compare a source's day with the days already loaded.

The contract suite (``expectations.suites``) judges rows; these rules judge the day as a whole against
the source's own history in the warehouse, so a feed that suddenly sends a tenth of its usual volume, or
a column that suddenly comes empty, rejects the source's day instead of loading a silently broken one.
A failure rejects only that source's day: the other sources and days still load.

Rules (numbers below are module constants):

* **Volume band**: the day's row count must lie within ``VOLUME_BAND`` (0.3x-3x) of the mean of the
  source's previous loaded days *with the same weekday* in the last ``HISTORY_DAYS`` (up to 4 values).
  Same weekday, not "the last 7 days": in the real KCS 2020 declarations weekends carry 1/6 of a
  weekday's volume, and a plain 7-day trailing band rejects 104 of 366 days; by weekday it flags only
  public holidays. Skipped with fewer than ``MIN_HISTORY`` such days, or when that mean is below
  ``MIN_ROWS`` (small samples are noise, not a broken feed).
* **Short day** (a truncated transfer cut at a line boundary): when the weekday band has too little
  history, the day's row count must reach ``SHORT_DAY_SHARE`` (0.3x) of the smallest of the source's
  last ``RECENT_DAYS`` loaded days (at least ``MIN_HISTORY`` of them, each of ``MIN_ROWS`` or more).
  Both volume rules are lifted for a real quiet day by ``--accept-short`` (``check_volume=False``).
* **Null share per column**: for each contract column, the day's share of empty values may exceed the
  mean share of the previous loaded days in the window (up to the last 7) by at most ``NULL_SHARE_MARGIN``
  (absolute). Without history, only the contract's row rules apply. Skipped for days under ``MIN_ROWS``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from core.contracts import Contract

VOLUME_BAND = (0.3, 3.0)
HISTORY_DAYS = 28
MIN_HISTORY = 2
MIN_ROWS = 50
NULL_SHARE_MARGIN = 0.25
NULL_HISTORY_DAYS = 7
SHORT_DAY_SHARE = 0.3
RECENT_DAYS = 7
ACCEPT_SHORT_HINT = "a truncated transfer? for a real quiet day: customs-risk ingest --accept-short"


@dataclass
class DayStats:
    rows: int
    nulls: dict[str, int] = field(default_factory=dict)   # contract column -> empty values

    @classmethod
    def of(cls, frame: pd.DataFrame, contract: Contract) -> "DayStats":
        return cls(len(frame), {f.name: int(frame[f.name].isna().sum()) for f in contract.fields})


def loaded_history(warehouse, contract: Contract, day_from: dt.date, day_to: dt.date) -> dict[dt.date, DayStats]:
    """Row and non-null counts per loaded day of ``raw.<source>`` between two days (inclusive)."""
    if not warehouse.table_exists("raw", contract.table):
        return {}
    fields = list(contract.fields)
    counts = ", ".join(f'count("{f.warehouse_name}") as c{i}' for i, f in enumerate(fields))
    frame = warehouse.query_df(
        f'select _batch_date as d, count(*) as n, {counts} from raw."{contract.table}" '
        "where _batch_date between ? and ? group by 1", [day_from, day_to])
    history = {}
    for row in frame.itertuples(index=False):
        n = int(row.n)
        d = row.d if isinstance(row.d, dt.date) else pd.Timestamp(row.d).date()
        if isinstance(d, dt.datetime):
            d = d.date()
        history[d] = DayStats(n, {f.name: n - int(getattr(row, f"c{i}")) for i, f in enumerate(fields)})
    return history


def check_day(contract: Contract, day: dt.date, today: DayStats, history: dict[dt.date, DayStats],
              check_volume: bool = True) -> list[str]:
    """Failed batch-level expectations of one source's day, as human messages (empty: the day may load)."""
    past = {d: s for d, s in history.items() if day - dt.timedelta(days=HISTORY_DAYS) <= d < day}
    errors = _volume_errors(day, today, past) if check_volume else []
    recent = [s for _, s in sorted(past.items())][-NULL_HISTORY_DAYS:]
    if recent and today.rows >= MIN_ROWS:
        total = sum(s.rows for s in recent)
        for f in contract.fields:
            share = today.nulls.get(f.name, 0) / today.rows
            usual = sum(s.nulls.get(f.name, 0) for s in recent) / total if total else 0.0
            if share > usual + NULL_SHARE_MARGIN:
                errors.append(f"{f.name}: {share:.0%} empty, usually {usual:.0%} over the last {len(recent)} "
                              f"loaded days (null share may rise by at most {NULL_SHARE_MARGIN:.0%})")
    return errors


def _volume_errors(day: dt.date, today: DayStats, past: dict[dt.date, DayStats]) -> list[str]:
    """The weekday band when there is enough same-weekday history, else the short-day floor."""
    same_weekday = [s.rows for d, s in sorted(past.items()) if d.weekday() == day.weekday()][-4:]
    if len(same_weekday) >= MIN_HISTORY:
        mean = sum(same_weekday) / len(same_weekday)
        low, high = VOLUME_BAND[0] * mean, VOLUME_BAND[1] * mean
        if mean >= MIN_ROWS and not low <= today.rows <= high:
            hint = f"; {ACCEPT_SHORT_HINT}" if today.rows < low else ""
            return [f"row count {today.rows} outside {VOLUME_BAND[0]}x-{VOLUME_BAND[1]}x of the mean "
                    f"{mean:.0f} of the last {len(same_weekday)} loaded {day.strftime('%A')}s "
                    f"(expect_table_row_count_to_be_between {low:.0f}..{high:.0f}){hint}"]
        return []
    recent = [s.rows for _, s in sorted(past.items())][-RECENT_DAYS:]
    if len(recent) < MIN_HISTORY or min(recent) < MIN_ROWS or today.rows >= SHORT_DAY_SHARE * min(recent):
        return []
    return [f"row count {today.rows} under {SHORT_DAY_SHARE}x of the smallest of the last {len(recent)} "
            f"loaded days ({min(recent)} rows): {ACCEPT_SHORT_HINT}"]
