"""An office's list as rows of cells: the lane's fact columns, status, reasons in words; filters and sort."""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from markupsafe import Markup, escape

from customs_risk.desk.lanes import view
from customs_risk.desk.store import Store

# Published lists change once a day and are read all day: their rows are built (and their fact and
# reason cells rendered) once per process and publication; only the status is added per request.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64
_LOCK = Lock()

# One line on the page for each way an item gets on a list.
WHY_TEXT = {
    "model": "Model: among the highest risk scores of the office's traffic today, within its capacity.",
    "exploration": "Exploration: drawn at random from the items the model did not pick (a small share of "
                   "capacity), so the model also learns from items it would not choose; its chance of being "
                   "drawn (propensity) is logged.",
    "rule": "Rule: a fixed selection criterion matched the item.",
}
SORTS = {"rank": lambda r: r["rank"], "score": lambda r: -r["score"], "status": lambda r: (r["status"], r["rank"])}


def list_columns(lane: str) -> list[str]:
    return list(view(lane).list_facts)


def static_rows(store: Store, info: dict | None, lane: str, office: str) -> list[dict]:
    """The list's rows without their status: item, facts in the lane's columns, reasons in words and
    the pre-rendered fact and reason cells. Cached per publication of the list."""
    if info is None:
        return []
    key = (info["day"], lane, office, info["published_at"])
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    columns = list_columns(lane)
    rows = []
    for item in store.list_items(info["day"], lane, office):
        facts = [item["facts"].get(c, "") for c in columns]
        reasons = [_reason_line(r) for r in item["reasons"]]
        cells = '<td><ul class="reasons">' + "".join(f"<li>{escape(line)}</li>" for line in reasons) + "</ul></td>"
        cells += "".join(f"<td>{escape(v)}</td>" for v in facts)
        rows.append({"item_id": item["item_id"], "rank": item["rank"], "score": item["score"], "why": item["why"],
                     "facts": facts, "reasons": reasons, "cells": Markup(cells)})
    with _LOCK:
        _CACHE[key] = rows
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rows


def with_status(rows: list[dict], outcomes: dict[str, dict]) -> list[dict]:
    """The rows with each item's outcome status (done / to do) and result in words."""
    out = []
    for row in rows:
        outcome = outcomes.get(row["item_id"])
        result = ""
        if outcome is not None:
            result = outcome["result"].replace("_", " ") + (f" ({outcome['category']})" if outcome["category"] else "")
        out.append({**row, "status": "done" if outcome is not None else "to do", "result": result})
    return out


def _reason_line(reason: dict) -> str:
    typical = f" (typical: {reason['typical']})" if reason.get("typical") else ""
    return f"{reason['text']}: {reason['value']}{typical}"


def filtered(rows: list[dict], why: str = "", status: str = "", q: str = "", sort: str = "rank") -> list[dict]:
    """Rows kept by the filters (why selected, status, free text over the facts), in the chosen order."""
    needle = q.strip().lower()
    kept = [r for r in rows
            if (not why or r["why"] == why) and (not status or r["status"] == status)
            and (not needle or needle in r["item_id"].lower() or any(needle in str(v).lower() for v in r["facts"]))]
    return sorted(kept, key=SORTS.get(sort, SORTS["rank"]))
