"""The desk's own store (SQLAlchemy Core): users, published lists, outcomes, capacities and the audit log.

It is not the warehouse: the score stage publishes each day's lists here, so the desk never holds the
DuckDB file open while the pipeline writes. SQLite under the project home by default (WAL, so readers
go on while a day is published), PostgreSQL through ``CUSTOMS_RISK_DESK_URL`` in the scale-out setup.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any, Iterable

import sqlalchemy as sa

from customs_risk.desk.schema import (PG_AUDIT_GUARDS, SQLITE_AUDIT_GUARDS, audit, capacities, items, lists,
                                      login_failures, metadata, outcomes, users)

def now() -> dt.datetime:
    """UTC wall-clock time without tzinfo (what both SQLite and PostgreSQL store the same way)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    """One engine per URL and process, with the tables created on first use."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # WAL: the desk reads while the score stage publishes
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            conn.execute("pragma busy_timeout=30000")
    else:
        # The project ships psycopg2 (the warehouse uses it); SQLAlchemy 2.1 would pick psycopg 3.
        for bare in ("postgresql://", "postgres://"):
            if url.startswith(bare):
                url = "postgresql+psycopg2://" + url.removeprefix(bare)
        engine = sa.create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    guards = SQLITE_AUDIT_GUARDS if engine.dialect.name == "sqlite" else PG_AUDIT_GUARDS
    with engine.begin() as conn:
        for statement in guards:
            conn.exec_driver_sql(statement)
    return engine


class Store:
    """Every read and write of the desk's data; the routes and the publisher go through it."""

    def __init__(self, url: str):
        self.engine = engine_for(url)

    # --- users -------------------------------------------------------------------------------
    def user(self, username: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        return dict(row) if row else None

    def all_users(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(users).order_by(users.c.username)).mappings()]

    def upsert_user(self, username: str, password_hash: str, role: str, office: str | None,
                    lane: str | None) -> bool:
        """Create the user or replace its password and scope; True when it was new."""
        values = {"password_hash": password_hash, "role": role, "office": office, "lane": lane, "active": True}
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(users).where(users.c.username == username).values(**values))
            if done.rowcount:
                return False
            conn.execute(sa.insert(users).values(username=username, created_at=now(), **values))
            return True

    def set_active(self, username: str, active: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(users).where(users.c.username == username).values(active=active))

    def record_failure(self, username: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(login_failures).values(username=username, at=now()))

    def failures_since(self, username: str, since: dt.datetime) -> list[dt.datetime]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(login_failures.c.at).where(
                login_failures.c.username == username, login_failures.c.at >= since)
                .order_by(login_failures.c.at))
            return [r[0] for r in rows]

    def clear_failures(self, username: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(login_failures).where(login_failures.c.username == username))

    # --- audit -------------------------------------------------------------------------------
    def log(self, username: str | None, action: str, lane: str | None = None, office: str | None = None,
            detail: Any = None) -> None:
        text = detail if detail is None or isinstance(detail, str) else json.dumps(detail, default=str)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(audit).values(at=now(), username=username, action=action, lane=lane,
                                                 office=office, detail=text))

    def audit_entries(self, lane: str | None = None, limit: int = 500) -> list[dict]:
        query = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if lane is not None:
            query = query.where(audit.c.lane == lane)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # --- published lists ---------------------------------------------------------------------
    def publish(self, day: dt.date, lane: str, list_rows: list[dict], item_rows: list[dict]) -> None:
        """Replace the day's lists of a lane in one transaction (readers see the old day or the new one)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(lists).where(lists.c.day == day, lists.c.lane == lane))
            conn.execute(sa.delete(items).where(items.c.day == day, items.c.lane == lane))
            if list_rows:
                conn.execute(sa.insert(lists), list_rows)
            for start in range(0, len(item_rows), 5000):
                conn.execute(sa.insert(items), item_rows[start:start + 5000])

    def days(self, lanes: Iterable[str]) -> list[dt.date]:
        query = (sa.select(lists.c.day).where(lists.c.lane.in_(list(lanes))).distinct()
                 .order_by(lists.c.day.desc()))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def lists_of_day(self, day: dt.date) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(lists).where(lists.c.day == day)
                                .order_by(lists.c.lane, lists.c.office)).mappings()
            return [dict(r) for r in rows]

    def list_info(self, day: dt.date, lane: str, office: str) -> dict | None:
        query = sa.select(lists).where(lists.c.day == day, lists.c.lane == lane, lists.c.office == office)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def list_items(self, day: dt.date, lane: str, office: str) -> list[dict]:
        """The list's items in rank order, without the parties' history (the item page has it)."""
        shown = [c for c in items.c if c.name != "history"]
        query = (sa.select(*shown).where(items.c.day == day, items.c.lane == lane, items.c.office == office)
                 .order_by(items.c.rank))
        with self.engine.connect() as conn:
            return [_decoded(r) for r in conn.execute(query).mappings()]

    def item(self, lane: str, item_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(items).where(items.c.lane == lane, items.c.item_id == item_id)
                               ).mappings().first()
        return _decoded(row) if row else None

    # --- outcomes ----------------------------------------------------------------------------
    def add_outcome(self, values: dict) -> int:
        """Append an outcome; it supersedes the item's latest entry, which stays in the history."""
        with self.engine.begin() as conn:
            previous = conn.execute(sa.select(sa.func.max(outcomes.c.id)).where(
                outcomes.c.lane == values["lane"], outcomes.c.item_id == values["item_id"])).scalar()
            done = conn.execute(sa.insert(outcomes).values(recorded_at=now(), supersedes=previous, **values))
            return int(done.inserted_primary_key[0])

    def outcome_history(self, lane: str, item_id: str) -> list[dict]:
        query = (sa.select(outcomes).where(outcomes.c.lane == lane, outcomes.c.item_id == item_id)
                 .order_by(outcomes.c.id.desc()))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def latest_outcomes(self, day: dt.date, lane: str, office: str | None = None) -> dict[str, dict]:
        """item_id -> the item's current (newest) outcome, for the items of a day's list(s)."""
        conditions = [outcomes.c.day == day, outcomes.c.lane == lane]
        if office is not None:
            conditions.append(outcomes.c.office == office)
        query = sa.select(outcomes).where(*conditions).order_by(outcomes.c.id)
        with self.engine.connect() as conn:
            return {r["item_id"]: dict(r) for r in conn.execute(query).mappings()}

    def done_counts(self, day: dt.date) -> dict[tuple[str, str], int]:
        """(lane, office) -> items of the day's lists with an outcome."""
        query = (sa.select(outcomes.c.lane, outcomes.c.office, sa.func.count(sa.distinct(outcomes.c.item_id)))
                 .where(outcomes.c.day == day).group_by(outcomes.c.lane, outcomes.c.office))
        with self.engine.connect() as conn:
            return {(lane, office): int(n) for lane, office, n in conn.execute(query)}

    # --- capacities --------------------------------------------------------------------------
    def set_capacity(self, lane: str, office: str, day: dt.date, kind: str, value: float, by: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(capacities).values(lane=lane, office=office, day=day, kind=kind, value=value,
                                                      set_by=by, set_at=now()))

    def capacities_for(self, lane: str, day: dt.date) -> dict[str, dict]:
        """office -> the latest capacity entry set for ``day``."""
        query = (sa.select(capacities).where(capacities.c.lane == lane, capacities.c.day == day)
                 .order_by(capacities.c.id))
        with self.engine.connect() as conn:
            return {r["office"]: dict(r) for r in conn.execute(query).mappings()}


def _decoded(row) -> dict:
    out = dict(row)
    for key in ("facts", "reasons", "history"):
        if key in out:
            out[key] = json.loads(out[key])
    return out
