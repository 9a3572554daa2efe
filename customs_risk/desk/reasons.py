"""Reasons in words: the scorer's TreeSHAP codes (``f_x=+0.81; ...``) become structured reasons with the
feature's words from the one catalogue (``transform.feature_texts``), the item's value and what is
typical for the lane that day. A feature's column name never reaches a page, nor does an identity code
(``c_importer_id``: it says who, not what about them is unusual).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache

from transform.feature_texts import feature_texts

# Identity codes: a party's id as a model input. Its record (hit rates, volumes) has features of its own.
_IDENTITY = re.compile(r"^c_.*(_id|_key)$")
_RATE = re.compile(r"(rate|share)")


def parse_reasons(text: str | None) -> list[tuple[str, float]]:
    """``'f_a=+0.81; f_b=-0.10'`` -> [('f_a', 0.81), ('f_b', -0.1)]; unparsable parts are skipped."""
    out = []
    for part in (text or "").split(";"):
        name, _, number = part.strip().rpartition("=")
        try:
            out.append((name.strip(), float(number)))
        except ValueError:
            continue
    return [(name, value) for name, value in out if name]


def is_identity(column: str) -> bool:
    return bool(_IDENTITY.match(column))


@lru_cache(maxsize=None)
def words_for(lane: str, column: str) -> str:
    """The catalogue's words; where it has a gap, the name spelt out (never the raw column name)."""
    text = feature_texts(lane).get(column)
    if text:
        return text.rstrip(".")
    words = column.removeprefix("f_").removeprefix("c_").replace("_", " ")
    return words[:1].upper() + words[1:]


def format_value(column: str, value) -> str:
    """A feature value as a person reads it: rates in %, codes as they are, numbers rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if isinstance(value, str):
        return value
    number = float(value)
    if _RATE.search(column) and 0 <= number <= 1:
        return f"{number:.1%}"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}" if abs(number) < 1000 else f"{number:,.0f}"


def strength(contribution: float) -> str:
    """The contribution to the log-odds in words."""
    size = abs(contribution)
    word = "strongly" if size >= 0.5 else "moderately" if size >= 0.2 else "slightly"
    return f"{word} {'raises' if contribution >= 0 else 'lowers'} the risk"


def structured(lane: str, text: str | None, values: dict, typical: dict) -> list[dict]:
    """The reasons of one item, identities dropped, each with words, value, typical value and strength."""
    out = []
    for column, contribution in parse_reasons(text):
        if is_identity(column):
            continue
        out.append({
            "text": words_for(lane, column),
            "value": format_value(column, values.get(column)),
            "typical": typical.get(column),
            "contribution": round(contribution, 3),
            "strength": strength(contribution),
        })
    return out


def typical_text(column: str, stats: dict) -> str | None:
    """What is usual among the lane's items that day, from the day's ``n`` (non-null values), ``other``
    (values other than 0 and 1), ``mean`` and ``median``: the share for a yes/no flag, else the median."""
    if column.startswith("c_") or not stats.get("n"):
        return None
    if not stats["other"]:
        return f"{float(stats['mean']):.0%} of the day's items"
    return f"median {format_value(column, float(stats['median']))}"
