"""The simulator is the ground every other stage stands on: these tests pin what the ingest stage
(contracts), the models (planted, learnable risk) and the evaluation (truth, selection bias) rely on."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from core.contracts import CONTRACTS, INSPECTIONS
from simworld.simulator import (DEFAULT_SCALE, FULL_DAY_VOLUMES, answer_inspections, simulate_day, simulate_days,
                              truth_path)
from simworld.simulator.config import AUDIT_SHARE, MISS_RATE, RULE_SHARE

DAY = dt.date(2026, 3, 2)
SCALE = 0.003


def read_text(path, contract) -> pd.DataFrame:
    """The file as the ingest stage sees it: raw text, missing values as None."""
    if contract.fmt == "jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        frame = pd.DataFrame.from_records(records, columns=contract.columns)
        return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.astype(object).where(frame != "", None)


def contract_violations(frame: pd.DataFrame, contract, day: dt.date) -> list[str]:
    problems = []
    for f in contract.fields:
        values = frame[f.name]
        present = values.dropna()
        if f.required and len(present) < len(values):
            problems.append(f"{f.name}: {len(values) - len(present)} missing")
        for pattern in f.raw_patterns():
            bad = present[~present.str.fullmatch(pattern)]
            if len(bad):
                problems.append(f"{f.name}: {bad.iloc[0]!r} does not match {pattern}")
        if f.allowed is not None:
            bad = present[~present.isin(f.allowed)]
            if len(bad):
                problems.append(f"{f.name}: {bad.iloc[0]!r} not allowed")
        if f.min_value is not None and len(present) and pd.to_numeric(present).min() < f.min_value:
            problems.append(f"{f.name}: below {f.min_value}")
        if f.max_value is not None and len(present) and pd.to_numeric(present).max() > f.max_value:
            problems.append(f"{f.name}: above {f.max_value}")
    if not frame[contract.day_column].str.startswith(day.isoformat()).all():
        problems.append(f"{contract.day_column}: rows off the file's day")
    return problems


@pytest.fixture
def three_days(settings):
    return simulate_days(DAY, 3, settings, scale=SCALE)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(settings, tmp_path):
    twin = dataclasses.replace(settings, home=tmp_path / "twin")
    other = dataclasses.replace(settings, home=tmp_path / "other", seed=settings.seed + 1)
    first, second, third = (simulate_day(DAY, s, scale=SCALE) for s in (settings, twin, other))
    assert set(first) == set(CONTRACTS)
    for source in first:
        assert first[source].read_bytes() == second[source].read_bytes(), source
        assert first[source].read_bytes() != third[source].read_bytes(), source
    assert truth_path(settings, DAY).read_bytes() == truth_path(twin, DAY).read_bytes()


def test_files_sit_where_the_ingest_stage_looks_and_headers_follow_the_contract(settings):
    written = simulate_day(DAY, settings, scale=SCALE)
    for source, path in written.items():
        contract = CONTRACTS[source]
        assert path == settings.landing_dir / source / DAY.isoformat() / contract.file_name
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) > 1, source
        if contract.fmt == "csv":
            assert lines[0] == ",".join(contract.columns)
        else:
            assert all(list(json.loads(line)) == contract.columns for line in lines)


def test_every_value_satisfies_its_contract(settings, three_days):
    for i, written in enumerate(three_days):
        day = DAY + dt.timedelta(days=i)
        for source, path in written.items():
            contract = CONTRACTS[source]
            assert contract_violations(read_text(path, contract), contract, day) == [], source


def test_contract_check_catches_a_broken_row(settings):
    """Guards the guard: the checker above must see a value the ingest stage would quarantine."""
    path = simulate_day(DAY, settings, scale=SCALE)["shipments"]
    frame = read_text(path, CONTRACTS["shipments"])
    frame.loc[0, "consignee_pccc"] = "P123"
    frame.loc[1, "arrival_date"] = "2026-03-03"
    problems = contract_violations(frame, CONTRACTS["shipments"], DAY)
    assert any("consignee_pccc" in p for p in problems) and any("arrival_date" in p for p in problems)


def test_ids_are_unique_within_and_across_days(three_days):
    for source in CONTRACTS:
        contract = CONTRACTS[source]
        ids = pd.concat([read_text(w[source], contract)[contract.key] for w in three_days])
        assert ids.is_unique, source


def test_volumes_follow_the_scale_with_an_e_commerce_peak(settings):
    march = simulate_day(DAY, settings, scale=SCALE)
    november = simulate_day(dt.date(2026, 11, 24), settings, scale=SCALE)
    for source, full in FULL_DAY_VOLUMES.items():
        rows = len(read_text(march[source], CONTRACTS[source]))
        assert abs(rows - full * SCALE) <= 0.12 * full * SCALE, source
    travellers = len(read_text(march["travellers"], CONTRACTS["travellers"]))
    events = len(read_text(march["cctv_events"], CONTRACTS["cctv_events"]))
    assert 8 <= events / travellers <= 12
    peak = len(read_text(november["shipments"], CONTRACTS["shipments"]))
    assert peak > 1.25 * FULL_DAY_VOLUMES["shipments"] * SCALE
    assert DEFAULT_SCALE == 0.01


def test_inspections_cover_exactly_the_rule_and_audit_items_and_agree_with_truth(settings, three_days):
    inspections, truths = [], []
    for i, written in enumerate(three_days):
        day = DAY + dt.timedelta(days=i)
        frame = read_text(written["inspections"], INSPECTIONS)
        assert (frame["inspection_date"] == day.isoformat()).all() and (frame["item_date"] == day.isoformat()).all()
        inspections.append(frame)
        truths.append(pd.read_parquet(truth_path(settings, day)))
    ins, truth = pd.concat(inspections), pd.concat(truths)
    selected = truth[truth["rule_selected"] | truth["audit_selected"]]
    assert not (truth["rule_selected"] & truth["audit_selected"]).any()
    merged = selected.merge(ins, on=["lane", "item_id"], how="outer", indicator=True, suffixes=("", "_ins"))
    assert (merged["_merge"] == "both").all(), "an inspection without a selection, or a selection without a record"
    assert ((merged["selection_reason"] == "rule") == merged["rule_selected"]).all()
    assert (merged["office_id"] == merged["office_id_ins"]).all()
    found = merged["result"] != "no_finding"
    assert not (found & ~merged["is_risky"]).any(), "a finding on a clean item"
    assert (merged.loc[found, "category_ins"] == merged.loc[found, "category"]).all()
    assert merged.loc[~found, "category_ins"].isna().all()
    risky = merged[merged["is_risky"]]
    assert len(risky) >= 10
    assert (risky["result"] == "no_finding").mean() <= MISS_RATE + 0.15


def test_prevalence_and_inspected_shares_stay_in_their_documented_bands(settings):
    simulate_days(DAY, 3, settings, scale=0.005)
    truth = pd.concat(pd.read_parquet(truth_path(settings, DAY + dt.timedelta(days=i))) for i in range(3))
    # Bands of docs/simulator.md for a few small days (split-shipment rings come in bursts).
    bands = {"express": (0.01, 0.035), "cargo": (0.04, 0.09), "traveller": (0.003, 0.02)}
    for lane, group in truth.groupby("lane"):
        low, high = bands[lane]
        assert low <= group["is_risky"].mean() <= high, lane
        inspected = (group["rule_selected"] | group["audit_selected"]).mean()
        target = RULE_SHARE[lane] + AUDIT_SHARE[lane]
        assert 0.75 * target <= inspected <= 1.1 * target, lane
        rule_hit = group.loc[group["rule_selected"], "is_risky"].mean()
        assert rule_hit > group["is_risky"].mean(), f"{lane}: rules no better than chance"
        assert group.loc[group["is_risky"], "rule_selected"].mean() < 0.6, f"{lane}: rules find too much"
        assert group.loc[group["is_risky"], "pattern"].notna().all()
        assert group.loc[~group["is_risky"], "pattern"].isna().all()


def test_entities_recur_across_days(three_days):
    def column(source, name, day):
        return set(read_text(three_days[day][source], CONTRACTS[source])[name].dropna())

    for source, name in (("shipments", "consignee_pccc"), ("shipments", "seller_id"),
                         ("declarations", "importer_id"), ("declarations", "declarant_id"),
                         ("travellers", "passport_no")):
        assert len(column(source, name, 0) & column(source, name, 2)) >= 5, name
    # CCTV face matches point at the passports of the same day's travellers
    assert column("cctv_events", "face_match_id", 1) <= column("travellers", "passport_no", 1)


def test_split_shipment_rings_concentrate_parcels_on_few_consignees(settings, three_days):
    truth = pd.concat(pd.read_parquet(truth_path(settings, DAY + dt.timedelta(days=i))) for i in range(3))
    parcels = pd.concat(read_text(w["shipments"], CONTRACTS["shipments"]) for w in three_days)
    parcels = parcels.merge(truth[["item_id", "pattern"]], left_on="waybill_id", right_on="item_id")
    per_consignee = parcels.groupby("consignee_pccc")["waybill_id"].transform("size")
    ring = parcels["pattern"] == "split_shipment"
    assert ring.sum() > 0
    assert per_consignee[ring].median() > 2 * per_consignee[~ring].median()
    value = parcels["declared_value_usd"].astype(float)
    assert (value[ring] <= 200).all()


def test_answer_inspections_plays_the_inspectors_from_truth(settings, three_days):
    truth = pd.concat(pd.read_parquet(truth_path(settings, DAY + dt.timedelta(days=i))) for i in range(3))
    picks = pd.concat([truth[truth["is_risky"]], truth[~truth["is_risky"]].sample(100, random_state=1)])
    selections = picks[["lane", "item_id", "office_id"]].assign(
        selection_reason=np.where(np.arange(len(picks)) % 5 == 0, "exploration", "model"))
    answer_day = DAY + dt.timedelta(days=2)
    path = answer_inspections(answer_day, selections, settings)
    assert path == settings.landing_dir / "inspections" / answer_day.isoformat() / "model_selection.csv"
    first = path.read_bytes()
    assert answer_inspections(answer_day, selections, settings).read_bytes() == first
    records = read_text(path, INSPECTIONS)
    assert contract_violations(records, INSPECTIONS, answer_day) == []
    merged = records.merge(picks, on=["lane", "item_id"], suffixes=("", "_truth"))
    assert len(merged) == len(picks)
    assert (merged["item_date"] == pd.to_datetime(merged["item_date_truth"]).dt.strftime("%Y-%m-%d")).all()
    found = merged["result"] != "no_finding"
    assert not (found & ~merged["is_risky"]).any()
    assert merged["is_risky"].sum() >= 100
    assert MISS_RATE - 0.06 <= 1 - found[merged["is_risky"]].mean() <= MISS_RATE + 0.06
    assert (merged.loc[found, "category"] == merged.loc[found, "category_truth"]).all()
    assert set(records["inspection_id"]).isdisjoint(read_text(three_days[2]["inspections"], INSPECTIONS)["inspection_id"])
    with pytest.raises(ValueError, match="no truth"):
        answer_inspections(answer_day, selections.assign(item_id="W999999999999"), settings)


def test_identifiers_are_raw_for_the_ingest_stage_to_pseudonymise(settings):
    written = simulate_day(DAY, settings, scale=SCALE)
    shipments = read_text(written["shipments"], CONTRACTS["shipments"])
    assert shipments["consignee_pccc"].str.fullmatch(r"P\d{12}").all()
    assert shipments["consignee_name"].str.fullmatch(r"[A-Z]+ [A-Z]+").all()
    travellers = read_text(written["travellers"], CONTRACTS["travellers"])
    assert travellers["passport_no"].is_unique
    assert re.fullmatch(r"[A-Z][A-Z0-9]{7,8}", travellers["passport_no"].iloc[0])
