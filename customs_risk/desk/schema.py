"""The desk store's tables (SQLAlchemy Core) and the triggers that keep its audit log append-only."""
from __future__ import annotations

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
SQLITE_AUDIT_GUARDS = [
    "create trigger if not exists desk_audit_no_update before update on desk_audit "
    "begin select raise(abort, 'the audit log is append-only'); end",
    "create trigger if not exists desk_audit_no_delete before delete on desk_audit "
    "begin select raise(abort, 'the audit log is append-only'); end",
]
PG_AUDIT_GUARDS = [
    "create or replace function desk_audit_append_only() returns trigger language plpgsql as "
    "$$ begin raise exception 'the audit log is append-only'; end $$",
    "drop trigger if exists desk_audit_no_change on desk_audit",
    "create trigger desk_audit_no_change before update or delete on desk_audit "
    "for each row execute function desk_audit_append_only()",
]
