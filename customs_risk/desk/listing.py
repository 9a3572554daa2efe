"""An office's list as rows of cells: the lane's fact columns, status, reasons in words; filters and sort."""
from __future__ import annotations

from customs_risk.desk.lanes import view

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


def row_cells(item: dict, outcome: dict | None, columns: list[str]) -> dict:
    """What one list row shows besides rank, id, score and why."""
    facts = item.get("facts", {})
    result = ""
    if outcome is not None:
        result = outcome["result"].replace("_", " ") + (f" ({outcome['category']})" if outcome["category"] else "")
    return {
        "facts": [facts.get(c, "") for c in columns],
        "status": "done" if outcome is not None else "to do",
        "result": result,
        "reasons": [_reason_line(r) for r in item.get("reasons", [])],
    }


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
