"""The historic selection: simple, documented rules plus a small random audit.

Rules are what a customs service ran before any model: a handful of profiles, each catching part of
one planted pattern and a lot of clean traffic. Officers cannot inspect every rule hit, so the day's
rule picks are capped at the lane's rule share, split into equal quotas per rule (a profile team each);
within a quota the picks are random, and a quota a rule cannot fill goes to the other rules' hits. The
audit is a uniform sample of the rest: the only unbiased labels the platform gets.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import catalog as cat
from .config import AUDIT_SHARE, RULE_SHARE
from .express import threshold

EXPRESS_DRUG_ORIGINS = ("TH", "US")          # the two top drug origins by cases (RISK_PATTERNS section 1)
RULE_FOOD_CHAPTERS = ("03", "08", "17", "19")   # fish, fruit, sugar, bakery: snacks, candy, dried squid or durian
TRAVELLER_WATCH_AIRPORTS = ("BKK", "MEX", "VTE")


def express_rules(f: pd.DataFrame) -> np.ndarray:
    value = f["declared_value_usd"].to_numpy(float)
    limit = threshold(f["departure_country"].to_numpy())
    return np.stack([
        # R1 food from the two top drug origins
        f["origin_country"].isin(EXPRESS_DRUG_ORIGINS).to_numpy() & f["hs6"].str[:2].isin(RULE_FOOD_CHAPTERS).to_numpy(),
        # R2 value just under the duty-free limit on the watched platform
        (f["platform"].to_numpy() == cat.RULE_PLATFORM) & (value >= 0.9 * limit) & (value <= limit),
        # R3 bags and shoes from China through the platform known for fakes
        f["hs6"].isin(cat.COUNTERFEIT_HS).to_numpy() & (f["origin_country"].to_numpy() == "CN")
        & (f["platform"].to_numpy() == cat.COUNTERFEIT_PLATFORM),
    ])


def cargo_rules(f: pd.DataFrame) -> np.ndarray:
    origin = f["origin_country"].to_numpy()
    return np.stack([
        # R1 high duty rate from a risky origin
        (f["tax_rate"].to_numpy(float) >= 30) & np.isin(origin, cat.CARGO_RISKY_ORIGINS),
        # R2 unmarked origin, or Korean origin shipped from China
        (f["origin_indicator"].to_numpy() == "N") | ((origin == "KR") & (f["departure_country"].to_numpy() == "CN")),
        # R3 farm and food goods from China (broad, low precision)
        f["hs6"].str[:2].isin(cat.AGRI_CHAPTERS).to_numpy() & (origin == "CN"),
    ])


def traveller_rules(f: pd.DataFrame) -> np.ndarray:
    origin = f["origin_airport"].to_numpy()
    watched = np.isin(origin, TRAVELLER_WATCH_AIRPORTS) | f["transit_airport"].isin(TRAVELLER_WATCH_AIRPORTS).to_numpy()
    return np.stack([
        # R1 from Bangkok, ticket paid cash
        (origin == "BKK") & (f["ticket_payment"].to_numpy() == "cash"),
        # R2 from or through a watched airport with no checked bag
        watched & (f["bags_checked"].to_numpy() == 0),
        # R3 many source-country visits and a last-minute booking
        (f["source_country_visits"].to_numpy() >= 6) & (f["booking_lead_days"].to_numpy() <= 2),
    ])


RULES = {"express": express_rules, "cargo": cargo_rules, "traveller": traveller_rules}


def select(lane: str, frame: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(rule_selected, audit_selected) for each row of the lane's day."""
    n = len(frame)
    hits = RULES[lane](frame) if n else np.zeros((3, 0), bool)
    capacity = int(round(RULE_SHARE[lane] * n))
    rule = np.zeros(n, dtype=bool)
    quota = capacity // len(hits)
    for r in range(len(hits)):
        candidates = np.flatnonzero(hits[r] & ~rule)
        rule[rng.permutation(candidates)[:quota]] = True
    leftover = np.flatnonzero(hits.any(axis=0) & ~rule)
    rule[rng.permutation(leftover)[: max(0, capacity - int(rule.sum()))]] = True
    rest = np.flatnonzero(~rule)
    audit = np.zeros(n, dtype=bool)
    audit[rng.choice(rest, min(len(rest), int(round(AUDIT_SHARE[lane] * n))), replace=False)] = True
    return rule, audit
