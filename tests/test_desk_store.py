"""The desk's store on both engines it supports: SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from conftest import require_service
from customs_risk.desk.auth import UserError, add_user, authenticate
from customs_risk.desk.capacity import CapacityError, parse_capacity
from customs_risk.desk.store import Store

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
DAY = dt.date(2026, 3, 5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'desk.db'}")
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"desk_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"create database {name}")
    try:
        yield Store(f"postgresql://postgres@127.0.0.1:5432/{name}")
    finally:
        from customs_risk.desk.store import engine_for

        engine_for(f"postgresql://postgres@127.0.0.1:5432/{name}").dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"drop database if exists {name}")
        admin.dispose()


def _item(item_id: str, rank: int) -> dict:
    return {"lane": "express", "item_id": item_id, "day": DAY, "office": "IEX", "rank": rank, "score": 0.5,
            "why": "model", "propensity": 1.0, "model_name": "m", "model_version": 1,
            "facts": json.dumps({"HS6": "640411"}), "reasons": "[]", "history": "[]"}


def test_users_are_stored_as_argon2_hashes_and_checked(store):
    assert add_user(store, "kim", "analyst", "IEX", "express", "a long enough password")
    row = store.user("kim")
    assert row["password_hash"].startswith("$argon2id$") and "a long enough password" not in row["password_hash"]
    user, why = authenticate(store, "KIM ", "a long enough password")
    assert user is not None and user.may_see("express", "IEX") and not user.may_see("express", "GEX")
    assert authenticate(store, "kim", "wrong password")[0] is None
    for bad in (("x", "analyst", "IEX", "express"), ("lee", "analyst", None, "express"),
                ("lee", "supervisor", "IEX", "express"), ("lee", "admin", None, "cargo"), ("lee", "boss", None, None)):
        with pytest.raises(UserError):
            add_user(store, *bad, "a long enough password")
    with pytest.raises(UserError, match="12 characters"):
        add_user(store, "lee", "admin", None, None, "short")


def test_publishing_replaces_a_day_and_outcomes_survive_it(store):
    lists = [{"day": DAY, "lane": "express", "office": "IEX", "n_items": 2, "traffic": 100, "capacity": "2 items",
              "model_name": "m", "model_version": 1, "published_at": dt.datetime(2026, 3, 5, 6)}]
    store.publish(DAY, "express", lists, [_item("W1", 1), _item("W2", 2)])
    first = store.add_outcome({"lane": "express", "item_id": "W1", "day": DAY, "office": "IEX", "method": "xray",
                               "result": "no_finding", "recorded_by": "kim"})
    second = store.add_outcome({"lane": "express", "item_id": "W1", "day": DAY, "office": "IEX",
                                "method": "physical", "result": "seizure", "category": "drugs", "recorded_by": "kim"})
    store.publish(DAY, "express", lists, [_item("W2", 1), _item("W1", 2)])
    assert [i["item_id"] for i in store.list_items(DAY, "express", "IEX")] == ["W2", "W1"]
    assert store.latest_outcomes(DAY, "express", "IEX")["W1"]["id"] == second
    assert [o["supersedes"] for o in store.outcome_history("express", "W1")] == [first, None]
    assert store.done_counts(DAY) == {("express", "IEX"): 1}


def test_the_audit_log_is_append_only_on_either_engine(store):
    store.log("kim", "sign_in", "express", "IEX")
    for statement in ("update desk_audit set username = 'x'", "delete from desk_audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert [e["username"] for e in store.audit_entries()] == ["kim"]


def test_capacities_are_validated_and_the_latest_entry_wins(store):
    assert parse_capacity("count", "40") == 40 and parse_capacity("share", "2.5%") == pytest.approx(0.025)
    for kind, text in (("count", "4.5"), ("count", "-1"), ("share", "1.2"), ("share", "x"), ("other", "1")):
        with pytest.raises(CapacityError):
            parse_capacity(kind, text)
    store.set_capacity("express", "IEX", DAY, "count", 40, "sue")
    store.set_capacity("express", "IEX", DAY, "share", 0.05, "sue")
    assert store.capacities_for("express", DAY)["IEX"]["kind"] == "share"
