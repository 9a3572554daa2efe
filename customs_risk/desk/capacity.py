"""Tomorrow's capacity per office, set by supervisors on the desk and read by the next scoring run.

The score stage (``customs_risk.stages.score``) merges the entries set for the day it scores over
``settings.office_capacity`` (the CUSTOMS_RISK_CAPACITY_<LANE>_<OFFICE> values): the desk's latest
entry per office wins, the other offices keep the configured value.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from core.settings import Settings
from customs_risk.desk.store import Store

MAX_COUNT = 1_000_000


class CapacityError(ValueError):
    """A capacity that scoring could not use (one line for the supervisor)."""


def parse_capacity(kind: str, text: str) -> int | float:
    """A count (whole number of items a day) or a share of the office's traffic in [0, 1]."""
    text = (text or "").strip()
    if kind == "count":
        if not text.isdigit() or int(text) > MAX_COUNT:
            raise CapacityError(f"a count is a whole number of items from 0 to {MAX_COUNT:,}, got {text!r}")
        return int(text)
    if kind == "share":
        try:
            value = float(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            raise CapacityError(f"a share is a number from 0 to 1 (or 0 % to 100 %), got {text!r}") from None
        if not 0.0 <= value <= 1.0:
            raise CapacityError(f"a share is a number from 0 to 1 (or 0 % to 100 %), got {text!r}")
        return value
    raise CapacityError(f"capacity kind must be count or share, got {kind!r}")


def desk_capacities(settings: Settings, lane: str, day: dt.date) -> dict[str, int | float]:
    """office -> capacity the desk set for ``day`` (counts as int, shares as float)."""
    entries = Store(settings.desk_url).capacities_for(lane, day)
    return {office: int(e["value"]) if e["kind"] == "count" else float(e["value"]) for office, e in entries.items()}


def with_desk_capacities(settings: Settings, lane: str, day: dt.date) -> Settings:
    """``settings`` whose office capacities of ``lane`` include what the desk set for ``day``."""
    overrides = desk_capacities(settings, lane, day)
    if not overrides:
        return settings
    merged = {**settings.office_capacity, lane: {**settings.office_capacity.get(lane, {}), **overrides}}
    return dataclasses.replace(settings, office_capacity=merged)
