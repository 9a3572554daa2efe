"""One day of arriving travellers (API/PNR) with drug couriers among them."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.contracts import OFFICES, TRAVELLERS

from . import catalog as cat
from .codes import day_ids, weighted_sample_without_replacement
from .config import TRAVELLER_RATES
from .world import World

AIRPORTS = cat.AIRPORTS
_AIRPORT_CODE = AIRPORTS["airport"].to_numpy()
_AIRPORT_ROW = {a: i for i, a in enumerate(_AIRPORT_CODE)}
_SHARE = AIRPORTS["share"].to_numpy(float) / AIRPORTS["share"].sum()
_SOURCE = np.isin(_AIRPORT_CODE, cat.SOURCE_AIRPORTS)

# Weights by value name, for the values the contract allows (a new contract value gets weight 0).
_PAYMENT = {"card": 0.85, "corporate": 0.07, "miles": 0.05, "cash": 0.03}
_PAYMENT_KEYS = np.array(TRAVELLERS.field("ticket_payment").allowed)
_PAYMENT_P = np.array([_PAYMENT.get(k, 0.0) for k in _PAYMENT_KEYS])
_BAGS_P = np.array([0.15, 0.50, 0.28, 0.05, 0.02])
_DECLARED_YES, _DECLARED_NO = TRAVELLERS.field("declared_goods").allowed

# CCTV behaviour flags: share of normal travellers and of couriers showing each (single cues are weak).
BEHAVIOUR = {"handover": (0.004, 0.35), "loiter": (0.03, 0.45), "long_dwell": (0.05, 0.50), "swap": (0.005, 0.20)}


def _flights() -> pd.DataFrame:
    """The daily schedule: a few flights from each airport, each with its office and arrival minute."""
    offices = OFFICES["traveller"]
    rows = []
    for a, (airport, country) in enumerate(zip(_AIRPORT_CODE, AIRPORTS["country"])):
        for j, airline in enumerate(cat.AIRLINES.get(country, ("KE",))):
            office = offices[1] if airline in cat.TERMINAL_2_AIRLINES else offices[0]
            rows.append((airport, f"{airline}{100 + (a * 37 + j * 211) % 900}", office, 330 + (a * 53 + j * 97) % 900))
        for r, countries in enumerate(cat.REGIONAL_ROUTES):
            if country in countries:
                flight_no = f"{('LJ', '7C', 'TW')[r]}{1000 + a * 10 + r}"
                rows.append((airport, flight_no, offices[2 + r], 360 + (a * 71 + r * 131) % 840))
    return pd.DataFrame(rows, columns=["airport", "flight_no", "office_id", "arrival_minute"])


FLIGHTS = _flights()
_FLIGHT_AIRPORT = FLIGHTS["airport"].map(_AIRPORT_ROW).to_numpy()
_F_ORDER = np.argsort(_FLIGHT_AIRPORT, kind="stable")
_F_START = np.searchsorted(_FLIGHT_AIRPORT[_F_ORDER], np.arange(len(AIRPORTS)))
_F_COUNT = np.bincount(_FLIGHT_AIRPORT, minlength=len(AIRPORTS))
assert len(cat.REGIONAL_ROUTES) == len(OFFICES["traveller"]) - 2 and (_F_COUNT > 0).all()


def _journey(world: World, person: np.ndarray, courier: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, transit or -1, flight) per arrival: usually from home; couriers come from or through
    source airports."""
    n = len(person)
    origin = np.where(rng.random(n) < 0.6, world.person_home[person], rng.choice(len(AIRPORTS), n, p=_SHARE))
    origin[courier] = np.where(rng.random(int(courier.sum())) < 0.75, world.person_home[person[courier]], origin[courier])
    transit = np.full(n, -1)
    hub = np.array([_AIRPORT_ROW[h] for h in cat.TRANSIT_HUBS])
    via = rng.random(n) < np.where(courier, 0.5, 0.08)
    transit[via] = hub[rng.integers(0, len(hub), via.sum())]
    source_hubs = hub[_SOURCE[hub]]
    via_source = courier & ~_SOURCE[origin] & (rng.random(n) < 0.6)
    transit[via_source] = source_hubs[rng.integers(0, len(source_hubs), via_source.sum())]
    for start, stops in cat.NO_DIRECT.items():
        need = origin == _AIRPORT_ROW[start]
        transit[need] = np.array([_AIRPORT_ROW[s] for s in stops])[rng.integers(0, len(stops), need.sum())]
    transit[transit == origin] = -1
    last_leg = np.where(transit >= 0, transit, origin)
    flight = _F_ORDER[_F_START[last_leg] + (rng.random(n) * _F_COUNT[last_leg]).astype(int)]
    return origin, transit, flight


def generate(world: World, day: dt.date, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The day's arrivals, their truth, and what the CCTV module needs (arrival minute, behaviour flags)."""
    k_courier = min(int(rng.binomial(n, TRAVELLER_RATES["drug_courier"])), len(world.couriers), n)
    normal = weighted_sample_without_replacement(rng, world.person_weight, n - k_courier)
    couriers = rng.choice(world.couriers, k_courier, replace=False)
    person = np.concatenate([normal, couriers])
    courier = np.concatenate([np.zeros(len(normal), bool), np.ones(k_courier, bool)])
    order = rng.permutation(len(person))
    person, courier = person[order], courier[order]
    n = len(person)

    origin, transit, flight = _journey(world, person, courier, rng)

    lead = np.clip(np.round(rng.gamma(1.5, 25.0, n)), 0, 400).astype(np.int64)
    late = courier & (rng.random(n) < 0.6)
    lead[late] = rng.integers(0, 4, late.sum())
    payment = _PAYMENT_KEYS[rng.choice(len(_PAYMENT_KEYS), n, p=_PAYMENT_P / _PAYMENT_P.sum())]
    payment = np.where(courier & (rng.random(n) < 0.35), "cash", payment)
    bags = rng.choice(len(_BAGS_P), n, p=_BAGS_P)
    bags[courier & (rng.random(n) < 0.6)] = 0
    declared = np.where(rng.random(n) < np.where(courier, 0.02, 0.08), _DECLARED_YES, _DECLARED_NO)

    is_risky, category, pattern = courier.copy(), np.full(n, None, object), np.full(n, None, object)
    category[courier], pattern[courier] = "drugs", "drug_courier"
    background = ~courier & (rng.random(n) < TRAVELLER_RATES["background"])
    is_risky |= background
    category[background] = rng.choice(np.array(["prohibited_goods", "undervaluation"]), background.sum())
    pattern[background] = "background"
    bags[background] += 1
    declared[background] = _DECLARED_NO

    arrival_id = day_ids("T", day, n)
    office = FLIGHTS["office_id"].to_numpy()[flight]
    frame = pd.DataFrame({
        "arrival_id": arrival_id,
        "arrival_date": day.isoformat(),
        "office_id": office,
        "passport_no": world.passport_no(person),
        "traveller_name": world.traveller_name(person),
        "nationality": world.person_nationality[person],
        "flight_no": FLIGHTS["flight_no"].to_numpy()[flight],
        "origin_airport": _AIRPORT_CODE[origin],
        "transit_airport": np.where(transit >= 0, _AIRPORT_CODE[np.maximum(transit, 0)], None),
        "booking_lead_days": lead,
        "ticket_payment": payment,
        "trips_last_year": rng.poisson(world.person_trip_rate[person]).astype(np.int64),
        "source_country_visits": world.person_source_visits[person].astype(np.int64),
        "bags_checked": np.minimum(bags, 20).astype(np.int64),
        "declared_goods": declared,
    })[TRAVELLERS.columns]
    truth = pd.DataFrame({"item_id": arrival_id, "office_id": office, "is_risky": is_risky,
                          "category": category, "pattern": pattern})
    behaviour = {name: rng.random(n) < np.where(courier, p_courier, p_normal)
                 for name, (p_normal, p_courier) in BEHAVIOUR.items()}
    behaviour["loiter"] |= background & (rng.random(n) < 0.1)
    behaviour["arrival_minute"] = FLIGHTS["arrival_minute"].to_numpy()[flight]
    return frame, truth, behaviour
