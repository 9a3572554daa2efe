"""The dbt project: generated sources match the contracts; a build on hand-made raw tables passes its
tests and yields the point-in-time features we can compute by hand; incremental equals full refresh."""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from transform import dbt_build as transform, dbt_sources
from transform.feature_texts import feature_texts
from core.warehouse import Warehouse
from core.contracts import CONTRACTS

D1, D2, D3 = date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
M = 10          # var('hit_rate_smoothing')
PRIOR0 = 0.05   # var('default_hit_rate_prior')


def smoothed(hits: int, n: int, prior: float) -> float:
    return (hits + prior * M) / (n + M)


def _declaration(i, day, importer, seller, hs6="690722", origin="CN", departure="CN", price=1_000_000.0, mass=100.0):
    return dict(declaration_id=f"D{i}", declaration_date=day, office_id="30", process_type="B", import_type="11",
                import_use="21", payment_type="11", transport_mode="10", declarant_id="BROKER1", importer_id=importer,
                seller_id=seller, courier_id=None, hs6=hs6, departure_country=departure, origin_country=origin,
                tax_rate=8.0, tax_type="FCN1" if i % 2 else "A", origin_indicator="Y", net_mass_kg=mass,
                item_price_krw=price)


def _shipment(waybill, day, consignee, seller, value=100.0, weight=2.0, departure="CN", hs6="950300"):
    return dict(waybill_id=waybill, arrival_date=day, office_id="IEX", courier_id="DHL", platform="ALI",
                seller_id=seller, consignee_key=consignee, consignee_name_key=consignee + "n",
                item_description="toy", hs6=hs6, quantity=2, declared_value_usd=value, weight_kg=weight,
                origin_country="CN", departure_country=departure, consignee_region="SEOUL")


def _traveller(arrival, day, key, payment="card", transit=None):
    return dict(arrival_id=arrival, arrival_date=day, office_id="ICN1", traveller_key=key,
                traveller_name_key=key + "n", nationality="KR", flight_no="KE652", origin_airport="BKK",
                transit_airport=transit, booking_lead_days=3, ticket_payment=payment, trips_last_year=4,
                source_country_visits=2, bags_checked=1, declared_goods="N")


def _event(i, ts, zone, event_type, track, key=None, score=None):
    return dict(event_id=f"E{i:06d}", event_time=ts, camera_id="CAM1", zone=zone, event_type=event_type,
                track_id=track, traveller_key=key, match_score=score)


def _inspection(i, day, lane, item, item_day, reason, result, category=None):
    return dict(inspection_id=f"I{i}", inspection_date=day, lane=lane, item_id=item, item_date=item_day,
                office_id="IEX", selection_reason=reason, method="xray", result=result, category=category,
                quantity=None, extra_duty_krw=None)


RAW = {
    "shipments": [
        _shipment("WB00000001", D1, "C1", "S1", value=100.0, weight=2.0, departure="US"),
        _shipment("WB00000002", D2, "C1", "S2", value=120.0, weight=3.0),
        _shipment("WB00000004", D2, "C2", "S3", value=40.0, weight=1.0),
        _shipment("WB00000003", D3, "C1", "S1", value=90.0, weight=1.0),
    ],
    "declarations": [
        _declaration(1, D1, "IMP1", "SEL1"),
        _declaration(2, D2, "IMP1", "SEL1"),
        _declaration(3, D2, "IMP2", "SEL2", origin="VN"),
        _declaration(4, D3, "IMP1", "SEL9", price=500_000.0),
    ],
    "travellers": [
        _traveller("T000001", D1, "K1"),
        _traveller("T000002", D2, "K1", payment="cash", transit="PVG"),
        _traveller("T000003", D3, "K2"),
    ],
    "cctv_events": [
        _event(1, datetime(2024, 3, 2, 9, 50), "immigration", "track_start", "TR1", "K1", 0.9),
        _event(2, datetime(2024, 3, 2, 10, 0), "baggage_claim", "seen", "TR1"),
        _event(3, datetime(2024, 3, 2, 10, 20), "baggage_claim", "bag_handover", "TR1", "K1", 0.7),
        _event(4, datetime(2024, 3, 2, 10, 30), "customs_lane", "loiter", "TR1"),
        _event(5, datetime(2024, 3, 2, 10, 40), "immigration", "seen", "TR2", "K9", 0.4),
    ],
    "inspections": [
        # W1 found on its own day: known to every later item of consignee C1.
        _inspection(1, D1, "express", "WB00000001", D1, "rule", "seizure", "drugs"),
        # W2 (D2) found on D3: must NOT count for W3, whose date is D3 (leakage guard).
        _inspection(2, D3, "express", "WB00000002", D2, "model", "irregularity", "undervaluation"),
        # W4: audited without finding on D2, re-inspected with a finding on D3.
        _inspection(3, D2, "express", "WB00000004", D2, "audit", "no_finding"),
        _inspection(4, D3, "express", "WB00000004", D2, "manual", "irregularity", "counterfeit"),
        _inspection(5, D1, "cargo", "D1", D1, "audit", "irregularity", "undervaluation"),
        _inspection(6, D2, "cargo", "D2", D2, "rule", "no_finding"),
        _inspection(7, D1, "traveller", "T000001", D1, "rule", "seizure", "drugs"),
    ],
}


def _frame(source: str, rows: list[dict]) -> pd.DataFrame:
    contract = CONTRACTS[source]
    df = pd.DataFrame(rows, columns=contract.warehouse_columns)
    for f in contract.fields:
        if f.warehouse_dtype == "int":
            df[f.warehouse_name] = df[f.warehouse_name].astype("int64")
        elif f.warehouse_dtype == "float":
            df[f.warehouse_name] = df[f.warehouse_name].astype("float64")
    return df


def load_raw(settings, days: set[date], raw: dict[str, list[dict]] | None = None) -> None:
    """Write the rows (RAW unless given) of the given days as ingest would: one partition per source and batch day."""
    warehouse = Warehouse(settings)
    for source, rows in (RAW if raw is None else raw).items():
        contract = CONTRACTS[source]
        df = _frame(source, rows)
        batch = pd.to_datetime(df[contract.day_column]).dt.date
        for day in sorted(days):
            part = df[batch == day].copy()
            if part.empty:
                continue
            # Warehouse writes object columns as text on PostgreSQL, so dates go there as timestamps
            # (staging casts every column to its contract type either way).
            batch_day = day if warehouse.kind == "duckdb" else pd.Timestamp(day)
            part["_batch_date"] = batch_day
            part["_source_file"] = f"landing/{source}/{day}/{contract.file_name}"
            part["_line"] = range(1, len(part) + 1)
            part["_loaded_at"] = pd.Timestamp(datetime.combine(day, datetime.min.time()))
            warehouse.replace_partition("raw", contract.table, part, {"_batch_date": batch_day})


def features(settings, lane: str) -> pd.DataFrame:
    """The lane's feature rows without the rebuild bookkeeping (inputs_loaded_at: when they were built)."""
    df = Warehouse(settings).query_df(f"select * from marts.fct_{lane}_features order by item_id")
    return df.drop(columns="inputs_loaded_at").set_index("item_id")


def test_generated_dbt_files_match_contracts():
    stale = dbt_sources.stale_files()
    assert not stale, f"run `python -m transform.dbt_sources`: stale {stale}"
    sources = dbt_sources.sources_dict()["sources"][0]
    assert {t["name"] for t in sources["tables"]} == {c.table for c in CONTRACTS.values()} | {"quarantine"}
    from core.contracts import QUARANTINE_COLUMNS
    quarantine = next(t for t in sources["tables"] if t["name"] == "quarantine")
    assert {c["name"]: c["data_type"] for c in quarantine["columns"]} == {k: t for k, (t, _) in QUARANTINE_COLUMNS.items()}
    assert sources["config"]["loaded_at_field"] == "_loaded_at"
    staging = dbt_sources.STAGING_DIR
    assert {p.stem for p in staging.glob("stg_*.sql")} == {p.stem for p in staging.glob("stg_*.yml")} == {
        f"stg_{name}" for name in CONTRACTS} | {"stg_quarantine"}


def test_regenerating_removes_files_no_contract_asks_for(tmp_path, monkeypatch):
    """A staging model whose contract is gone leaves a generated yml behind: stale, and `write` removes it
    (a hand-written yml there is left alone)."""
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(dbt_sources, "STAGING_DIR", staging)
    monkeypatch.setattr(dbt_sources, "SOURCES_FILE", staging / "__sources.yml")
    dbt_sources.write()
    orphan, own = staging / "stg_retired.yml", staging / "notes.yml"
    orphan.write_text(dbt_sources.HEADER + "version: 2\n")
    own.write_text("version: 2\n")
    assert dbt_sources.stale_files() == [orphan]
    assert dbt_sources.write() == [orphan] and not orphan.exists() and own.exists()
    assert dbt_sources.stale_files() == []


def test_build_point_in_time_features_and_incremental_equals_full_refresh(settings):
    load_raw(settings, {D1, D2})
    transform.build(settings)
    load_raw(settings, {D3})
    started = time.perf_counter()
    transform.build(settings)                     # incremental run over the new day
    print(f"dbt build (incremental) took {time.perf_counter() - started:.1f}s")
    incremental = {lane: features(settings, lane) for lane in ("express", "cargo", "traveller")}

    express = incremental["express"]
    assert express.index.is_unique and len(express) == 4
    assert [c for c in express.columns if not c.startswith("f_")] == [
        "item_date", "office_id", "label", "selection_reason", "is_audit"]
    assert not express.filter(like="f_").isna().any().any()
    # Labels: W1 seizure, W2 irregularity found later, W3 never inspected, W4 audit then finding.
    assert express.loc["WB00000001", "label"] == 1
    assert express.loc["WB00000002", "label"] == 1
    assert pd.isna(express.loc["WB00000003", "label"]) and pd.isna(express.loc["WB00000003", "selection_reason"])
    assert express.loc["WB00000004", "selection_reason"] == "audit" and bool(express.loc["WB00000004", "is_audit"])
    # W1 (D1): nothing known before D1.
    w1 = express.loc["WB00000001"]
    assert w1["f_consignee_prior_inspections"] == 0
    assert w1["f_consignee_hit_rate"] == pytest.approx(PRIOR0)
    assert w1["f_duty_free_margin_usd"] == pytest.approx(200 - 100)     # shipped from the US
    assert w1["f_value_per_kg"] == pytest.approx(50.0)
    # W2 (D2): W1's seizure (recorded D1) is known; the lane prior too.
    lane_prior_d2 = smoothed(1, 1, PRIOR0)
    w2 = express.loc["WB00000002"]
    assert w2["f_lane_prior_hit_rate"] == pytest.approx(lane_prior_d2)
    assert w2["f_consignee_prior_inspections"] == 1
    assert w2["f_consignee_hit_rate"] == pytest.approx(smoothed(1, 1, lane_prior_d2))
    assert w2["f_duty_free_margin_usd"] == pytest.approx(150 - 120)
    assert w2["f_value_per_kg_vs_hs6_median"] == pytest.approx(40.0 / 50.0)
    # W3 (D3): W2's finding and W4's re-inspection were recorded ON D3, so they do not count yet;
    # W4's audit (no finding) on D2 does.
    lane_prior_d3 = smoothed(1, 2, PRIOR0)
    w3 = express.loc["WB00000003"]
    assert w3["f_consignee_prior_inspections"] == 1
    assert w3["f_consignee_hit_rate"] == pytest.approx(smoothed(1, 1, lane_prior_d3))
    assert w3["f_seller_prior_inspections"] == 1                      # S1 via W1
    assert w3["f_consignee_parcels_7d"] == 3 and w3["f_consignee_sellers_7d"] == 2
    assert w3["f_lane_prior_hit_rate"] == pytest.approx(lane_prior_d3)

    cargo = incremental["cargo"]
    d4 = cargo.loc["D4"]
    assert d4["f_importer_prior_inspections"] == 2 and d4["f_importer_prior_inspections_30d"] == 2
    lane_prior_cargo = smoothed(1, 2, PRIOR0)
    assert d4["f_importer_hit_rate"] == pytest.approx(smoothed(1, 2, lane_prior_cargo))
    assert d4["f_is_new_importer_seller"] == 1 and cargo.loc["D2", "f_is_new_importer_seller"] == 0
    assert cargo.loc["D1", "f_is_new_importer_seller"] == 1
    assert d4["f_unit_value_vs_hs6_median"] == pytest.approx(0.5)     # 5,000 vs 10,000 KRW/kg
    assert cargo.loc["D3", "f_origin_ne_departure"] == 1

    travellers = incremental["traveller"]
    t2 = travellers.loc["T000002"]
    assert t2["f_traveller_prior_inspections"] == 1
    assert t2["f_cash_payment"] == 1 and t2["f_has_transit"] == 1
    assert t2["f_cctv_bag_handovers"] == 1 and t2["f_cctv_loiters"] == 1
    assert t2["f_cctv_baggage_claim_dwell_minutes"] == pytest.approx(20.0)
    assert t2["f_cctv_min_match_score"] == pytest.approx(0.7)
    assert t2["f_cctv_matched_immigration_not_exit"] == 1
    assert travellers.loc["T000003", "f_cctv_seen"] == 0

    _assert_equals_full_refresh(settings)
    _load_late_file_for_d2(settings)
    transform.build(settings)
    _assert_late_file_counted(settings)
    _assert_equals_full_refresh(settings)


def _load_late_file_for_d2(settings) -> None:
    """A late file for D2, loaded after D3's run: the days from D2 on are rebuilt. The dimensions count the
    members last seen on a rebuilt day again from all their days (C1, S1, IMP1), start the new ones there
    (C3, S4, IMP3) and add the new days to what the others had (the run over D3 did that for C1, S1)."""
    late = {"shipments": RAW["shipments"] + [_shipment("WB00000005", D2, "C1", "S4"),
                                             _shipment("WB00000006", D2, "C3", "S1")],
            "declarations": RAW["declarations"] + [_declaration(5, D2, "IMP3", "SEL1")]}
    load_raw(settings, {D2}, late)
    for table in ("shipments", "declarations"):
        Warehouse(settings).execute(f"update raw.{table} set _loaded_at = timestamp '2024-03-04 06:00:00' "
                                    "where _batch_date = date '2024-03-02'")


def _assert_late_file_counted(settings) -> None:
    assert len(features(settings, "express")) == 6
    sellers = _relation(settings, "marts.dim_sellers").set_index("seller_id")
    assert sellers.loc["S1", "n_items"] == 3 and str(sellers.loc["S4", "first_seen_date"])[:10] == str(D2)


def _assert_equals_full_refresh(settings) -> None:
    """Every incremental model and feature table as the incremental runs left them, against a full refresh."""
    incremental = {lane: features(settings, lane) for lane in ("express", "cargo", "traveller")}
    others = {relation: _relation(settings, relation) for relation in INCREMENTAL_RELATIONS}
    transform.build(settings, full_refresh=True)
    for lane, before in incremental.items():
        pd.testing.assert_frame_equal(before, features(settings, lane), check_dtype=False, obj=lane)
    for relation, before in others.items():
        pd.testing.assert_frame_equal(before, _relation(settings, relation), check_dtype=False, obj=relation)


@pytest.mark.services
def test_incremental_equals_full_refresh_on_postgres(settings, monkeypatch):
    """The incremental paths (a new day, then a late file for a past day) on the PostgreSQL target."""
    from tests.conftest import require_service

    require_service("PostgreSQL", "127.0.0.1", 5432)
    from core.settings import get_settings
    from ingest.load import ensure_raw_tables

    with postgres_database(monkeypatch):
        pg = get_settings()
        assert pg.warehouse_kind == "postgres"
        ensure_raw_tables(Warehouse(pg))
        load_raw(pg, {D1, D2})
        transform.build(pg)
        load_raw(pg, {D3})
        transform.build(pg)
        _assert_equals_full_refresh(pg)
        _load_late_file_for_d2(pg)
        transform.build(pg)
        _assert_late_file_counted(pg)
        _assert_equals_full_refresh(pg)


@contextmanager
def postgres_database(monkeypatch):
    """A fresh PostgreSQL database as the warehouse (CUSTOMS_RISK_WAREHOUSE_URL), dropped afterwards."""
    import psycopg2

    dbname = f"customs_risk_test_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{dbname}"')
    try:
        monkeypatch.setenv("CUSTOMS_RISK_WAREHOUSE_URL", f"postgresql://postgres@127.0.0.1:5432/{dbname}")
        yield dbname
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{dbname}" with (force)')
        admin.close()


# Incremental models (and the tables built on them) other than the feature tables, with a sort order.
# (fct_shipments, fct_declarations and fct_travellers are views over the raw rows and the labels.)
INCREMENTAL_RELATIONS = {
    "intermediate.int_entity_days": "lane, entity_type, entity_value, as_of_date",
    "intermediate.int_entity_traffic_365d": "lane, entity_type, entity_value",
    "intermediate.int_inspected_item_entities": "lane, item_id, entity_type",
    "intermediate.int_traveller_cctv_daily": "traveller_key, event_date",
    "intermediate.int_hs6_daily_unit_values": "hs6_day_key",
    "intermediate.int_hs6_unit_value_reference": "reference_key",
    "intermediate.int_office_daily_traffic": "lane, office_id, item_date",
    "marts.fct_daily_traffic": "daily_traffic_key",
    "marts.dim_consignees": "consignee_key",
    "marts.dim_sellers": "seller_id",
    "marts.dim_importers": "importer_id",
    "marts.dim_hs6": "hs6",
    "marts.dim_offices": "office_key",
}


# When a row was written, not what it holds: an incremental run leaves older rows that a full refresh rewrites.
BOOKKEEPING = {"inputs_loaded_at", "intermediate.int_entity_traffic_365d.as_of_date"}


def _relation(settings, relation: str) -> pd.DataFrame:
    df = Warehouse(settings).query_df(f"select * from {relation} order by {INCREMENTAL_RELATIONS[relation]}")
    kept = [c for c in df.columns if c not in BOOKKEEPING and f"{relation}.{c}" not in BOOKKEEPING]
    return df[kept].reset_index(drop=True)


def test_build_survives_a_missing_source(settings):
    load_raw(settings, {D1, D2})
    Warehouse(settings).execute("drop table raw.cctv_events")
    transform.build(settings, select="+fct_traveller_features")
    assert features(settings, "traveller")["f_cctv_seen"].eq(0).all()


def test_failed_build_names_the_node(settings):
    load_raw(settings, {D1})
    Warehouse(settings).execute("insert into raw.shipments select * from raw.shipments")  # duplicate keys
    with pytest.raises(RuntimeError, match="unique_stg_shipments_waybill_id"):
        transform.build(settings, select="stg_shipments")


def test_the_primary_key_test_fails_on_a_repeated_key_and_on_a_null_key_column(settings):
    """tests/generic/primary_key.sql, the key of the tables that keep no concatenated key column."""
    load_raw(settings, {D1, D2})
    transform.build(settings, select="+int_traveller_cctv_daily")
    warehouse, table = Warehouse(settings), "intermediate.int_traveller_cctv_daily"
    key_test = ["test", "--select", "int_traveller_cctv_daily,test_name:primary_key"]
    transform.run_dbt(key_test, settings)
    warehouse.execute(f"insert into {table} select * from {table} limit 1")
    with pytest.raises(RuntimeError, match="primary_key_int_traveller_cctv_daily"):
        transform.run_dbt(key_test, settings)
    transform.build(settings, select="int_traveller_cctv_daily", full_refresh=True)
    transform.run_dbt(key_test, settings)
    warehouse.execute(f"update {table} set traveller_key = null from (select traveller_key, event_date from {table}"
                      f" order by all limit 1) as one where {table}.traveller_key = one.traveller_key"
                      f" and {table}.event_date = one.event_date")
    with pytest.raises(RuntimeError, match="primary_key_int_traveller_cctv_daily"):
        transform.run_dbt(key_test, settings)


def test_daily_tests_read_rows_from_test_since_on(settings):
    """The daily run (var test_since) tests the rows from its day on; without it, every row is tested."""
    load_raw(settings, {D1, D2})
    Warehouse(settings).execute("insert into raw.shipments select * from raw.shipments where _batch_date = date '2024-03-01'")
    transform.build(settings, select="stg_shipments", vars={"test_since": D2.isoformat()})
    with pytest.raises(RuntimeError, match="unique_stg_shipments_waybill_id"):
        transform.build(settings, select="stg_shipments")


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column whatever the engine: dates as datetimes, numbers and flags as float, text as object."""
    out = pd.DataFrame(index=df.index)
    for column in df.columns:
        values = df[column]
        if column == "item_date":
            out[column] = pd.to_datetime(values).astype("datetime64[ns]")
        elif column in ("selection_reason", "office_id") or column.startswith("c_"):  # c_*: raw codes
            out[column] = values.astype(object).where(values.notna(), None)
        else:
            out[column] = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="raise").astype("float64")
    return out


@pytest.mark.services
def test_duckdb_and_postgres_build_the_same_features(settings, monkeypatch):
    """Two targets, one project: the same simulated days, loaded once and copied raw to PostgreSQL, give
    the same feature tables on both (values to 1e-6: DuckDB stores them as 4-byte floats, PostgreSQL in double
    precision; medians and casts agree)."""
    from tests.conftest import require_service

    require_service("PostgreSQL", "127.0.0.1", 5432)
    from core.settings import get_settings
    from ingest.load import QUARANTINE_TABLE, load_day
    from simworld.simulator import simulate_day

    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    for day in (D2, D3):
        simulate_day(day, settings, scale=0.001)
        for source in CONTRACTS:
            load_day(source, day, settings)
    duck = Warehouse(settings)

    with postgres_database(monkeypatch):
        pg_settings = get_settings()
        assert pg_settings.warehouse_kind == "postgres"
        from ingest.load import ensure_raw_tables
        pg = Warehouse(pg_settings)
        ensure_raw_tables(pg)       # contract-typed tables, as ingest creates them
        for table in [c.table for c in CONTRACTS.values()] + [QUARANTINE_TABLE]:
            rows = duck.query_df(f"select * from raw.{table}")
            if not rows.empty:
                pg.replace_partition("raw", table, rows, {})
        compared = "+fct_cargo_features +fct_express_features +fct_traveller_features +fct_source_day_quality"
        transform.build(settings, select=compared)
        transform.build(pg_settings, select=compared)
        for lane in ("cargo", "express", "traveller"):
            on_duckdb, on_postgres = features(settings, lane), features(pg_settings, lane)
            assert len(on_duckdb) > 0
            pd.testing.assert_frame_equal(_comparable(on_duckdb), _comparable(on_postgres), rtol=1e-6)
        quality = "select * from marts.fct_source_day_quality order by source_day_key"
        on_duckdb, on_postgres = duck.query_df(quality), pg.query_df(quality)
        assert on_duckdb["rows_loaded"].tolist() == on_postgres["rows_loaded"].tolist()

PROFILE_KEY = ["lane", "entity_type", "entity_value", "as_of_date"]


def _profiles(settings) -> pd.DataFrame:
    profiles = Warehouse(settings).query_df("select * from intermediate.int_entity_profiles")
    profiles["as_of_date"] = pd.to_datetime(profiles["as_of_date"])
    return profiles.set_index(PROFILE_KEY).sort_index()


def test_incremental_profiles_catch_late_outcomes(settings):
    """An inspection result that arrives late for an old day, stamped no later than what the profiles
    have already seen, still reaches every later profile: the lane-wide totals of the days after it
    change, so those days are rebuilt."""
    late = [r for r in RAW["inspections"] if r["inspection_id"] == "I3"]
    RAW["inspections"] = [r for r in RAW["inspections"] if r["inspection_id"] != "I3"]
    try:
        load_raw(settings, {D1, D2, D3})
    finally:
        RAW["inspections"] = RAW["inspections"] + late
    transform.build(settings, select="+int_entity_profiles")
    before = _profiles(settings)
    # I3 (W4 audited on D2) lands only now, in the D3 batch.
    warehouse = Warehouse(settings)
    part = _frame("inspections", late)
    batch_day = D3 if warehouse.kind == "duckdb" else pd.Timestamp(D3)
    part["_batch_date"], part["_source_file"], part["_line"] = batch_day, "late.csv", 99
    part["_loaded_at"] = pd.Timestamp(datetime(2024, 3, 3))
    existing = warehouse.query_df("select * from raw.inspections where _batch_date = date '2024-03-03'")
    warehouse.replace_partition("raw", "inspections", pd.concat([existing, part], ignore_index=True),
                                {"_batch_date": batch_day})
    transform.build(settings, select="+int_entity_profiles")
    incremental = _profiles(settings)
    assert not incremental.equals(before)
    lane_d3 = ("express", "lane", "express", pd.Timestamp(D3))      # W1 (D1) and now W4 (D2) known before D3
    assert before.loc[lane_d3, "n_inspected"] == 1 and incremental.loc[lane_d3, "n_inspected"] == 2
    transform.build(settings, select="+int_entity_profiles", full_refresh=True)
    pd.testing.assert_frame_equal(incremental, _profiles(settings), check_dtype=False)


# information_schema.columns types (DuckDB) of the SQL types the contracts map to (dbt_sources.SQL_TYPES).
DUCKDB_TYPES = {"varchar": "VARCHAR", "bigint": "BIGINT", "double precision": "DOUBLE", "date": "DATE",
                "timestamp": "TIMESTAMP"}


def _columns(settings, schema: str, table: str) -> dict[str, str]:
    df = Warehouse(settings).query_df(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?"
        " order by ordinal_position", [schema, table])
    return dict(zip(df["column_name"], df["data_type"]))


def _contract_staging_columns(contract) -> dict[str, str]:
    """The columns a staging model must select, in order and typed: the contract's warehouse columns and the lineage pair."""
    fields = {name: next(f for f in contract.fields if f.warehouse_name == name) for name in contract.warehouse_columns}
    columns = {name: dbt_sources.SQL_TYPES[f.warehouse_dtype] for name, f in fields.items()}
    return {**columns, "batch_date": "date", "loaded_at": "timestamp"}


def test_built_columns_follow_the_contracts_and_every_feature_is_described(settings):
    """Staging views select exactly their contract's columns with its types (the casts are generated, not
    written); every feature column (f_*, c_*) the feature marts build has words in its yml, the reason
    texts of the desk, and no yml describes a feature the mart does not build."""
    from core.contracts import QUARANTINE_COLUMNS

    load_raw(settings, {D1})
    transform.build(settings, select="+fct_express_features +fct_cargo_features +fct_traveller_features stg_quarantine")
    expected = {f"stg_{name}": _contract_staging_columns(contract) for name, contract in CONTRACTS.items()}
    expected["stg_quarantine"] = {name: dtype for name, (dtype, _) in QUARANTINE_COLUMNS.items()}
    for model, columns in expected.items():
        built = _columns(settings, "staging", model)
        assert list(built) == list(columns), model
        assert built == {name: DUCKDB_TYPES[sql_type] for name, sql_type in columns.items()}, model

    for lane in ("express", "cargo", "traveller"):
        built = [c for c in _columns(settings, "marts", f"fct_{lane}_features") if c.startswith(("f_", "c_"))]
        texts = feature_texts(lane)
        assert len(built) > 10
        undescribed = [c for c in built if len(texts.get(c, "").split()) < 4]
        assert not undescribed, f"fct_{lane}_features.yml: describe {undescribed}"
        stale = [c for c in texts if c.startswith(("f_", "c_")) and c not in built]
        assert not stale, f"fct_{lane}_features.yml describes columns it does not build: {stale}"


def _profile_history(seed: int = 7) -> dict[str, list[dict]]:
    """Express traffic on ~80 random days over 15 months (a few consignees and sellers, so entities recur
    across every window edge) and inspections recorded on the item's day or up to 40 days later, some
    re-inspected: enough history to make the 30/90/365-day windows and their edges matter."""
    import random

    rng = random.Random(seed)
    first = date(2023, 1, 1)
    days = sorted({first + timedelta(days=rng.randrange(455)) for _ in range(80)})
    shipments, inspections = [], []
    for day in days:
        for _ in range(rng.randint(1, 3)):
            waybill = f"WB{len(shipments) + 1:08d}"
            shipments.append(_shipment(waybill, day, f"C{rng.randint(1, 4)}", f"S{rng.randint(1, 3)}",
                                       hs6=rng.choice(["950300", "330499"])))
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                inspected = day + timedelta(days=rng.choice([0, 1, 29, 30, 31, 40]))
                result = rng.choice(["no_finding", "irregularity", "seizure"])
                inspections.append(_inspection(len(inspections) + 1, inspected, "express", waybill, day,
                                               "rule", result, None if result == "no_finding" else "drugs"))
    return {"shipments": shipments, "inspections": inspections}


def _expected_profiles(settings) -> pd.DataFrame:
    """The profiles computed in pandas from the model's inputs, by brute force: every entity-day against
    every earlier row of the same entity (outcomes strictly before the day; traffic in [d - 365, d - 1])."""
    warehouse = Warehouse(settings)
    keys = ["lane", "entity_type", "entity_value"]
    traffic = warehouse.query_df(
        "select lane, entity_type, entity_value, as_of_date, n_items_on_day from intermediate.int_entity_days"
        " where entity_value is not null")
    outcomes = warehouse.query_df("select * from intermediate.int_entity_outcome_days")
    for frame, column in ((traffic, "as_of_date"), (outcomes, "outcome_date")):
        frame[column] = pd.to_datetime(frame[column])
    rows = []
    for _, day in traffic.iterrows():
        same = (traffic[keys] == day[keys].values).all(axis=1)
        earlier = traffic[same & (traffic.as_of_date < day.as_of_date)
                          & (traffic.as_of_date >= day.as_of_date - pd.Timedelta(days=365))]
        mine = outcomes[(outcomes[keys] == day[keys].values).all(axis=1) & (outcomes.outcome_date < day.as_of_date)]
        row = {**day[[*keys, "as_of_date"]].to_dict(), "n_items_on_day": day.n_items_on_day, "n_prior_items_365d": earlier.n_items_on_day.sum(),
               "n_inspected": mine.n_inspected.sum(), "n_hits": mine.n_hits.sum()}
        for window in (30, 90, 365):
            recent = mine[mine.outcome_date >= day.as_of_date - pd.Timedelta(days=window)]
            row[f"n_inspected_{window}d"], row[f"n_hits_{window}d"] = recent.n_inspected.sum(), recent.n_hits.sum()
        rows.append(row)
    return pd.DataFrame(rows).set_index(PROFILE_KEY).sort_index().astype("int64")


# The way of a short rebuild (from int_entity_traffic_365d) is also what the daily runs of the incremental
# tests above take.
@pytest.mark.parametrize("join_max_days", [0, pytest.param(1000, marks=pytest.mark.slow)],
                         ids=["rebuild-by-windows", "rebuild-from-the-year-of-traffic"])
def test_profile_windows_match_a_brute_force_count_full_and_incremental(settings, join_max_days):
    """The windowed profile counts equal a brute-force pandas count on 15 months of history, after a full
    build and after an incremental run that rebuilds the last two months, by either way a rebuild can take
    (windows that read only the rebuilt entities' rows from 365 days back, or the year of traffic of
    int_entity_traffic_365d less the rebuilt days plus the days that left it), and the incremental and
    full builds agree."""
    vars = {"profile_join_max_days": join_max_days}
    raw = _profile_history()
    cutoff = date(2024, 2, 1)
    batch_days = {r[c] for source, c in (("shipments", "arrival_date"), ("inspections", "inspection_date"))
                  for r in raw[source]}
    load_raw(settings, {d for d in batch_days if d < cutoff}, raw)
    transform.build(settings, select="+int_entity_profiles", vars=vars)
    checked = list(_expected_profiles(settings).columns)
    pd.testing.assert_frame_equal(_profiles(settings)[checked].astype("int64"), _expected_profiles(settings))

    load_raw(settings, {d for d in batch_days if d >= cutoff}, raw)
    transform.build(settings, select="+int_entity_profiles", vars=vars)
    incremental = _profiles(settings)
    expected = _expected_profiles(settings)
    assert (expected.n_inspected_30d < expected.n_inspected_90d).any()       # the windows differ
    assert (expected.n_prior_items_365d < expected.n_items_on_day.groupby(  # 365-day traffic cut bites
        level=PROFILE_KEY[:-1]).cumsum() - expected.n_items_on_day).any()
    pd.testing.assert_frame_equal(incremental[checked].astype("int64"), expected)
    transform.build(settings, select="+int_entity_profiles", full_refresh=True)
    stamp = ["inputs_loaded_at"]        # when the row was built: older for the days the increment kept
    pd.testing.assert_frame_equal(incremental.drop(columns=stamp), _profiles(settings).drop(columns=stamp))


def test_daily_runs_keep_the_year_of_traffic_by_adding_the_days(settings):
    """Run after run, as the daily run goes (and a catch-up of two days after an outage), the profiles of
    the new days take their prior traffic from int_entity_traffic_365d (the year ending on the last day,
    less the entity's days from the day on, plus its days that left the year since), which adds the new
    days instead of counting the year again: both equal a brute-force count and a full refresh."""
    raw = _profile_history()
    cutoff = date(2024, 2, 20)
    batch_days = {r[c] for source, c in (("shipments", "arrival_date"), ("inspections", "inspection_date"))
                  for r in raw[source]}
    traffic_days = {r["arrival_date"] for r in raw["shipments"]}
    new_days = sorted(d for d in traffic_days if d >= cutoff)
    # Traffic on the window's edges of every new day: the days that leave the year as it moves on.
    for n, (last, day) in enumerate(zip([max(traffic_days - set(new_days)), *new_days], new_days)):
        for edge in (last - timedelta(days=364), day - timedelta(days=365)):
            raw["shipments"].append(_shipment(f"WBEDGE{n:02d}{edge:%m%d}", edge, "C1", "S1", hs6="950300"))
            batch_days.add(edge)
    load_raw(settings, {d for d in batch_days if d < cutoff}, raw)
    transform.build(settings, select="+int_entity_profiles")
    compiled = settings.dbt_target_dir / "compiled" / "customs_risk" / "models" / "intermediate"
    later = sorted(d for d in batch_days if d >= cutoff)
    runs = [[d for d in later if d <= new_days[1]]] + [[d] for d in later if d > new_days[1]]
    assert len({d for d in runs[0] if d in traffic_days}) == 2
    runs_adding_days = 0
    for days in runs:
        load_raw(settings, set(days), raw)
        transform.build(settings, select="+int_entity_profiles")
        if traffic_days & set(days):
            runs_adding_days += 1
            assert "left_days" in (compiled / "int_entity_profiles.sql").read_text(), days
            assert "changes as" in (compiled / "int_entity_traffic_365d.sql").read_text(), days
    assert runs_adding_days >= 3
    checked = list(_expected_profiles(settings).columns)
    incremental = _profiles(settings)
    pd.testing.assert_frame_equal(incremental[checked].astype("int64"), _expected_profiles(settings))

    warehouse = Warehouse(settings)
    last_day = warehouse.query_df("select max(as_of_date) as d from intermediate.int_entity_days").iloc[0, 0]
    year = ("select lane, entity_type, entity_value, sum(n_items_on_day) as n_items_365d"
            " from intermediate.int_entity_days where entity_value is not null"
            f" and as_of_date > date '{last_day}' - interval 365 day group by all order by all")
    kept = ("select lane, entity_type, entity_value, n_items_365d from intermediate.int_entity_traffic_365d"
            " order by all")
    pd.testing.assert_frame_equal(warehouse.query_df(kept), warehouse.query_df(year))
    transform.build(settings, select="+int_entity_profiles", full_refresh=True)
    stamp = ["inputs_loaded_at"]
    pd.testing.assert_frame_equal(incremental.drop(columns=stamp), _profiles(settings).drop(columns=stamp))
