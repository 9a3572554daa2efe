"""Which landing days are ready to ingest.

A day is ready when every source has files under ``landing/<source>/<day>/`` that have not changed for
``settle_seconds`` (a writer may still be copying), or, with some sources missing, once its newest file
is ``grace_seconds`` old (the missing ones are then reported by ingest and the day-quality mart).
A claimed day gets a marker under the state folder, so each day triggers its ingest once, also across
triggerer restarts; ``customs-risk ingest`` re-runs a day by hand. No Airflow import here: the ingest
DAG and the CLI mark days too (landing_trigger.py holds the trigger).
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from core.contracts import CONTRACTS

SETTLE_SECONDS = 5.0
GRACE_SECONDS = 3600.0


def _day_files(landing_dir: Path) -> dict[dt.date, dict[str, list[Path]]]:
    days: dict[dt.date, dict[str, list[Path]]] = {}
    for source in CONTRACTS:
        for folder in sorted((landing_dir / source).glob("????-??-??")):
            try:
                day = dt.date.fromisoformat(folder.name)
            except ValueError:
                continue
            files = [f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")]
            if files:
                days.setdefault(day, {})[source] = files
    return days


def ready_days(landing_dir: Path, settle_seconds: float = SETTLE_SECONDS, grace_seconds: float = GRACE_SECONDS,
               now: float | None = None) -> list[dt.date]:
    """Days whose files have all landed (see the module docstring), oldest first."""
    now = time.time() if now is None else now
    ready = []
    for day, sources in sorted(_day_files(landing_dir).items()):
        age = now - max(f.stat().st_mtime for files in sources.values() for f in files)
        complete = set(sources) == set(CONTRACTS)
        if age >= (settle_seconds if complete else grace_seconds):
            ready.append(day)
    return ready


def mark_seen(state_dir: Path, days: list[dt.date]) -> None:
    """Record days whose ingest was triggered (or run by hand, as the demo does)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for day in days:
        (state_dir / day.isoformat()).touch()


def claim_ready_days(landing_dir: Path, state_dir: Path, **kwargs) -> list[dt.date]:
    """Ready days not claimed before; they are marked claimed before they are returned (at most once)."""
    days = [d for d in ready_days(landing_dir, **kwargs) if not (state_dir / d.isoformat()).exists()]
    mark_seen(state_dir, days)
    return days


def seen_dir(home_airflow: Path) -> Path:
    """Where claimed days are marked: beside Airflow's metadata, so a new Airflow home re-reads the landing."""
    return home_airflow / "landing_seen"
