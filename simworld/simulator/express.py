"""One day of express / e-commerce parcels (list clearance) with the express patterns planted."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.contracts import OFFICES, SHIPMENTS

from . import catalog as cat
from .codes import day_ids, plant_patterns, weighted_index
from .config import (DUTY_FREE_USD, DUTY_FREE_USD_FROM_US, EXPRESS_RATES, EXPRESS_RISKY_SELLER_HIT)
from .world import RING_PARCELS_PER_MEMBER, World, active_rings

ITEMS = cat.EXPRESS_ITEMS
_GROUP_OF_ITEM = ITEMS["group"].map({g: i for i, g in enumerate(cat.EXPRESS_GROUPS)}).to_numpy()
_ORDER = np.argsort(_GROUP_OF_ITEM, kind="stable")
_GROUP_START = np.searchsorted(_GROUP_OF_ITEM[_ORDER], np.arange(len(cat.EXPRESS_GROUPS)))
_GROUP_COUNT = np.bincount(_GROUP_OF_ITEM, minlength=len(cat.EXPRESS_GROUPS))
_HS_ROW = {hs: i for i, hs in enumerate(ITEMS["hs6"])}
# Office weights by the position in OFFICES["express"]: Incheon air, Incheon sea, Pyeongtaek, Gimpo.
_OFFICE_P_FROM_CN = np.array([0.45, 0.30, 0.20, 0.05])
_OFFICE_P_OTHER = np.array([0.85, 0.05, 0.00, 0.10])
_COURIER_P_CN = np.array([0.02, 0.02, 0.01, 0.10, 0.25, 0.20, 0.10, 0.30])
_COURIER_P_OTHER = np.array([0.25, 0.22, 0.18, 0.15, 0.08, 0.05, 0.05, 0.02])
assert len(_OFFICE_P_FROM_CN) == len(OFFICES["express"]) and len(_COURIER_P_CN) == len(cat.COURIERS)


def threshold(departure: np.ndarray) -> np.ndarray:
    """Duty-free limit of list clearance: $200 for goods shipped from the US, $150 otherwise."""
    return np.where(departure == "US", DUTY_FREE_USD_FROM_US, DUTY_FREE_USD)


def _items_of_groups(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    return _ORDER[_GROUP_START[groups] + (rng.random(len(groups)) * _GROUP_COUNT[groups]).astype(int)]


def _items_of_codes(rng: np.random.Generator, codes: tuple[str, ...], n: int) -> np.ndarray:
    return np.array([_HS_ROW[c] for c in codes])[rng.integers(0, len(codes), n)]


class _Parcels:
    """Column arrays of the day's parcels; patterns overwrite slices of them."""

    def __init__(self, world: World, rng: np.random.Generator, n: int):
        self.world, self.rng, self.n = world, rng, n
        self.seller = weighted_index(rng, world.seller_cdf, n)
        self.consignee = weighted_index(rng, world.consignee_cdf, n)
        groups = np.where(rng.random(n) < 0.8, world.seller_group[self.seller],
                          rng.integers(0, len(cat.EXPRESS_GROUPS), n))
        self.item = _items_of_groups(rng, groups)
        self.quantity = np.where(_GROUP_OF_ITEM[self.item] == cat.EXPRESS_GROUPS.index("electronics"), 1,
                                 1 + rng.poisson(0.3, n))
        unit_usd = ITEMS["unit_usd"].to_numpy(float)[self.item]
        self.value = unit_usd * self.quantity * rng.lognormal(0.0, 0.4, n)
        self.weight = self._weight(self.item, self.quantity * np.ones(n))
        self.origin = world.seller_country[self.seller].astype("<U2")
        self.departure = np.where((self.origin == "CN") & (rng.random(n) < 0.15), "HK", self.origin)
        self.platform = world.seller_platform[self.seller].astype("<U12")
        self.is_risky = np.zeros(n, dtype=bool)
        self.category = np.full(n, None, dtype=object)
        self.pattern = np.full(n, None, dtype=object)

    def _weight(self, item: np.ndarray, units: np.ndarray) -> np.ndarray:
        unit_kg = ITEMS["unit_kg"].to_numpy(float)[item]
        return unit_kg * units * self.rng.lognormal(0.0, 0.2, len(item)) + self.rng.uniform(0.05, 0.2, len(item))

    def mark(self, rows: np.ndarray, category, pattern: str) -> None:
        self.is_risky[rows] = True
        self.category[rows] = category
        self.pattern[rows] = pattern

    def set_seller(self, rows: np.ndarray, sellers: np.ndarray) -> None:
        self.seller[rows] = sellers
        self.origin[rows] = self.world.seller_country[sellers]
        self.departure[rows] = self.origin[rows]
        self.platform[rows] = self.world.seller_platform[sellers]


def _split_shipments(p: _Parcels, rows_left: np.ndarray, ordinal: int) -> np.ndarray:
    """Rings send many parcels, each just under the duty-free limit, to borrowed clearance codes."""
    world, rng = p.world, p.rng
    members = np.flatnonzero(active_rings(world, ordinal)[world.member_ring])
    per_member = rng.poisson(RING_PARCELS_PER_MEMBER, len(members))
    parcels = np.repeat(members, per_member)[: int(0.05 * p.n)]
    rows = rows_left[: len(parcels)]
    k = len(rows)
    p.consignee[rows] = world.member_consignee[parcels]
    p.set_seller(rows, world.ring_seller[world.member_ring[parcels]])
    p.item[rows] = _items_of_groups(rng, world.seller_group[p.seller[rows]])
    limit = threshold(p.departure[rows])
    p.value[rows] = limit * rng.uniform(0.80, 0.995, k)
    true_value = p.value[rows] * rng.uniform(1.5, 3.0, k)
    units = np.maximum(1.0, true_value / ITEMS["unit_usd"].to_numpy(float)[p.item[rows]])
    p.quantity[rows] = np.maximum(1, np.round(units / 2)).astype(int)
    p.weight[rows] = p._weight(p.item[rows], units)
    p.mark(rows, "undervaluation", "split_shipment")
    return rows


def _drug_concealment(p: _Parcels, rows: np.ndarray) -> None:
    """Drugs hidden in food, cosmetics, supplements or toys from the source countries, to new consignees."""
    world, rng, k = p.world, p.rng, len(rows)
    origins, origin_p = cat.probs(cat.DRUG_ORIGINS)
    origin = origins[rng.choice(len(origins), k, p=origin_p)]
    for country in origins:
        sub = rows[origin == country]
        candidates = np.flatnonzero(world.seller_country == country)
        if len(sub) and len(candidates):
            p.set_seller(sub, rng.choice(candidates, len(sub)))
        elif len(sub):
            p.origin[sub] = p.departure[sub] = country
    p.consignee[rows] = rng.integers(0, len(world.consignee_cdf), k)     # uniform: mostly first-time buyers
    p.item[rows] = _items_of_codes(rng, cat.DRUG_CONCEALMENT_HS, k)
    p.quantity[rows] = 1
    p.value[rows] = rng.uniform(8, 60, k)
    p.weight[rows] = p._weight(p.item[rows], rng.uniform(1.2, 2.0, k))      # heavier than the goods declared
    p.mark(rows, "drugs", "drug_concealment")


def _undervalued_electronics(p: _Parcels, rows: np.ndarray) -> None:
    """Headphones and VR sets worth more than the limit declared at or under it; the weight tells."""
    rng, k = p.rng, len(rows)
    p.item[rows] = _items_of_codes(rng, cat.UNDERVALUED_ELECTRONICS_HS, k)
    unit_usd = ITEMS["unit_usd"].to_numpy(float)[p.item[rows]]
    true_value = np.maximum(unit_usd * rng.lognormal(0.3, 0.3, k), 1.1 * threshold(p.departure[rows]))
    p.quantity[rows] = 1
    p.value[rows] = threshold(p.departure[rows]) * rng.uniform(0.55, 0.99, k)
    p.weight[rows] = p._weight(p.item[rows], true_value / unit_usd)
    p.mark(rows, "undervaluation", "undervalued_electronics")


def _counterfeit(p: _Parcels, rows: np.ndarray) -> None:
    """Fake bags and shoes from China, mostly through one platform, from a few repeat sellers."""
    world, rng, k = p.world, p.rng, len(rows)
    p.set_seller(rows, rng.choice(np.flatnonzero(world.seller_counterfeit), k))
    p.platform[rows] = np.where(rng.random(k) < 0.76, cat.COUNTERFEIT_PLATFORM, p.platform[rows])
    p.departure[rows] = np.where(rng.random(k) < 0.3, "HK", "CN")
    p.item[rows] = _items_of_codes(rng, cat.COUNTERFEIT_HS, k)
    p.quantity[rows] = 1 + rng.poisson(0.5, k)
    p.value[rows] = rng.uniform(20, 90, k) * p.quantity[rows]
    p.weight[rows] = p._weight(p.item[rows], p.quantity[rows].astype(float))
    p.mark(rows, "counterfeit", "counterfeit")


def _background(p: _Parcels, rows: np.ndarray) -> None:
    """Risk with no planted signal: the floor no model should be expected to find."""
    rng, k = p.rng, len(rows)
    category = rng.choice(np.array(["prohibited_goods", "undervaluation", "counterfeit"]), k, p=[0.5, 0.3, 0.2])
    medicine = rows[(category == "prohibited_goods") & (rng.random(k) < 0.5)]
    p.item[medicine] = _HS_ROW["300490"]
    p.mark(rows, category, "background")


def _risky_sellers(p: _Parcels) -> None:
    """A few sellers whose parcels are often bad: only their history gives them away."""
    rows = np.flatnonzero(p.world.seller_risky[p.seller] & ~p.is_risky & (p.rng.random(p.n) < EXPRESS_RISKY_SELLER_HIT))
    fake = np.isin(ITEMS["group"].to_numpy()[p.item[rows]], ("bags", "shoes"))
    p.value[rows[~fake]] *= p.rng.uniform(0.3, 0.7, (~fake).sum())
    p.mark(rows, np.where(fake, "counterfeit", "undervaluation").astype(object), "risky_seller")


def generate(world: World, day: dt.date, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's shipments (contract columns, raw values) and the truth of each parcel."""
    p = _Parcels(world, rng, n)
    order = rng.permutation(n)
    plant_patterns(rng, p, order, len(_split_shipments(p, order, day.toordinal())), EXPRESS_RATES,
                   (("drug_concealment", _drug_concealment), ("undervalued_electronics", _undervalued_electronics),
                    ("counterfeit", _counterfeit), ("background", _background)))
    _risky_sellers(p)

    offices = np.array(OFFICES["express"])
    from_cn = np.isin(p.departure, ("CN", "HK"))
    office = np.where(from_cn, offices[rng.choice(len(offices), n, p=_OFFICE_P_FROM_CN)],
                      offices[rng.choice(len(offices), n, p=_OFFICE_P_OTHER)])
    couriers = np.array(cat.COURIERS)
    courier = np.where(from_cn, couriers[rng.choice(len(couriers), n, p=_COURIER_P_CN)],
                       couriers[rng.choice(len(couriers), n, p=_COURIER_P_OTHER / _COURIER_P_OTHER.sum())])
    waybill = day_ids("W", day, n)
    frame = pd.DataFrame({
        "waybill_id": waybill,
        "arrival_date": day.isoformat(),
        "office_id": office,
        "courier_id": courier,
        "platform": p.platform,
        "seller_id": world.express_seller_id(p.seller),
        "consignee_pccc": world.consignee_pccc(p.consignee),
        "consignee_name": world.consignee_name(p.consignee),
        "item_description": ITEMS["description"].to_numpy()[p.item],
        "hs6": ITEMS["hs6"].to_numpy()[p.item],
        "quantity": p.quantity.astype(np.int64),
        "declared_value_usd": np.round(p.value, 2),
        "weight_kg": np.round(p.weight, 3),
        "origin_country": p.origin,
        "departure_country": p.departure,
        "consignee_region": np.array(cat.REGIONS)[world.consignee_region[p.consignee]],
    })[SHIPMENTS.columns]
    truth = pd.DataFrame({"item_id": waybill, "office_id": office, "is_risky": p.is_risky,
                          "category": p.category, "pattern": p.pattern})
    return frame, truth
