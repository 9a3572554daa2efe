"""The same ingestion on PostgreSQL: a fresh database, one simulated day of every source, counts, an
idempotent rerun, then the database is dropped."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from core.settings import get_settings
from core.warehouse import Warehouse
from ingest.load import load_day
from simworld.simulator import simulate_day
from tests.conftest import require_service

DAY = dt.date(2026, 3, 2)
SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def pg_settings(settings, monkeypatch):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg2

    name = f"customs_risk_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{SERVER}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    monkeypatch.setenv("CUSTOMS_RISK_WAREHOUSE_URL", f"{SERVER}/{name}")
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    try:
        yield get_settings()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.mark.services
def test_every_source_loads_into_postgres_and_reruns_idempotently(pg_settings):
    assert pg_settings.warehouse_kind == "postgres"
    files = simulate_day(DAY, pg_settings, scale=0.002)
    warehouse = Warehouse(pg_settings)
    expected = {}
    for source, path in files.items():
        lines = [line for line in path.read_text().splitlines() if line]
        expected[source] = len(lines) - (1 if path.suffix == ".csv" else 0)
        report = load_day(source, DAY, pg_settings)
        assert report.rows_loaded == expected[source] and report.rows_quarantined == 0, report.summary()

    def counts():
        return {s: int(warehouse.query_df(f"select count(*) as n from raw.{s} where _batch_date = ?", [DAY])["n"][0])
                for s in files}

    assert counts() == expected
    for source in files:
        load_day(source, DAY, pg_settings)
    assert counts() == expected
    assert int(warehouse.query_df("select count(*) as n from raw.quarantine")["n"][0]) == 0
