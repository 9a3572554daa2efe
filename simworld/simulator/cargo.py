"""One day of general-cargo import declarations with the cargo patterns planted."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.contracts import DECLARATIONS, OFFICES

from . import catalog as cat
from .codes import day_ids, pick, plant_patterns, weighted_index
from .config import CARGO_RATES, CARGO_RISKY_DECLARANT_HIT, CARGO_RISKY_IMPORTER_HIT
from .world import World

GOODS = cat.CARGO_GOODS
_HS = GOODS["hs6"].to_numpy()
_RATE = GOODS["rate"].to_numpy(float)
_KRW_KG = GOODS["krw_per_kg"].to_numpy(float)
_MASS = GOODS["mass_kg"].to_numpy(float)
_GOODS_P = GOODS["weight"].to_numpy(float) / GOODS["weight"].sum()
_ROW = {hs: i for i, hs in enumerate(_HS)}
_ORIGIN_INDICATORS = DECLARATIONS.field("origin_indicator").allowed
assert set(cat.ORIGIN_INDICATORS) <= set(_ORIGIN_INDICATORS)
assert set(cat.ORIGIN_FRAUD_INDICATORS) <= set(_ORIGIN_INDICATORS)


class _Lines:
    """Column arrays of the day's declaration lines; patterns overwrite slices of them."""

    def __init__(self, world: World, rng: np.random.Generator, n: int):
        self.world, self.rng, self.n = world, rng, n
        self.importer = weighted_index(rng, world.importer_cdf, n)
        usual = world.importer_sellers[self.importer, rng.integers(0, 3, n)]
        self.seller = np.where(rng.random(n) < 0.9, usual, weighted_index(rng, world.cargo_seller_cdf, n))
        self.declarant = np.where(rng.random(n) < 0.85, world.importer_declarant[self.importer],
                                  weighted_index(rng, world.declarant_cdf, n))
        self.goods = np.where(rng.random(n) < 0.7, world.importer_goods[self.importer, rng.integers(0, 2, n)],
                              rng.choice(len(_HS), n, p=_GOODS_P))
        self.origin = world.cargo_seller_country[self.seller].astype("<U2")
        detour = rng.random(n) < 0.1
        self.departure = np.where(detour, pick(rng, {"HK": 3, "SG": 2, "CN": 3, "JP": 2}, n), self.origin)
        self.mass = np.maximum(0.1, _MASS[self.goods] * rng.lognormal(0.0, 1.0, n))
        self.price = _KRW_KG[self.goods] * self.mass * rng.lognormal(0.0, 0.35, n)
        fta = pd.Series(self.origin).map(cat.FTA_TYPE).fillna("").to_numpy(dtype="<U4")
        use_fta = (fta != "") & (rng.random(n) < cat.FTA_USE)
        self.tax_type = np.where(use_fta, fta, np.where(rng.random(n) < 0.65, "A", "C")).astype("<U4")
        self.tax_rate = np.where(use_fta, 0.0, np.where(self.tax_type == "C", 0.8, 1.0) * _RATE[self.goods])
        self.indicator = pick(rng, cat.ORIGIN_INDICATORS, n)
        self.is_risky = np.zeros(n, dtype=bool)
        self.category = np.full(n, None, dtype=object)
        self.pattern = np.full(n, None, dtype=object)

    def mark(self, rows, category, pattern: str) -> None:
        self.is_risky[rows] = True
        self.category[rows] = category
        self.pattern[rows] = pattern

    def new_seller(self, rows: np.ndarray, share: float, country: str | np.ndarray | None = None) -> None:
        """Fraud often comes with a seller the importer never used before (a new relationship)."""
        keep = self.rng.random(len(rows)) < share
        rows = rows[keep]
        if not len(rows):
            return
        sellers = weighted_index(self.rng, self.world.cargo_seller_cdf, len(rows))
        if country is not None:
            wanted = np.broadcast_to(np.asarray(country), keep.shape)[keep]
            for c in np.unique(wanted):
                pool = np.flatnonzero(self.world.cargo_seller_country == c)
                sub = wanted == c
                if len(pool):
                    sellers[sub] = self.rng.choice(pool, sub.sum())
        self.seller[rows] = sellers


def _misclassification(d: _Lines, rows: np.ndarray) -> None:
    """High-duty farm goods declared under a low-duty code (black beans as roasted beans, ...)."""
    rng, k = d.rng, len(rows)
    pair = np.array(cat.MISCLASSIFICATION)[rng.integers(0, len(cat.MISCLASSIFICATION), k)]
    true_goods = pd.Series(pair[:, 0], dtype=object).map(_ROW).to_numpy(dtype=np.int64)
    declared = pd.Series(pair[:, 1], dtype=object).map(_ROW).to_numpy(dtype=np.int64)
    origin = pick(rng, {"CN": 0.7, "VN": 0.15, "IN": 0.1, "TH": 0.05}, k)
    d.goods[rows] = declared
    d.origin[rows] = origin
    d.departure[rows] = origin
    d.mass[rows] = _MASS[true_goods] * rng.lognormal(0.0, 0.5, k)
    d.price[rows] = _KRW_KG[true_goods] * d.mass[rows] * rng.lognormal(0.0, 0.3, k)
    d.tax_type[rows] = "A"
    d.tax_rate[rows] = _RATE[declared]
    d.new_seller(rows, 0.6, origin)
    d.mark(rows, "misclassification", "misclassification")


def _undervaluation(d: _Lines, rows: np.ndarray) -> None:
    """Dutiable goods declared at a fraction of the usual unit price for their HS6."""
    rng, k = d.rng, len(rows)
    dutiable = np.flatnonzero((_RATE >= 5) & (_RATE < 100))
    d.goods[rows] = rng.choice(dutiable, k, p=_GOODS_P[dutiable] / _GOODS_P[dutiable].sum())
    d.price[rows] = _KRW_KG[d.goods[rows]] * d.mass[rows] * rng.uniform(0.25, 0.6, k)
    taxed = d.tax_rate[rows] > 0
    d.tax_rate[rows] = np.where(taxed, _RATE[d.goods[rows]], 0.0)
    d.new_seller(rows, 0.5)
    d.mark(rows, "undervaluation", "undervaluation")


def _origin_fraud(d: _Lines, rows: np.ndarray) -> None:
    """Chinese goods passed off as FTA-partner or Korean origin to escape the duty."""
    rng, k = d.rng, len(rows)
    dutiable = np.flatnonzero((_RATE >= 5) & (_RATE < 100))
    d.goods[rows] = rng.choice(dutiable, k)
    as_korean = rng.random(k) < 0.35
    partner = pick(rng, {"US": 3, "DE": 2, "VN": 2, "TH": 1, "MY": 1, "IT": 1}, k)
    d.origin[rows] = np.where(as_korean, "KR", partner)
    d.departure[rows] = "CN"
    d.tax_type[rows] = np.where(as_korean, "A", pd.Series(partner, dtype=object).map(cat.FTA_TYPE).to_numpy(dtype="<U4"))
    d.tax_rate[rows] = 0.0
    d.indicator[rows] = pick(rng, cat.ORIGIN_FRAUD_INDICATORS, k)
    d.new_seller(rows, 0.7, "CN")
    d.mark(rows, "origin_fraud", "origin_fraud")


def _background(d: _Lines, rows: np.ndarray) -> None:
    """Risk with no planted signal."""
    category = d.rng.choice(np.array(["critical", "prohibited_goods", "undervaluation"]), len(rows), p=[0.3, 0.3, 0.4])
    d.mark(rows, category, "background")


def _risky_entities(d: _Lines) -> None:
    """Importers and brokers with a bad record: only their outcome history reveals them."""
    for pattern, risky, hit in (("risky_importer", d.world.importer_risky[d.importer], CARGO_RISKY_IMPORTER_HIT),
                                ("risky_declarant", d.world.declarant_risky[d.declarant], CARGO_RISKY_DECLARANT_HIT)):
        rows = np.flatnonzero(risky & ~d.is_risky & (d.rng.random(d.n) < hit))
        category = d.rng.choice(np.array(["undervaluation", "misclassification", "origin_fraud"]), len(rows),
                                p=[0.6, 0.2, 0.2])
        under = rows[category == "undervaluation"]
        d.price[under] *= d.rng.uniform(0.6, 0.85, len(under))
        d.mark(rows, category.astype(object), pattern)


def generate(world: World, day: dt.date, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's declaration lines (contract columns, raw values) and the truth of each."""
    d = _Lines(world, rng, n)
    order = rng.permutation(n)
    plant_patterns(rng, d, order, 0, CARGO_RATES,
                   (("misclassification", _misclassification), ("undervaluation", _undervaluation),
                    ("origin_fraud", _origin_fraud), ("background", _background)))
    _risky_entities(d)

    offices = np.array(OFFICES["cargo"])
    office_w = np.array([cat.OFFICE_WEIGHTS.get(o, 100) for o in offices], dtype=float)
    office = offices[rng.choice(len(offices), n, p=office_w / office_w.sum())]
    transport = pick(rng, cat.TRANSPORT_MODES, n)
    courier = np.where((transport == "40") & (rng.random(n) < cat.CARGO_COURIER_SHARE / 0.41),
                       np.array(cat.CARGO_COURIERS)[rng.integers(0, len(cat.CARGO_COURIERS), n)], None)
    seller_id = world.cargo_seller_id(d.seller).astype(object)
    seller_id[rng.random(n) < 0.03] = None
    declaration_id = day_ids("D", day, n)
    frame = pd.DataFrame({
        "declaration_id": declaration_id,
        "declaration_date": day.isoformat(),
        "office_id": office,
        "process_type": pick(rng, cat.PROCESS_TYPES, n),
        "import_type": pick(rng, cat.IMPORT_TYPES, n),
        "import_use": pick(rng, cat.IMPORT_USES, n),
        "payment_type": pick(rng, cat.PAYMENT_TYPES, n),
        "transport_mode": transport,
        "declarant_id": world.declarant_id(d.declarant),
        "importer_id": world.importer_id(d.importer),
        "seller_id": seller_id,
        "courier_id": courier.astype(object),
        "hs6": _HS[d.goods],
        "departure_country": d.departure,
        "origin_country": d.origin,
        "tax_rate": np.round(d.tax_rate, 1),
        "tax_type": d.tax_type,
        "origin_indicator": d.indicator,
        "net_mass_kg": np.round(np.maximum(d.mass, 0.1), 1),
        "item_price_krw": np.round(d.price, 0),
    })[DECLARATIONS.columns]
    truth = pd.DataFrame({"item_id": declaration_id, "office_id": office, "is_risky": d.is_risky,
                          "category": d.category, "pattern": d.pattern})
    return frame, truth
