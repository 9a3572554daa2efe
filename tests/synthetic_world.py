"""A small synthetic feature world with a planted signal, shared by the model tests: risk rises with a
route score and a new-consignee flag; the rules only look at the route; a random audit labels some of
the rest, as in the simulator."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

LANE = "express"
OFFICES = ("IEX", "ISE", "PEX", "GEX")
START = date(2025, 3, 1)
LABELLED_DAYS = 15
NEW_DAY = START + timedelta(days=LABELLED_DAYS)       # arrived today: not inspected yet


def build_world(n_days: int = LABELLED_DAYS, per_day: int = 400, seed: int = 7, drift_from: int | None = None):
    """Risk rises with a route score and a new-consignee flag; the rules only look at the route, and a
    12 % random audit labels some of the rest, as in the simulator. From day ``drift_from`` on (a new
    route) the route score no longer matters, and risk follows ``f_noise_1``, whose mean moves up by 1."""
    rng = np.random.default_rng(seed)
    features, truths = [], {}
    for d in range(n_days + 1):
        day = START + timedelta(days=d)
        route, new = rng.random(per_day), (rng.random(per_day) < 0.2).astype(float)
        risky = rng.random(per_day) < 1 / (1 + np.exp(-(-5.0 + 3.5 * route + 2.5 * new)))
        rule = route > 0.85
        audit = ~rule & (rng.random(per_day) < 0.12)
        inspected = (rule | audit) & (d < n_days)
        ids = [f"W{day:%Y%m%d}{i:05d}" for i in range(per_day)]
        office = rng.choice(OFFICES, size=per_day)
        noise_1, noise_2 = rng.normal(size=per_day), rng.normal(size=per_day)
        if drift_from is not None and d >= drift_from:
            noise_1 = noise_1 + 1.0
            drifted = np.random.default_rng([seed, d, 1])
            risky = drifted.random(per_day) < 1 / (1 + np.exp(-(-5.5 + 2.5 * new + 1.8 * noise_1)))
        features.append(pd.DataFrame({
            "item_id": ids, "item_date": day, "office_id": office,
            "label": pd.Series(risky.astype(int)).astype("Int64").mask(~inspected),
            "selection_reason": pd.Series(np.where(rule, "rule", "audit")).where(inspected, None),
            "is_audit": audit & inspected,
            "f_route_risk": route, "f_new_consignee": new,
            "f_noise_1": noise_1, "f_noise_2": noise_2,
        }))
        truths[day] = pd.DataFrame({
            "lane": LANE, "item_id": ids, "item_date": day, "office_id": office, "is_risky": risky,
            "category": np.where(risky, "drugs", None), "pattern": np.where(risky, "route", None),
            "rule_selected": rule, "audit_selected": audit,
        })
    return pd.concat(features, ignore_index=True), truths
