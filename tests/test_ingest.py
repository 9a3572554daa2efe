"""The ingest stage on real files: clean days load whole, bad input is quarantined or rejected with a
message naming file, line and column, and nothing already loaded changes or disappears."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from core.warehouse import Warehouse
from core.contracts import CONTRACTS
from ingest.load import load_day
from ingest.pseudonymise import DemoKeyRefused
from ingest.readers import BatchRejected
from simworld.simulator import simulate_day

DAY = dt.date(2026, 3, 2)
SCALE = 0.002


@pytest.fixture
def day_files(settings, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    return simulate_day(DAY, settings, scale=SCALE)


def rows(settings, table: str, where: str = "true") -> pd.DataFrame:
    return Warehouse(settings).query_df(f"select * from {table} where {where}")


def rewrite(path, transform) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(transform(lines)) + "\n", encoding="utf-8")


def test_clean_day_loads_every_source_without_quarantine(settings, day_files):
    for source, path in day_files.items():
        report = load_day(source, DAY, settings)
        n_rows = sum(1 for line in path.read_text().splitlines()[(1 if path.suffix == ".csv" else 0):] if line)
        assert report.rows_loaded == n_rows > 0, report.summary()
        assert report.rows_quarantined == 0, report.summary()
        loaded = rows(settings, f"raw.{source}")
        assert list(loaded.columns[: len(CONTRACTS[source].warehouse_columns)]) == CONTRACTS[source].warehouse_columns


def test_rerunning_a_day_changes_nothing(settings, day_files):
    load_day("shipments", DAY, settings)
    first = rows(settings, "raw.shipments").drop(columns="_loaded_at").sort_values("waybill_id", ignore_index=True)
    load_day("shipments", DAY, settings)
    second = rows(settings, "raw.shipments").drop(columns="_loaded_at").sort_values("waybill_id", ignore_index=True)
    pd.testing.assert_frame_equal(first, second)


def test_personal_identifiers_never_reach_the_warehouse(settings, day_files):
    for source in CONTRACTS:
        load_day(source, DAY, settings)
    planted = set()
    for source, path in day_files.items():
        contract = CONTRACTS[source]
        frame = (pd.read_json(path, lines=True, dtype=False) if contract.fmt == "jsonl"
                 else pd.read_csv(path, dtype=str))
        for field in contract.fields:
            if field.pseudonym_as:
                planted |= set(frame[field.name].dropna().astype(str))
    assert planted
    warehouse = Warehouse(settings)
    tables = warehouse.query_df("select table_schema, table_name from information_schema.tables")
    for schema, table in tables.itertuples(index=False):
        frame = warehouse.query_df(f'select * from "{schema}"."{table}"')
        text = set(frame.astype(str).to_numpy().ravel())
        assert not (planted & text), f"raw identifier found in {schema}.{table}"
        blob = " ".join(map(str, frame.to_numpy().ravel()))
        assert not any(p in blob for p in list(planted)[:200]), f"raw identifier inside a value of {schema}.{table}"


def test_demo_key_is_refused_outside_the_demo(settings, day_files, monkeypatch):
    monkeypatch.delenv("CUSTOMS_RISK_ALLOW_DEMO_KEY")
    with pytest.raises(DemoKeyRefused, match="CUSTOMS_RISK_PSEUDONYM_KEY"):
        load_day("shipments", DAY, settings)


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_load(settings, day_files):
    path = day_files["shipments"]

    def corrupt(lines):
        header = lines[0].split(",")
        weight, day, key, qty = (header.index(c) for c in ("weight_kg", "arrival_date", "waybill_id", "quantity"))
        row2, row3, row4 = lines[2].split(","), lines[3].split(","), lines[4].split(",")
        row2[weight] = "-1.5"                     # negative mass
        row3[day] = "2026-03-09"                  # a future date / the wrong day
        row4[qty] = "three"                       # wrong type
        lines[2], lines[3], lines[4] = ",".join(row2), ",".join(row3), ",".join(row4)
        dup = lines[5].split(",")
        dup[weight] = "9.9"
        # A short line inside the file is a bad row; a short *last* line is a truncated file (test_hostile_input).
        lines.append("TRUNCATED123,2026-03-02,IEX")                                        # short line
        lines.append(",".join(dup[:key] + [lines[5].split(",")[key]] + dup[key + 1:]))  # duplicate id
        return lines

    rewrite(path, corrupt)
    report = load_day("shipments", DAY, settings)
    quarantine = rows(settings, "raw.quarantine").set_index("line")
    assert "weight_kg" in quarantine.loc[3, "reason"] and "between" in quarantine.loc[3, "reason"]
    assert "arrival_date" in quarantine.loc[4, "reason"]
    assert "quantity" in quarantine.loc[5, "reason"]
    last = len(path.read_text().splitlines())
    assert 6 not in quarantine.index                       # the first copy of the duplicated id loads
    assert "waybill_id: duplicate key (first: line 6 of" in quarantine.loc[last, "reason"]
    assert "fields" in quarantine.loc[last - 1, "reason"]
    assert report.rows_quarantined == 5
    n_data = len(path.read_text().splitlines()) - 1
    assert report.rows_loaded == n_data - 5
    assert json.loads(quarantine.loc[3, "raw_values"])["weight_kg"] == "-1.5"


def test_broken_json_line_is_quarantined(settings, day_files):
    path = day_files["cctv_events"]
    rewrite(path, lambda lines: lines[:3] + ['{"event_id": "E0000001", "zone": '] + lines[3:])
    report = load_day("cctv_events", DAY, settings)
    quarantine = rows(settings, "raw.quarantine")
    assert quarantine["line"].tolist() == [4]
    assert "not valid JSON" in quarantine["reason"].iloc[0]
    assert report.rows_loaded == len(path.read_text().splitlines()) - 1


@pytest.mark.parametrize("case, expected", [
    ("missing_column", r"shipments\.csv: line 1: missing columns \['weight_kg'\]"),
    ("extra_column", r"unexpected columns \['colour'\]"),
    ("wrong_delimiter", r"wrong delimiter"),
    ("no_header", r"header line missing"),
    ("empty", r"empty file"),
    ("header_only", r"no data rows"),
    ("all_bad", r"fail the contract"),
])
def test_broken_batches_are_rejected_and_previous_state_stays(settings, day_files, case, expected):
    path = day_files["shipments"]
    load_day("shipments", DAY, settings)
    before = rows(settings, "raw.shipments")

    def drop_column(lines, name="weight_kg"):
        index = lines[0].split(",").index(name)
        return [",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines]

    breakers = {
        "missing_column": drop_column,
        "extra_column": lambda lines: [lines[0] + ",colour"] + [line + ",red" for line in lines[1:]],
        "wrong_delimiter": lambda lines: [line.replace(",", ";") for line in lines],
        "no_header": lambda lines: lines[1:],
        "empty": None,
        "header_only": lambda lines: lines[:1],
        "all_bad": lambda lines: [lines[0]] + [line.replace(",2026-03-02,", ",2025-01-01,") for line in lines[1:]],
    }
    if breakers[case] is None:
        path.write_text("")
    else:
        rewrite(path, breakers[case])
    with pytest.raises(BatchRejected, match=expected):
        load_day("shipments", DAY, settings)
    pd.testing.assert_frame_equal(before, rows(settings, "raw.shipments"))


def test_korean_text_in_euc_kr_loads_like_utf8(settings, day_files):
    path = day_files["shipments"]
    text = path.read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    fields = first.split(",")
    fields[header.split(",").index("item_description")] = "건조 오징어"   # dried squid
    path.write_bytes("\n".join([header, ",".join(fields), *rest]).encode("euc-kr") + b"\n")
    report = load_day("shipments", DAY, settings)
    assert report.rows_quarantined == 0
    assert "건조 오징어" in set(rows(settings, "raw.shipments")["item_description"])


def test_failure_mid_load_keeps_the_previous_partition(settings, day_files, monkeypatch):
    import ingest.load as load

    load_day("shipments", DAY, settings)
    before = rows(settings, "raw.shipments")
    real_quarantine_rows = load._quarantine_rows

    def quarantine_that_cannot_be_written(*args, **kwargs):
        # The day's good rows are deleted and re-inserted first; this second write then fails.
        return real_quarantine_rows(*args, **kwargs).assign(no_such_column=1)

    with monkeypatch.context() as patched:
        patched.setattr(load, "_quarantine_rows", quarantine_that_cannot_be_written)
        with pytest.raises(Exception, match="no_such_column"):
            load_day("shipments", DAY, settings)
    pd.testing.assert_frame_equal(before, rows(settings, "raw.shipments"))
    load_day("shipments", DAY, settings)
    assert len(rows(settings, "raw.shipments")) == len(before)


def test_no_landing_files_is_a_clear_error(settings, monkeypatch):
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    with pytest.raises(BatchRejected, match=r"no landing files for travellers on 2026-03-02"):
        load_day("travellers", DAY, settings)


# --- batch-level expectations: the day against the source's own history --------------------------------

def _simulate_and_load(settings, day, source="shipments"):
    simulate_day(day, settings, scale=SCALE)
    return load_day(source, day, settings)


def test_volume_collapse_rejects_the_day_and_other_sources_still_load(settings, day_files):
    for weeks in (2, 1):                       # two loaded Mondays of history
        _simulate_and_load(settings, DAY - dt.timedelta(weeks=weeks))
    path = day_files["shipments"]
    rewrite(path, lambda lines: lines[: max(2, len(lines) // 10)])   # a tenth of the usual volume
    with pytest.raises(BatchRejected, match=r"shipments 2026-03-02 .*row count \d+ outside 0.3x-3.0x"):
        load_day("shipments", DAY, settings)
    assert rows(settings, "raw.shipments", "_batch_date = DATE '2026-03-02'").empty
    assert load_day("travellers", DAY, settings).rows_loaded > 0      # other sources are not affected


def test_volume_band_is_skipped_without_history(settings, day_files):
    rewrite(day_files["shipments"], lambda lines: lines[:30])
    assert load_day("shipments", DAY, settings).rows_loaded == 29


def test_null_share_jump_rejects_the_day(settings, day_files):
    _simulate_and_load(settings, DAY - dt.timedelta(days=1))
    path = day_files["shipments"]

    def blank_platform(lines):
        index = lines[0].split(",").index("platform")
        out = [lines[0]]
        for i, line in enumerate(lines[1:]):
            fields = line.split(",")
            if i % 5 < 2:                          # 40 % empty: under the 50 % quarantine limit
                fields[index] = ""
            out.append(",".join(fields))
        return out

    rewrite(path, blank_platform)
    with pytest.raises(BatchRejected, match=r"platform: 40% empty, usually 0%"):
        load_day("shipments", DAY, settings)


def test_marked_origin_must_name_a_country(settings, day_files):
    path = day_files["declarations"]

    def unknown_origin(lines):
        header = lines[0].split(",")
        origin, indicator = header.index("origin_country"), header.index("origin_indicator")
        first, second = lines[1].split(","), lines[2].split(",")
        first[origin], first[indicator] = "ZZ", "G"      # marked, but no country: quarantined
        second[origin], second[indicator] = "ZZ", "N"    # unmarked: the rule does not apply
        lines[1], lines[2] = ",".join(first), ",".join(second)
        return lines

    rewrite(path, unknown_origin)
    report = load_day("declarations", DAY, settings)
    quarantine = rows(settings, "raw.quarantine")
    assert quarantine["line"].tolist() == [2]
    assert "origin_country" in quarantine["reason"].iloc[0] and "origin_indicator" in quarantine["reason"].iloc[0]
    assert report.rows_quarantined == 1


def test_reordered_header_loads_the_same_rows(settings, day_files):
    load_day("shipments", DAY, settings)
    expected = rows(settings, "raw.shipments").drop(columns="_loaded_at").sort_values("waybill_id", ignore_index=True)
    path = day_files["shipments"]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[list(reversed(frame.columns))].to_csv(path, index=False)
    report = load_day("shipments", DAY, settings)
    assert report.rows_quarantined == 0
    got = rows(settings, "raw.shipments").drop(columns="_loaded_at").sort_values("waybill_id", ignore_index=True)
    pd.testing.assert_frame_equal(expected, got)


def test_json_line_that_is_not_an_object_is_quarantined(settings, day_files):
    path = day_files["cctv_events"]
    rewrite(path, lambda lines: lines[:1] + ['["E1", "2026-03-02T10:00:00"]'] + lines[1:])
    load_day("cctv_events", DAY, settings)
    quarantine = rows(settings, "raw.quarantine")
    assert quarantine["line"].tolist() == [2]
    assert "not an object" in quarantine["reason"].iloc[0]
