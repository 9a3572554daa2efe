"""The warehouse build after hostile input (issue 11): whatever one class of damage did to a day of every
source, the next `dbt build` (models and their data tests: not_null dates, unique keys, ...) passes.

One build per class is marked slow (each is a full dbt build, ~30 s here); the unmarked test throws
every row-level damage at every source in one day and builds once.
"""
from __future__ import annotations

import datetime as dt

import pytest

import hostile_files as hf
from core.contracts import CONTRACTS
from core.warehouse import Warehouse
from customs_risk.cli import main
from customs_risk.stages import transform
from ingest.load import load_day
from simworld.simulator import simulate_day

SOURCES = list(CONTRACTS)
DAY = dt.date(2026, 3, 4)
YESTERDAY = DAY - dt.timedelta(days=1)
SCALE = 0.01


@pytest.fixture
def two_days(settings, monkeypatch):
    """Yesterday simulated and loaded for every source; today simulated, its files returned."""
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    simulate_day(YESTERDAY, settings, scale=SCALE)
    for source in SOURCES:
        load_day(source, YESTERDAY, settings)
    return simulate_day(DAY, settings, scale=SCALE)


def _edit(path, source, damage) -> None:
    contract = CONTRACTS[source]
    records = hf.read_records(path, contract)
    damage(records, contract, source)
    hf.write_records(path, contract, records)


def _dates(path, source, settings):
    _edit(path, source, lambda r, c, s: hf.impossible_dates(r, c))


def _numbers(path, source, settings):
    _edit(path, source, lambda r, c, s: hf.out_of_range_numbers(r, c))


def _ids(path, source, settings):
    yesterday = settings.landing_dir / source / YESTERDAY.isoformat() / CONTRACTS[source].file_name
    _edit(path, source, lambda r, c, s: hf.repeated_ids(r, c, hf.read_records(yesterday, c)))


def _encodings(path, source, settings):
    contract = CONTRACTS[source]
    if source == "shipments":
        hf.latin1(path, contract)
        return
    records = hf.read_records(path, contract)
    hf.korean_text(records, contract)
    hf.write_records(path, contract, records, encoding="euc-kr")
    if source == "travellers":
        hf.with_bom(path)


def _truncated(path, source, settings):
    hf.cut_mid_row(path) if source in ("shipments", "cctv_events") else hf.last_row_short(path)


ROW_DAMAGE = {"impossible_dates": _dates, "out_of_range_numbers": _numbers, "repeated_ids": _ids,
              "encodings": _encodings}
FILE_DAMAGE = {"truncated": _truncated}


def _ingest_today(settings) -> int:
    return main(["ingest", "--date", str(DAY)])


def _assert_build_passes(settings) -> None:
    transform(settings=settings)
    warehouse = Warehouse(settings)
    for source in ("shipments", "inspections"):
        key = CONTRACTS[source].key
        dupes = warehouse.query_df(f"select {key} from staging.stg_{source} group by 1 having count(*) > 1")
        assert dupes.empty, source


def test_build_passes_after_every_row_damage_at_once(settings, two_days):
    for source, path in two_days.items():
        for name in ("impossible_dates", "repeated_ids"):
            ROW_DAMAGE[name](path, source, settings)
    _numbers(two_days["travellers"], "travellers", settings)
    assert _ingest_today(settings) == 0
    _assert_build_passes(settings)


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(ROW_DAMAGE) + list(FILE_DAMAGE))
def test_build_passes_after_each_class_of_damage(settings, two_days, damage):
    for source, path in two_days.items():
        {**ROW_DAMAGE, **FILE_DAMAGE}[damage](path, source, settings)
    expect_refusal = damage in FILE_DAMAGE or damage == "encodings"
    assert _ingest_today(settings) == (1 if expect_refusal else 0)
    _assert_build_passes(settings)


@pytest.mark.slow
def test_build_passes_after_a_refused_source_and_two_loads_at_once(settings, two_days):
    """Classes 5 and 7: the CLI went on past a refused source; two processes loaded at once."""
    import os
    import subprocess
    import sys

    hf.cut_mid_row(two_days["declarations"])
    tomorrow = DAY + dt.timedelta(days=1)
    simulate_day(tomorrow, settings, scale=SCALE)
    env = {**os.environ, "CUSTOMS_RISK_HOME": str(settings.home)}
    runs = [subprocess.Popen([sys.executable, "-m", "customs_risk.cli", "ingest", "--date", str(day)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for day in (DAY, tomorrow)]
    codes = [run.wait(timeout=300) for run in runs]
    assert codes == [1, 0]
    _assert_build_passes(settings)


@pytest.mark.slow
def test_build_passes_after_bad_settings_refused_the_load(settings, two_days, monkeypatch):
    """Class 8: a bad setting and the demo key stop the load before any write; the build still passes."""
    monkeypatch.setenv("CUSTOMS_RISK_EXPLORATION_SHARE", "2")
    assert _ingest_today(settings) == 1
    monkeypatch.delenv("CUSTOMS_RISK_EXPLORATION_SHARE")
    monkeypatch.delenv("CUSTOMS_RISK_ALLOW_DEMO_KEY")
    assert _ingest_today(settings) == 1
    assert Warehouse(settings).query_df("select count(*) as n from raw.shipments where _batch_date = ?",
                                        [DAY])["n"].iloc[0] == 0
    _assert_build_passes(settings)
