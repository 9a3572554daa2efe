"""Inspection results from the truth, as the inspectors would record them.

Each draw (missed or found, method, quantity, extra duty) is a keyed hash of (seed, lane, item id), not
a position in a random stream: the same item inspected twice (rule pick, then model pick) gets the same
result, and a rerun with the same selections writes the same file.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from core.contracts import INSPECTIONS

from .codes import digits
from .config import KRW_PER_USD, MISS_RATE

SEIZED = ("drugs", "counterfeit", "prohibited_goods", "critical")
_METHODS = {  # method shares by lane: (documents, xray, physical, body_scanner)
    "express": (0.0, 0.7, 0.3, 0.0),
    "cargo": (0.5, 0.2, 0.3, 0.0),
    "traveller": (0.0, 0.6, 0.3, 0.1),
}
_METHOD_NAMES = np.array(INSPECTIONS.field("method").allowed)
assert len(_METHOD_NAMES) == 4


def uniform(seed: int, lanes: pd.Series, items: pd.Series, salt: str) -> np.ndarray:
    """A reproducible U(0,1) per (seed, lane, item, salt)."""
    key = hashlib.md5(f"{seed}:{salt}".encode()).hexdigest()[:16]
    keys = lanes.astype(str).str.cat(items.astype(str), sep="|")
    hashed = pd.util.hash_pandas_object(keys, index=False, hash_key=key).to_numpy(np.uint64)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def inspection_records(items: pd.DataFrame, day: dt.date, seed: int, id_prefix: str) -> pd.DataFrame:
    """items: lane, item_id, item_date, office_id, selection_reason, is_risky, category."""
    items = items.reset_index(drop=True)
    n = len(items)
    lane, item = items["lane"], items["item_id"]
    found = items["is_risky"].to_numpy(bool) & (uniform(seed, lane, item, "miss") >= MISS_RATE)
    category = items["category"].to_numpy(object)
    seized = found & np.isin(category, SEIZED)
    result = np.where(seized, "seizure", np.where(found, "irregularity", "no_finding"))

    u = uniform(seed, lane, item, "method")
    shares = np.array([_METHODS[x] for x in ("cargo", "express", "traveller")])
    lane_row = pd.Categorical(lane, categories=["cargo", "express", "traveller"]).codes
    cum = np.cumsum(shares[lane_row], axis=1) if n else np.zeros((0, 4))
    method = _METHOD_NAMES[np.minimum((u[:, None] > cum).sum(axis=1), 3)]
    method = np.where(seized & (method == "xray"), "physical", method)   # a seizure ends with opening it

    q = uniform(seed, lane, item, "quantity")
    quantity = np.where(category == "drugs", np.round(np.exp(np.log(0.3) + 1.5 * (q - 0.5) * 2), 3),
                        np.round(1 + 49 * q))
    quantity = np.where(seized, quantity, np.nan)
    extra = np.round(np.exp(np.log(300 * KRW_PER_USD) + 2.0 * (uniform(seed, lane, item, "duty") - 0.5)), 0)
    extra = np.where(found & ~seized, extra, np.nan)

    suffix = pd.Categorical(lane, categories=["cargo", "express", "traveller"]).codes
    seq = np.zeros(n, dtype=np.int64)
    for code in range(3):
        mask = suffix == code
        seq[mask] = np.arange(mask.sum())
    inspection_id = np.strings.add(np.strings.add(f"{id_prefix}{day:%Y%m%d}", np.array(list("CEX"))[suffix]),
                                   digits(seq, 7))
    return pd.DataFrame({
        "inspection_id": inspection_id,
        "inspection_date": day.isoformat(),
        "lane": lane.to_numpy(),
        "item_id": item.to_numpy(),
        "item_date": pd.to_datetime(items["item_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "office_id": items["office_id"].to_numpy(),
        "selection_reason": items["selection_reason"].to_numpy(),
        "method": method,
        "result": result,
        "category": np.where(found, category, None),
        "quantity": quantity,
        "extra_duty_krw": extra,
    })[INSPECTIONS.columns]
