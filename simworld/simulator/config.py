"""Volumes, rates and the random streams of the synthetic world, in one place so docs/simulator.md and
the tests can point at the numbers the generators actually use."""
from __future__ import annotations

import datetime as dt

import numpy as np

# A full Korean day (GUIDE section 1); CCTV events follow the travellers (~10 each).
FULL_DAY_VOLUMES = {"shipments": 700_000, "declarations": 120_000, "travellers": 100_000}
DEFAULT_SCALE = 0.01
CCTV_EVENTS_PER_TRAVELLER = 10

SOURCE_LANE = {"shipments": "express", "declarations": "cargo", "travellers": "traveller"}
LANE_SOURCE = {lane: source for source, lane in SOURCE_LANE.items()}
LANE_KEY = {"express": "waybill_id", "cargo": "declaration_id", "traveller": "arrival_id"}

VOLUME_NOISE = 0.03          # day-to-day lognormal sd of each lane's volume
PEAK_MONTHS = (11, 12)       # e-commerce peaks 40 % higher in November-December (GUIDE section 1)
PEAK_FACTOR = 1.4

# Historic inspection shares per lane (GUIDE section 1), split into rule picks and random audit.
RULE_SHARE = {"express": 0.011, "cargo": 0.023, "traveller": 0.010}
AUDIT_SHARE = {"express": 0.005, "cargo": 0.007, "traveller": 0.006}
# Share of risky items an inspection fails to find (RISK_PATTERNS section 5: seizures are a fraction of
# what gets through; we keep the miss modest so labels stay usable).
MISS_RATE = 0.10

# Duty-free thresholds of list clearance, USD (RISK_PATTERNS section 2).
DUTY_FREE_USD = 150.0
DUTY_FREE_USD_FROM_US = 200.0
KRW_PER_USD = 1350.0

# Planted pattern rates, as a share of the lane's rows (docs/simulator.md explains each).
EXPRESS_RATES = {"drug_concealment": 0.0025, "undervalued_electronics": 0.005, "counterfeit": 0.004,
                 "background": 0.001}
EXPRESS_SPLIT_TARGET = 0.005          # mean share of parcels sent by split-shipment rings
EXPRESS_RISKY_SELLER_HIT = 0.20       # chance a parcel of a risky seller is risky
CARGO_RATES = {"misclassification": 0.012, "undervaluation": 0.025, "origin_fraud": 0.010, "background": 0.003}
CARGO_RISKY_IMPORTER_HIT = 0.30
CARGO_RISKY_DECLARANT_HIT = 0.15
TRAVELLER_RATES = {"drug_courier": 0.007, "background": 0.003}

_LANE_STREAM = {"world": 0, "express": 1, "cargo": 2, "traveller": 3, "cctv": 4, "policy": 5, "volume": 6, "drift": 7}


def day_rng(seed: int, day: dt.date, stream: str) -> np.random.Generator:
    """One independent stream per (seed, day, lane): a lane's draws never shift when another lane changes."""
    return np.random.default_rng([seed, day.toordinal(), _LANE_STREAM[stream]])


def world_rng(seed: int, part: str) -> np.random.Generator:
    return np.random.default_rng([seed, 0, _LANE_STREAM["world"], sum(map(ord, part)) * 131 + len(part)])


def day_volume(source: str, day: dt.date, scale: float, seed: int) -> int:
    """Rows of a source on a day: the scaled full-day volume with a little noise and the e-commerce peak."""
    rng = np.random.default_rng([seed, day.toordinal(), _LANE_STREAM["volume"], list(FULL_DAY_VOLUMES).index(source)])
    factor = float(np.exp(rng.normal(0.0, VOLUME_NOISE)))
    if source == "shipments" and day.month in PEAK_MONTHS:
        factor *= PEAK_FACTOR
    return max(1, round(FULL_DAY_VOLUMES[source] * scale * factor))
