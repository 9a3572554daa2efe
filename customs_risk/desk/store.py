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

metadata = sa.MetaData()


def _item_key(primary: bool) -> list[sa.Column]:
    """Lane and item id (the item's key), with the list it was on: its day and office."""
    return [sa.Column("lane", sa.String(16), primary_key=primary, nullable=False),
            sa.Column("item_id", sa.String(64), primary_key=primary, nullable=False),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("office", sa.String(32), nullable=False)]


users = sa.Table(
    "desk_users", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("office", sa.String(32)),
    sa.Column("lane", sa.String(16)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

login_failures = sa.Table(
    "desk_login_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

lists = sa.Table(
    "desk_lists", metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("lane", sa.String(16), primary_key=True),
    sa.Column("office", sa.String(32), primary_key=True),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("traffic", sa.Integer, nullable=False),
    sa.Column("capacity", sa.String(32), nullable=False),
    sa.Column("model_name", sa.String(128)),
    sa.Column("model_version", sa.Integer),
    sa.Column("published_at", sa.DateTime, nullable=False),
)

items = sa.Table(
    "desk_items", metadata,
    *_item_key(primary=True),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("why", sa.String(16), nullable=False),
    sa.Column("propensity", sa.Float),
    sa.Column("model_name", sa.String(128)),
    sa.Column("model_version", sa.Integer),
    sa.Column("facts", sa.Text, nullable=False),      # JSON: the declared facts, pseudonymous keys only
    sa.Column("reasons", sa.Text, nullable=False),    # JSON: [{text, value, typical, contribution}]
    sa.Column("history", sa.Text, nullable=False),    # JSON: the parties' prior items and findings
    sa.Index("ix_desk_items_list", "day", "lane", "office", "rank"),
)

outcomes = sa.Table(
    "desk_outcomes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *_item_key(primary=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Column("category", sa.String(32)),
    sa.Column("quantity", sa.Float),
    sa.Column("extra_duty_krw", sa.Float),
    sa.Column("note", sa.Text),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("supersedes", sa.Integer),              # the entry this one corrects (both are kept)
    sa.Index("ix_desk_outcomes_item", "lane", "item_id"),
)

capacities = sa.Table(
    "desk_capacities", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lane", sa.String(16), nullable=False),
    sa.Column("office", sa.String(32), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # count | share
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", sa.DateTime, nullable=False),
)

audit = sa.Table(
    "desk_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("lane", sa.String(16)),
    sa.Column("office", sa.String(32)),
    sa.Column("detail", sa.Text),
)

# Append-only: the database itself refuses to change or remove an audit entry.
_SQLITE_AUDIT_GUARDS = [
    "create trigger if not exists desk_audit_no_update before update on desk_audit "
    "begin select raise(abort, 'the audit log is append-only'); end",
    "create trigger if not exists desk_audit_no_delete before delete on desk_audit "
    "begin select raise(abort, 'the audit log is append-only'); end",
]
_PG_AUDIT_GUARDS = [
    "create or replace function desk_audit_append_only() returns trigger language plpgsql as "
    "$$ begin raise exception 'the audit log is append-only'; end $$",
    "drop trigger if exists desk_audit_no_change on desk_audit",
    "create trigger desk_audit_no_change before update or delete on desk_audit "
    "for each row execute function desk_audit_append_only()",
]


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
    guards = _SQLITE_AUDIT_GUARDS if engine.dialect.name == "sqlite" else _PG_AUDIT_GUARDS
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
