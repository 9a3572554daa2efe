"""The day's volume per office against its recent days: a feed that halves or doubles overnight is
more often a broken extract than a change in the world, and either way the selection is off."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.settings import Settings
from core.warehouse import Warehouse

RECENT_DAYS = 7


def office_volumes(feature_table: str, day: dt.date, settings: Settings) -> pd.DataFrame:
    """Per office: the day's items, the median of the previous ``RECENT_DAYS`` days, their ratio and
    'watch' when it is off by more than ``settings.volume_watch`` (as a share)."""
    counts = Warehouse(settings).query_df(
        f"select office_id, item_date, count(*) as n from {feature_table} where item_date between ? and ? "
        "group by office_id, item_date", [day - dt.timedelta(days=RECENT_DAYS), day])
    counts["item_date"] = pd.to_datetime(counts["item_date"]).dt.date
    today = counts[counts["item_date"] == day].set_index("office_id")["n"]
    recent = counts[counts["item_date"] < day].groupby("office_id")["n"].median()
    out = pd.DataFrame({"items": today, "recent_median": recent}).fillna({"items": 0}).reset_index(names="office_id")
    out["ratio"] = np.divide(out["items"], out["recent_median"], out=np.full(len(out), np.nan),
                             where=out["recent_median"].fillna(0).to_numpy() > 0)
    off = (out["ratio"] - 1).abs() > settings.volume_watch
    out["level"] = np.where(off.fillna(False), "watch", "ok")
    return out.astype({"items": "int64"}).sort_values("office_id", ignore_index=True)
