"""A world that changes from a given day, so monitoring and retraining can be tested on it.

``Drift(from_day, kind)`` applies to the express and cargo lanes from ``from_day`` on (earlier days are
byte-identical to a world without drift):

- ``new_route``: a new origin (``NEW_ROUTE_COUNTRY``, unseen before) carries ``NEW_ROUTE_SHARE`` of the
  traffic, and ``NEW_ROUTE_HIT`` of it is drugs (pattern ``new_route``) that no rule looks at;
- ``new_concealment``: the drug-concealment pattern moves into other goods: its items take the HS
  code and description of random clean items of the same day, so the goods no longer give it away;
- ``hs_mix``: ``HS_MIX_SHARE`` of the traffic takes the goods of the day's most common HS chapter.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

KINDS = ("new_route", "new_concealment", "hs_mix")
NEW_ROUTE_COUNTRY = "KH"
NEW_ROUTE_SHARE = 0.08
NEW_ROUTE_HIT = 0.15
HS_MIX_SHARE = 0.25
_GOODS = {"express": ("hs6", "item_description"), "cargo": ("hs6",)}


@dataclass(frozen=True)
class Drift:
    from_day: dt.date
    kind: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"drift kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    def applies(self, lane: str, day: dt.date) -> bool:
        return lane in _GOODS and day >= self.from_day


def apply_drift(drift: Drift | None, lane: str, day: dt.date, frame: pd.DataFrame, truth: pd.DataFrame,
                rng: np.random.Generator) -> None:
    """Change the day's frame and truth in place (same row order) when ``drift`` applies."""
    if drift is None or not drift.applies(lane, day) or frame.empty:
        return
    n = len(frame)
    goods = list(_GOODS[lane])
    if drift.kind == "new_route":
        rows = np.flatnonzero(rng.random(n) < NEW_ROUTE_SHARE)
        frame.loc[frame.index[rows], ["origin_country", "departure_country"]] = NEW_ROUTE_COUNTRY
        hit = rows[(rng.random(len(rows)) < NEW_ROUTE_HIT) & ~truth["is_risky"].to_numpy()[rows]]
        truth.loc[truth.index[hit], ["is_risky", "category", "pattern"]] = [True, "drugs", "new_route"]
    elif drift.kind == "new_concealment":
        rows = np.flatnonzero((truth["pattern"] == "drug_concealment").to_numpy())
        clean = np.flatnonzero(~truth["is_risky"].to_numpy())
        if len(rows) and len(clean):
            frame.loc[frame.index[rows], goods] = frame.iloc[rng.choice(clean, len(rows))][goods].to_numpy()
    else:
        chapter = frame["hs6"].str[:2]
        donors = np.flatnonzero((chapter == chapter.mode().iloc[0]).to_numpy())
        rows = np.flatnonzero(rng.random(n) < HS_MIX_SHARE)
        frame.loc[frame.index[rows], goods] = frame.iloc[rng.choice(donors, len(rows))][goods].to_numpy()
