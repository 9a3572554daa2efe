"""Keyed pseudonymisation of personal identifiers at landing (HMAC-SHA256).

The same identifier always maps to the same key under one secret, so histories still join (a traveller's
passport in the traveller feed and in a CCTV face match become the same ``traveller_key``), while the raw
value never reaches the warehouse and cannot be recovered without the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from core.settings import DEMO_KEY, Settings

if TYPE_CHECKING:
    import pandas as pd

KEY_CHARS = 32  # 128 bits of the HMAC: collisions are negligible at national volumes


class DemoKeyRefused(RuntimeError):
    pass


def check_key(settings: Settings) -> None:
    """Refuse the published demo key unless this is explicitly a demo or test run."""
    if settings.pseudonym_key == DEMO_KEY and os.environ.get("CUSTOMS_RISK_ALLOW_DEMO_KEY") != "1":
        raise DemoKeyRefused(
            "refusing to pseudonymise with the published demo key: set CUSTOMS_RISK_PSEUDONYM_KEY to a secret "
            "(or CUSTOMS_RISK_ALLOW_DEMO_KEY=1 for demo and test data only)"
        )


def pseudonym(value: str, key: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:KEY_CHARS]


def pseudonymise_column(values: "pd.Series", key: str) -> "pd.Series":
    """Hash each distinct value once (identifiers repeat a lot in a day's traffic); nulls stay null."""
    distinct = values.dropna().unique()
    mapping = {v: pseudonym(str(v), key) for v in distinct}
    return values.map(mapping)
