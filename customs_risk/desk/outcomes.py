"""Recorded outcomes close the loop through the inspections contract.

Each outcome is appended to the desk's store (a correction supersedes the earlier entry; both stay in
the history). The desk then rewrites one landing file per list, ``landing/inspections/<day+1>/
desk_<lane>_<office>.csv``, in the contract's columns with the latest entry per item, so the next
``customs-risk ingest --source inspections`` loads them through the same validation and
pseudonymisation as any inspection feed, and ``transform`` turns them into labels.

Why the day after the list: results are recorded while the list's day is worked, so they belong to the
next day's inspections batch, which the nightly ingest of that day loads. A correction made after that
day was ingested rewrites the same file (same ``inspection_id`` per item), and re-running the ingest
of that day replaces its partition: the warehouse then holds only the corrected entry.
"""
from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

from core.contracts import INSPECTIONS
from core.settings import Settings
from customs_risk.desk.store import Store

METHODS = INSPECTIONS.field("method").allowed
RESULTS = INSPECTIONS.field("result").allowed
CATEGORIES = INSPECTIONS.field("category").allowed
OUTCOME_LAG = dt.timedelta(days=1)


class OutcomeError(ValueError):
    """The form's values do not make an inspection record (shown to the analyst as one line)."""


def clean_outcome(form: dict) -> dict:
    """The form's fields checked against the contract's rules; raises OutcomeError naming the field."""
    method, result = form.get("method", ""), form.get("result", "")
    category = form.get("category") or None
    if method not in METHODS:
        raise OutcomeError(f"method must be one of {', '.join(METHODS)}")
    if result not in RESULTS:
        raise OutcomeError(f"result must be one of {', '.join(RESULTS)}")
    if category is not None and category not in CATEGORIES:
        raise OutcomeError(f"category must be empty or one of {', '.join(CATEGORIES)}")
    if result == "no_finding" and category is not None:
        raise OutcomeError("an inspection without finding has no category")
    out = {"method": method, "result": result, "category": category,
           "note": (form.get("note") or "").strip()[:2000] or None}
    for name in ("quantity", "extra_duty_krw"):
        text = (form.get(name) or "").strip()
        try:
            value = float(text) if text else None
        except ValueError:
            raise OutcomeError(f"{name.replace('_', ' ')} must be a number") from None
        if value is not None and not (value >= 0 and value < 1e15):
            raise OutcomeError(f"{name.replace('_', ' ')} must be zero or more")
        out[name] = value
    return out


def inspection_id(lane: str, item_id: str) -> str:
    """One stable record id per item: a correction replaces the record instead of adding a second one."""
    return "DESK" + hashlib.sha256(f"{lane}:{item_id}".encode()).hexdigest()[:24]


def landing_path(settings: Settings, lane: str, office: str, day: dt.date) -> Path:
    batch_day = day + OUTCOME_LAG
    return settings.landing_dir / INSPECTIONS.name / batch_day.isoformat() / f"desk_{lane}_{office}.csv"


def record_outcome(store: Store, settings: Settings, item: dict, values: dict, username: str) -> Path:
    """Append the outcome for ``item`` and rewrite its list's landing file; returns the file."""
    store.add_outcome({"lane": item["lane"], "item_id": item["item_id"], "day": item["day"],
                       "office": item["office"], "recorded_by": username, **values})
    return write_landing_file(store, settings, item["lane"], item["office"], item["day"])


def write_landing_file(store: Store, settings: Settings, lane: str, office: str, day: dt.date) -> Path:
    """The list's latest outcome per item as inspection records (atomic replace, one writer at a time)."""
    path = landing_path(settings, lane, office, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        latest = store.latest_outcomes(day, lane, office)
        whys = {i["item_id"]: i["why"] for i in store.list_items(day, lane, office)}
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=INSPECTIONS.columns)
            writer.writeheader()
            for item_id, o in sorted(latest.items()):
                writer.writerow(_record(lane, office, day, item_id, o, whys.get(item_id, "model")))
        os.replace(tmp, path)
    return path


def _record(lane: str, office: str, day: dt.date, item_id: str, outcome: dict, why: str) -> dict:
    return {
        "inspection_id": inspection_id(lane, item_id), "inspection_date": (day + OUTCOME_LAG).isoformat(),
        "lane": lane, "item_id": item_id, "item_date": day.isoformat(), "office_id": office,
        "selection_reason": why, "method": outcome["method"], "result": outcome["result"],
        "category": outcome["category"] or "", "quantity": _number(outcome["quantity"]),
        "extra_duty_krw": _number(outcome["extra_duty_krw"]),
    }


def _number(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@contextmanager
def _locked(path: Path):
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
