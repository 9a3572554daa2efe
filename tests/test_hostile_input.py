"""Hostile input (issue 11): every landing file either loads truthfully or is refused with its reason.

Each class of damage a real feed does is thrown at each of the five sources, built from a simulated day
(scale 0.01, seeded): a refused file is named with its reason in one line and loads nothing; a bad row
goes to raw.quarantine with its reason (strict JSON raw values) while the good rows load; the day
before, loaded first, is untouched. The warehouse build after the damage is tested per class below.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

import hostile_files as hf
from core.contracts import CONTRACTS
from core.settings import SettingsError, get_settings
from core.warehouse import Warehouse
from expectations.context import data_docs_index
from customs_risk.cli import main
from ingest.load import load_day
from ingest.lock import WarehouseBusy, warehouse_lock
from ingest.pseudonymise import DemoKeyRefused, pseudonym
from ingest.readers import BatchRejected
from simworld.simulator import simulate_day

SOURCES = list(CONTRACTS)


def each_source(rotation: int) -> list:
    """Every source, one of them (turn by turn across the classes) in the default run and the rest marked
    slow: the default run still meets every class and every source, ``make test-all`` the whole matrix."""
    fast = SOURCES[rotation % len(SOURCES)]
    return [pytest.param(s, marks=() if s == fast else pytest.mark.slow) for s in SOURCES]


DAY = dt.date(2026, 3, 4)
YESTERDAY = DAY - dt.timedelta(days=1)
SCALE = 0.01


@pytest.fixture
def home(settings, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    return settings


def simulate(settings, day: dt.date) -> dict:
    return simulate_day(day, settings, scale=SCALE)


def table(settings, source: str, day: dt.date) -> pd.DataFrame:
    return Warehouse(settings).query_df(f'select * from raw."{source}" where _batch_date = ?', [day])


def quarantine(settings, source: str, day: dt.date) -> pd.DataFrame:
    frame = Warehouse(settings).query_df(
        "select * from raw.quarantine where source = ? and batch_date = ? order by line", [source, day])
    for text in frame["raw_values"]:
        json.loads(text, parse_constant=_not_strict_json)
    return frame


def _not_strict_json(name: str):
    raise AssertionError(f"quarantine raw_values holds {name}, which strict JSON readers reject")


@pytest.fixture
def yesterday(home, source):
    """The source's previous day, loaded; ``untouched()`` asserts it is still as it was."""
    files = simulate(home, YESTERDAY)
    load_day(source, YESTERDAY, home)
    before = table(home, source, YESTERDAY), quarantine(home, source, YESTERDAY)

    class Yesterday:
        paths = files

        @staticmethod
        def untouched():
            pd.testing.assert_frame_equal(before[0], table(home, source, YESTERDAY))
            pd.testing.assert_frame_equal(before[1], quarantine(home, source, YESTERDAY))
    return Yesterday


def assert_refused(exc: pytest.ExceptionInfo, path, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and str(path) in message, message
    for word in words:
        assert word in message, message


def assert_rows_quarantined(settings, source, path, bad: dict[int, str], n_records: int, reason: str) -> None:
    """Records ``bad`` (index -> column) are quarantined naming the column and ``reason``; the rest load."""
    q = quarantine(settings, source, DAY)
    assert q["line"].tolist() == sorted(i + 2 if path.suffix == ".csv" else i + 1 for i in bad)
    for text, column in zip(q["reason"], [bad[i] for i in sorted(bad)]):
        assert column in text and reason in text, text
    assert len(table(settings, source, DAY)) == n_records - len(bad)


# --- 1. impossible dates --------------------------------------------------------------------------------

def load_damaged(settings, source: str, damage, *extra):
    """Today's file of ``source`` with ``damage`` done to its records, loaded; (contract, path, records, bad)."""
    contract, path = CONTRACTS[source], simulate(settings, DAY)[source]
    records = hf.read_records(path, contract)
    bad = damage(records, contract, *extra)
    hf.write_records(path, contract, records)
    load_day(source, DAY, settings)
    return contract, path, records, bad


@pytest.mark.parametrize("source", each_source(0))
def test_impossible_dates_are_quarantined_and_the_rest_loads(home, yesterday, source):
    contract, path, records, bad = load_damaged(home, source, hf.impossible_dates)
    kind = contract.field(contract.day_column).dtype
    assert_rows_quarantined(home, source, path, bad, len(records), f"not a valid {kind}")
    assert table(home, source, DAY)[contract.day_column].notna().all()
    yesterday.untouched()


# --- 2. ids repeated from another day, and within a file --------------------------------------------------

@pytest.mark.parametrize("source", each_source(1))
def test_repeated_ids_keep_the_first_copy_and_quarantine_the_rest(home, yesterday, source):
    yesterdays = hf.read_records(yesterday.paths[source], CONTRACTS[source])
    contract, path, records, bad = load_damaged(home, source, hf.repeated_ids, yesterdays)
    assert_rows_quarantined(home, source, path, bad, len(records), "duplicate key")
    reasons = quarantine(home, source, DAY)["reason"].tolist()
    assert f"loaded for {YESTERDAY}" in reasons[0]
    first_line = 4 if path.suffix == ".csv" else 3            # record 2, where the copied id first came
    assert f"first: line {first_line} of {path}" in reasons[1]
    loaded = table(home, source, DAY)
    assert loaded[contract.key].is_unique and records[2][contract.key] in set(loaded[contract.key])
    yesterday.untouched()
    load_day(source, YESTERDAY, home)                           # a rerun is no duplicate of itself
    assert quarantine(home, source, YESTERDAY).empty
    assert len(table(home, source, YESTERDAY)) == len(hf.read_records(yesterday.paths[source], contract))


# --- 3. truncated files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", each_source(2))
@pytest.mark.parametrize("damage, words", [
    ("cut_mid_row", ("final newline", "truncated")),
    ("last_row_short", ("last line", "truncated")),
])
def test_truncated_file_is_refused_whole(home, yesterday, source, damage, words):
    path = simulate(home, DAY)[source]
    getattr(hf, damage)(path)
    with pytest.raises(BatchRejected) as exc:
        load_day(source, DAY, home)
    assert_refused(exc, path, *words)
    assert table(home, source, DAY).empty and quarantine(home, source, DAY).empty
    yesterday.untouched()


@pytest.mark.parametrize("source", each_source(3))
def test_day_far_below_recent_days_is_refused_unless_accepted_short(home, yesterday, source):
    simulate(home, YESTERDAY - dt.timedelta(days=1))
    load_day(source, YESTERDAY - dt.timedelta(days=1), home)
    contract, path = CONTRACTS[source], simulate(home, DAY)[source]
    hf.far_below_recent_days(path, contract)
    with pytest.raises(BatchRejected) as exc:
        load_day(source, DAY, home)
    assert_refused(exc, path, "row count", "--accept-short")
    assert table(home, source, DAY).empty
    yesterday.untouched()
    report = load_day(source, DAY, home, check_volume=False)    # what --accept-short does
    assert report.rows_loaded == len(hf.read_records(path, contract))


# --- 4. numbers out of range ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source", each_source(4))
def test_out_of_range_numbers_are_quarantined_and_the_rest_loads(home, yesterday, source):
    contract, path, records, bad = load_damaged(home, source, hf.out_of_range_numbers)
    assert_rows_quarantined(home, source, path, bad, len(records), "expect_column_values_to_be_between")
    loaded = table(home, source, DAY)
    for column in hf.numeric_fields(contract):
        assert all(math.isfinite(v) for v in loaded[column].dropna()), column
    yesterday.untouched()


# --- 5. one refused source does not stop the others -------------------------------------------------------------

@pytest.mark.parametrize("source", each_source(5))
def test_cli_loads_every_other_source_then_exits_non_zero(home, source, capsys):
    refused = simulate(home, DAY)[source]
    hf.cut_mid_row(refused)
    code = main(["ingest", "--date", str(DAY)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and str(refused) in err[0] and "truncated" in err[0], err
    for other in SOURCES:
        assert table(home, other, DAY).empty == (other == source), other


def test_cli_goes_on_through_every_day_and_lists_every_refusal(home, capsys):
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    paths = [simulate(home, day)["shipments"] for day in days]
    hf.last_row_short(paths[0])
    hf.latin1(paths[1], CONTRACTS["shipments"])
    assert main(["ingest", "--source", "shipments", "--date", str(days[0]), "--to", str(days[-1])]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and str(paths[0]) in err[0] and str(paths[1]) in err[1], err
    assert "2 of 3 source days refused" in err[1]
    assert [table(home, "shipments", day).empty for day in days] == [True, True, False]


# --- 6. encodings ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", each_source(6))
def test_encodings_utf8_bom_and_euc_kr_read_anything_else_refused(home, yesterday, source):
    contract, path = CONTRACTS[source], simulate(home, DAY)[source]
    original = path.read_bytes()
    load_day(source, DAY, home)
    plain = table(home, source, DAY).drop(columns="_loaded_at")

    hf.with_bom(path)
    assert load_day(source, DAY, home).rows_quarantined == 0
    pd.testing.assert_frame_equal(plain, table(home, source, DAY).drop(columns="_loaded_at"))

    path.write_bytes(original)
    hf.latin1(path, contract)
    with pytest.raises(BatchRejected) as exc:
        load_day(source, DAY, home)
    assert_refused(exc, path, "UTF-8")
    pd.testing.assert_frame_equal(plain, table(home, source, DAY).drop(columns="_loaded_at"))

    path.write_bytes(original)
    records = hf.read_records(path, contract)
    column = hf.korean_text(records, contract)
    hf.write_records(path, contract, records, encoding="euc-kr")
    load_day(source, DAY, home)
    assert _stored_text(home, source, contract.field(column)) == hf.KOREAN_TEXT
    yesterday.untouched()


def _stored_text(settings, source, field) -> str:
    """The Korean value as the warehouse holds it: loaded, pseudonymised, or in a quarantined row."""
    rows = table(settings, source, DAY)
    if field.pseudonym_as:
        wanted = pseudonym(hf.KOREAN_TEXT, settings.pseudonym_key)
        return hf.KOREAN_TEXT if wanted in set(rows[field.pseudonym_as]) else "missing"
    if hf.KOREAN_TEXT in set(rows[field.name]):
        return hf.KOREAN_TEXT
    (value,) = [json.loads(v)[field.name] for v in quarantine(settings, source, DAY)["raw_values"]]
    return value


# --- 7. two loads at once -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", each_source(7))
def test_a_second_load_waits_for_the_first_or_says_who_holds_it(home, yesterday, source):
    path = simulate(home, DAY)[source]
    held, release = threading.Event(), threading.Event()

    def first_load():
        with warehouse_lock(home, "a first load"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=first_load)
    holder.start()
    held.wait(10)
    with pytest.raises(WarehouseBusy, match=r"another load holds the warehouse \(pid \d+: a first load"):
        load_day(source, DAY, dataclasses.replace(home, lock_timeout_s=0.3))
    assert table(home, source, DAY).empty
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    report = load_day(source, DAY, home)
    assert time.monotonic() - started >= 0.9 and report.rows_loaded == len(hf.read_records(path, CONTRACTS[source]))
    holder.join()
    yesterday.untouched()


def test_two_ingest_processes_at_once_both_load(home):
    """Two real processes, each validating with its own GE context: no shared GE state to trip over."""
    simulate(home, DAY)
    sources = ("shipments", "travellers")
    runs = [subprocess.Popen([sys.executable, "-m", "customs_risk.cli", "ingest", "--source", source,
                              "--date", str(DAY)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for source in sources]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    for source in sources:
        assert len(table(home, source, DAY)) == len(hf.read_records(home.landing_dir / source / str(DAY) /
                                                                    CONTRACTS[source].file_name, CONTRACTS[source]))
    docs = data_docs_index(home.gx_dir).read_text()
    assert all(f"{source}_contract" in docs for source in sources)


# --- 8. settings, the demo key, strict JSON in quarantine ---------------------------------------------------------

@pytest.mark.parametrize("source", each_source(8))
def test_demo_key_is_refused_before_anything_is_written(home, source, monkeypatch):
    simulate(home, DAY)
    monkeypatch.delenv("CUSTOMS_RISK_ALLOW_DEMO_KEY")
    with pytest.raises(DemoKeyRefused, match="CUSTOMS_RISK_PSEUDONYM_KEY"):
        load_day(source, DAY, home)
    assert not home.duckdb_path.exists()
    assert main(["ingest", "--date", str(DAY)]) == 1
    assert not home.duckdb_path.exists()


@pytest.mark.parametrize("source", each_source(9))
def test_quarantined_raw_values_are_strict_json_with_nulls(home, source):
    def blank_and_misdate(records, contract):
        records[0][optional[0]] = None if contract.fmt == "jsonl" else ""
        return hf.impossible_dates(records, contract)

    optional = [f.name for f in CONTRACTS[source].fields if not f.required] or [hf.text_field(CONTRACTS[source])]
    contract, *_ = load_damaged(home, source, blank_and_misdate)
    values = json.loads(quarantine(home, source, DAY)["raw_values"].iloc[0], parse_constant=_not_strict_json)
    assert values.get(optional[0]) is None or contract.field(optional[0]).pseudonym_as


@pytest.mark.parametrize("variable, value, allowed", [
    ("CUSTOMS_RISK_CAPACITY_EXPRESS", "-0.5", "[0, 1]"),
    ("CUSTOMS_RISK_CAPACITY_CARGO", "nan", "[0, 1]"),
    ("CUSTOMS_RISK_CAPACITY_TRAVELLER", "5", "CUSTOMS_RISK_CAPACITY_TRAVELLER_<OFFICE>"),
    ("CUSTOMS_RISK_CAPACITY_EXPRESS", "abc", "[0, 1]"),
    ("CUSTOMS_RISK_CAPACITY_EXPRESS_IEX", "-3", "whole count"),
    ("CUSTOMS_RISK_CAPACITY_EXPRESS_IEX", "1.5", "share in [0, 1]"),
    ("CUSTOMS_RISK_EXPLORATION_SHARE", "2", "[0, 1]"),
    ("CUSTOMS_RISK_SEED", "-1", ">= 0"),
    ("CUSTOMS_RISK_LANES", "express,boats", "cargo, express, traveller"),
    ("CUSTOMS_RISK_WAREHOUSE_URL", "mysql://db/x", "duckdb:///PATH or postgresql://"),
    ("CUSTOMS_RISK_MLFLOW_TRACKING_URI", "not a uri", "sqlite:///PATH"),
    ("CUSTOMS_RISK_LOCK_TIMEOUT_S", "inf", "seconds >= 0"),
])
def test_bad_setting_names_the_variable_and_its_range(settings, monkeypatch, capsys, variable, value, allowed):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as exc:
        get_settings()
    assert variable in str(exc.value) and allowed in str(exc.value)
    assert main(["ingest", "--date", str(DAY)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert variable in line and "Traceback" not in line


def test_good_settings_keep_their_values(settings, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS", "0.02")
    monkeypatch.setenv("CUSTOMS_RISK_CAPACITY_EXPRESS_IEX", "50")
    monkeypatch.setenv("CUSTOMS_RISK_EXPLORATION_SHARE", "0")
    monkeypatch.setenv("CUSTOMS_RISK_LANES", "express, cargo")
    s = get_settings()
    assert s.capacity_share["express"] == 0.02 and s.office_capacity == {"express": {"IEX": 50}}
    assert s.exploration_share == 0.0 and s.lanes == ("express", "cargo")
