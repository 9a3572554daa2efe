"""The persistent population behind every day's traffic, derived from (seed, scale) alone.

Entities carry across days so that point-in-time features have histories to learn from: heavy
e-commerce buyers, importers with their usual sellers and brokers, frequent travellers, and the
planted bad actors (split-shipment rings, risky sellers/importers/declarants, drug couriers). Only
numeric attributes are held; identifier strings are made for the rows of a day when asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import catalog as cat
from .codes import base36, digits, scramble
from .config import EXPRESS_SPLIT_TARGET, FULL_DAY_VOLUMES, TRAVELLER_RATES, world_rng

RING_PARCELS_PER_MEMBER = 3.0       # mean parcels per ring member on an active day
RING_MEMBERS = (5, 15)
RING_PERIOD = (20, 40)              # days between bursts
RING_BURST = (2, 5)                 # active days per burst ("many parcels over a few days")
COURIER_TRIP_EVERY = 20             # a courier arrives about once every 20 days


@dataclass(frozen=True)
class World:
    seed: int
    scale: float
    # express
    consignee_cdf: np.ndarray
    consignee_region: np.ndarray
    seller_country: np.ndarray          # ISO-2 strings
    seller_platform: np.ndarray
    seller_group: np.ndarray            # index into catalog.EXPRESS_GROUPS
    seller_cdf: np.ndarray
    seller_risky: np.ndarray
    seller_counterfeit: np.ndarray
    ring_seller: np.ndarray
    ring_period: np.ndarray
    ring_burst: np.ndarray
    ring_phase: np.ndarray
    member_ring: np.ndarray
    member_consignee: np.ndarray
    # cargo
    importer_cdf: np.ndarray
    importer_sellers: np.ndarray        # (n_importers, 3) usual sellers
    importer_declarant: np.ndarray
    importer_goods: np.ndarray          # (n_importers, 2) usual goods rows of catalog.CARGO_GOODS
    importer_risky: np.ndarray
    declarant_cdf: np.ndarray
    declarant_risky: np.ndarray
    cargo_seller_country: np.ndarray
    cargo_seller_cdf: np.ndarray
    # travellers
    person_weight: np.ndarray           # 0 for couriers: they travel on their own schedule
    person_nationality: np.ndarray
    person_home: np.ndarray             # index into catalog.AIRPORTS
    person_source_visits: np.ndarray
    person_trip_rate: np.ndarray        # expected arrivals a year
    couriers: np.ndarray                # person indices

    # -- identifier strings, made only for the rows that need them ---------------------------------------
    def consignee_pccc(self, idx: np.ndarray) -> np.ndarray:
        return np.strings.add("P", digits(scramble(idx, 10 ** 12, 387_420_489, self._offset(1, 10 ** 12)), 12))

    def consignee_name(self, idx: np.ndarray) -> np.ndarray:
        return _korean_name(idx, self._offset(2, 997))

    def express_seller_id(self, idx: np.ndarray) -> np.ndarray:
        return np.strings.add("S", base36(scramble(idx, 36 ** 7, 1_500_007, self._offset(3, 36 ** 7)), 7))

    def importer_id(self, idx: np.ndarray) -> np.ndarray:
        return base36(scramble(idx, 36 ** 7, 2_750_159, self._offset(4, 36 ** 7)), 7)

    def declarant_id(self, idx: np.ndarray) -> np.ndarray:
        return base36(scramble(idx, 36 ** 7, 3_497_861, self._offset(5, 36 ** 7)), 7)

    def cargo_seller_id(self, idx: np.ndarray) -> np.ndarray:
        return base36(scramble(idx, 36 ** 7, 4_256_249, self._offset(6, 36 ** 7)), 7)

    def passport_no(self, idx: np.ndarray) -> np.ndarray:
        nationality = self.person_nationality[idx]
        letter = np.where(nationality == "KR", "M", np.array(list("EGPXCK"))[np.asarray(idx) % 6])
        return np.strings.add(letter, digits(scramble(idx, 10 ** 8, 48_271_499, self._offset(7, 10 ** 8)), 8))

    def traveller_name(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx)
        korean = _korean_name(idx, self._offset(8, 997))
        fam = np.array(cat.FOREIGN_FAMILY)[(idx * 7 + self._offset(9, 97)) % len(cat.FOREIGN_FAMILY)]
        given = np.array(cat.FOREIGN_GIVEN)[(idx * 13 + self._offset(10, 89)) % len(cat.FOREIGN_GIVEN)]
        foreign = np.strings.add(np.strings.add(fam, " "), given)
        return np.where(self.person_nationality[idx] == "KR", korean, foreign)

    def _offset(self, part: int, modulus: int) -> int:
        return int(np.random.default_rng([self.seed, 99, part]).integers(0, modulus))


def _korean_name(idx: np.ndarray, offset: int) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.int64)
    fam = np.array(cat.FAMILY_NAMES)[(idx * 31 + offset) % len(cat.FAMILY_NAMES)]
    given = np.array(cat.GIVEN_NAMES)[(idx // 7 * 17 + offset) % len(cat.GIVEN_NAMES)]
    return np.strings.add(np.strings.add(fam, " "), given)


def _activity(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Heavy-tailed activity: a few consignees, importers or travellers account for much of the traffic."""
    return rng.lognormal(0.0, sigma, n)


@lru_cache(maxsize=4)
def build_world(seed: int, scale: float) -> World:
    """The people and companies behind the traffic; each lane draws from its own seeded stream, so
    changing one lane's population never moves another's."""
    return World(seed=seed, scale=scale,
                 **_express_world(seed, FULL_DAY_VOLUMES["shipments"] * scale),
                 **_cargo_world(seed, FULL_DAY_VOLUMES["declarations"] * scale),
                 **_traveller_world(seed, FULL_DAY_VOLUMES["travellers"] * scale))


def _express_world(seed: int, express_day: float) -> dict:
    """Consignees, sellers (platform, goods group, risk) and split-shipment rings."""
    rng = world_rng(seed, "express")
    n_cons = max(2_000, round(express_day * 8))
    consignee_cdf = np.cumsum(_activity(rng, n_cons, 1.2))
    region_keys, region_p = cat.probs(dict(zip(range(len(cat.REGIONS)), cat.REGION_WEIGHTS)))
    consignee_region = rng.choice(region_keys, n_cons, p=region_p).astype(np.int16)

    n_sell = max(300, round(express_day * 0.5))
    countries, country_p = cat.probs(cat.EXPRESS_SELLER_COUNTRIES)
    seller_country = countries[rng.choice(len(countries), n_sell, p=country_p)]
    seller_platform = np.empty(n_sell, dtype="<U12")
    seller_group = np.empty(n_sell, dtype=np.int16)
    for home in ("CN", "US", "JP", "other"):
        mask = ~np.isin(seller_country, ("CN", "US", "JP")) if home == "other" else seller_country == home
        seller_platform[mask] = rng.choice(cat.PLATFORMS[home], mask.sum())
        mix = np.array(cat.EXPRESS_GROUP_MIX.get(home, cat.EXPRESS_GROUP_MIX["other"]))
        seller_group[mask] = rng.choice(len(cat.EXPRESS_GROUPS), mask.sum(), p=mix / mix.sum())
    seller_weight = _activity(rng, n_sell, 1.5)
    seller_risky = rng.random(n_sell) < 0.015
    seller_counterfeit = (seller_country == "CN") & ~seller_risky & (rng.random(n_sell) < 0.03)
    seller_counterfeit[np.flatnonzero(seller_country == "CN")[:2]] = True   # never an empty set

    mean_members = sum(RING_MEMBERS) / 2
    mean_active = (sum(RING_BURST) / 2) / (sum(RING_PERIOD) / 2)
    n_rings = max(2, round(EXPRESS_SPLIT_TARGET * express_day / (mean_members * RING_PARCELS_PER_MEMBER * mean_active)))
    honest = np.flatnonzero(np.isin(seller_country, ("CN", "US")) & ~seller_risky & ~seller_counterfeit)
    ring_seller = rng.choice(honest, n_rings)
    ring_period = rng.integers(RING_PERIOD[0], RING_PERIOD[1] + 1, n_rings)
    ring_burst = rng.integers(RING_BURST[0], RING_BURST[1] + 1, n_rings)
    ring_phase = rng.integers(0, RING_PERIOD[1], n_rings)
    sizes = rng.integers(RING_MEMBERS[0], RING_MEMBERS[1] + 1, n_rings)
    member_ring = np.repeat(np.arange(n_rings), sizes)
    member_consignee = rng.integers(0, n_cons, len(member_ring))   # borrowed codes of ordinary people
    return dict(consignee_cdf=consignee_cdf, consignee_region=consignee_region, seller_country=seller_country,
                seller_platform=seller_platform, seller_group=seller_group, seller_cdf=np.cumsum(seller_weight),
                seller_risky=seller_risky, seller_counterfeit=seller_counterfeit, ring_seller=ring_seller,
                ring_period=ring_period, ring_burst=ring_burst, ring_phase=ring_phase, member_ring=member_ring,
                member_consignee=member_consignee)


def _cargo_world(seed: int, cargo_day: float) -> dict:
    """Importers with their usual sellers, goods and brokers; a few risky importers and small brokers."""
    rng = world_rng(seed, "cargo")
    n_imp = max(200, round(cargo_day * 3))
    n_decl = max(30, round(cargo_day * 0.02))
    n_csell = max(200, round(cargo_day * 2.5))
    ckeys, cp = cat.probs(cat.CARGO_ORIGINS)
    cargo_seller_country = ckeys[rng.choice(len(ckeys), n_csell, p=cp)]
    cargo_seller_cdf = np.cumsum(_activity(rng, n_csell, 1.3))
    importer_sellers = np.searchsorted(cargo_seller_cdf, rng.random((n_imp, 3)) * cargo_seller_cdf[-1])
    declarant_weight = _activity(rng, n_decl, 1.0)
    declarant_cdf = np.cumsum(declarant_weight)
    importer_declarant = np.searchsorted(declarant_cdf, rng.random(n_imp) * declarant_cdf[-1])
    goods_p = cat.CARGO_GOODS["weight"].to_numpy(float)
    importer_goods = rng.choice(len(goods_p), (n_imp, 2), p=goods_p / goods_p.sum())
    importer_cdf = np.cumsum(_activity(rng, n_imp, 1.5))
    importer_risky = rng.random(n_imp) < 0.02
    # Risky brokers are small ones: one big broker gone bad would swamp the lane's prevalence.
    small = np.flatnonzero(declarant_weight <= np.quantile(declarant_weight, 0.7))
    declarant_risky = np.zeros(n_decl, dtype=bool)
    declarant_risky[rng.choice(small, max(1, round(0.01 * n_decl)), replace=False)] = True
    return dict(importer_cdf=importer_cdf, importer_sellers=importer_sellers, importer_declarant=importer_declarant,
                importer_goods=importer_goods, importer_risky=importer_risky, declarant_cdf=declarant_cdf,
                declarant_risky=declarant_risky, cargo_seller_country=cargo_seller_country,
                cargo_seller_cdf=cargo_seller_cdf)


def _traveller_world(seed: int, traveller_day: float) -> dict:
    """Travellers: frequent flyers, home airports by nationality, and a few drug couriers."""
    rng = world_rng(seed, "traveller")
    n_pers = max(3_000, round(traveller_day * 25))
    nat_keys, nat_p = cat.probs(cat.NATIONALITIES)
    nationality = nat_keys[rng.choice(len(nat_keys), n_pers, p=nat_p)]
    airports = cat.AIRPORTS
    share = airports["share"].to_numpy(float)
    home = rng.choice(len(airports), n_pers, p=share / share.sum())
    for country in np.unique(nationality):
        local = np.flatnonzero(airports["country"].to_numpy() == country)
        mask = nationality == country
        if len(local) and country != "KR":
            home[mask] = rng.choice(local, mask.sum(), p=share[local] / share[local].sum())
    weight = _activity(rng, n_pers, 1.3)
    source_visits = rng.poisson(np.where(np.isin(nationality, cat.SOURCE_COUNTRIES), 3.0, 0.3))
    n_couriers = max(20, round(TRAVELLER_RATES["drug_courier"] * traveller_day * COURIER_TRIP_EVERY))
    couriers = rng.choice(n_pers, n_couriers, replace=False)
    source_idx = np.flatnonzero(airports["airport"].isin(cat.SOURCE_AIRPORTS).to_numpy())
    home[couriers] = rng.choice(source_idx, n_couriers)
    source_visits[couriers] = 2 + rng.poisson(5.0, n_couriers)
    weight[couriers] = 0.0
    trip_rate = weight / weight.sum() * traveller_day * 365
    trip_rate[couriers] = 365 / COURIER_TRIP_EVERY
    return dict(person_weight=weight, person_nationality=nationality, person_home=home,
                person_source_visits=source_visits, person_trip_rate=trip_rate, couriers=couriers)


def active_rings(world: World, ordinal: int) -> np.ndarray:
    """Rings in a burst on this day: the same ring is active on consecutive days, then quiet."""
    return (ordinal + world.ring_phase) % world.ring_period < world.ring_burst
