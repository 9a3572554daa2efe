"""Real declarations in the KCS format: split per day, validated by the declarations contract, labels
turned into inspection outcomes, bad files rejected with one line and a non-zero exit."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from customs_risk.cli import main
from core.settings import KCS_DATA_DIR
from core.warehouse import Warehouse
from ingest.kcs import import_kcs

KCS = KCS_DATA_DIR / "df_syn_train_eng.csv"
pytestmark = pytest.mark.skipif(not KCS.exists(), reason="KCS sample not available")


@pytest.fixture
def kcs_sample(tmp_path, settings, monkeypatch) -> Path:
    """The first ~5 days of the real 2020 file (a few hundred rows)."""
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    frame = pd.read_csv(KCS, dtype=str, keep_default_na=False)
    frame = frame[frame["Date"] <= "2020-01-05"]
    path = tmp_path / "kcs_2020_head.csv"
    frame.to_csv(path, index=False)
    return path


def query(settings, sql: str) -> pd.DataFrame:
    return Warehouse(settings).query_df(sql)


def test_kcs_file_loads_per_day_with_labels_and_reruns_idempotently(settings, kcs_sample, capsys):
    source = pd.read_csv(kcs_sample, dtype=str, keep_default_na=False)
    assert main(["import", "kcs", str(kcs_sample)]) == 0
    out = capsys.readouterr().out
    assert f"{len(source)} rows over 5 days, labelled" in out and "declarations: read" in out
    staged = sorted((settings.landing_dir / "declarations").glob("*/kcs_kcs_2020_head.csv"))
    assert [p.parent.name for p in staged] == [f"2020-01-0{i}" for i in range(1, 6)]
    declarations = query(settings, "select * from raw.declarations")
    quarantined = query(settings, "select * from raw.quarantine where source = 'declarations'")
    assert len(declarations) + len(quarantined) == len(source)
    assert (declarations["declaration_date"].astype(str) == declarations["_batch_date"].astype(str)).all()
    inspections = query(settings, "select * from raw.inspections")
    assert len(inspections) == len(source)
    expected = {"irregularity": int(((source["Fraud"] == "1") & (source["Critical Fraud"] != "2")).sum()),
                "seizure": int((source["Critical Fraud"] == "2").sum()),
                "no_finding": int((source["Fraud"] == "0").sum())}
    assert inspections["result"].value_counts().to_dict() == {k: v for k, v in expected.items() if v}
    assert set(inspections.loc[inspections["result"] == "seizure", "category"]) <= {"critical"}
    assert set(inspections["lane"]) == {"cargo"}
    assert set(inspections["item_id"]) == set(source["Declaration ID"])
    before = query(settings, "select count(*) as n from raw.declarations")["n"].iloc[0]
    assert main(["import", "kcs", str(kcs_sample)]) == 0
    assert query(settings, "select count(*) as n from raw.declarations")["n"].iloc[0] == before
    assert len(query(settings, "select * from raw.inspections")) == len(source)


def test_kcs_file_without_labels_is_unlabelled_traffic(settings, kcs_sample, tmp_path):
    frame = pd.read_csv(kcs_sample, dtype=str, keep_default_na=False).drop(columns=["Fraud", "Critical Fraud"])
    path = tmp_path / "unlabelled.csv"
    frame.to_csv(path, index=False)
    (report,) = import_kcs([path], settings)
    assert report.error is None and not report.labelled
    assert sum(r.rows_loaded for r in report.declarations) > 0.9 * len(frame)
    assert not Warehouse(settings).table_exists("raw", "inspections") or \
        query(settings, "select count(*) as n from raw.inspections")["n"].iloc[0] == 0


def test_repeated_declaration_ids_become_unique_item_ids(settings, kcs_sample, tmp_path):
    frame = pd.read_csv(kcs_sample, dtype=str, keep_default_na=False).head(60)
    frame.loc[[10, 11, 12], "Declaration ID"] = "12345678"     # one declaration with three items
    path = tmp_path / "items.csv"
    frame.to_csv(path, index=False)
    (report,) = import_kcs([path], settings, day_from=None, day_to=None)
    assert report.renamed_ids == 3
    ids = set(query(settings, "select declaration_id from raw.declarations")["declaration_id"]) | set(
        query(settings, "select item_id from raw.inspections")["item_id"])
    assert {"12345678-1", "12345678-2", "12345678-3"} <= ids and "12345678" not in ids


def test_day_range_limits_what_is_loaded(settings, kcs_sample):
    import datetime as dt

    (report,) = import_kcs([kcs_sample], settings, day_from=dt.date(2020, 1, 2), day_to=dt.date(2020, 1, 3))
    days = query(settings, "select distinct _batch_date from raw.declarations order by 1")["_batch_date"]
    assert [str(d)[:10] for d in days] == ["2020-01-02", "2020-01-03"]
    assert report.days == 2


@pytest.mark.parametrize("case, expected", [
    ("missing_column", r"broken\.csv: line 1: missing KCS columns \['HS6 Code'\]"),
    ("semicolons", r"broken\.csv: line 1: .*wrong delimiter"),
    ("empty", r"broken\.csv: empty file"),
])
def test_rejected_kcs_file_exits_non_zero_with_one_line(settings, kcs_sample, tmp_path, capsys, case, expected):
    import re

    path = tmp_path / "broken.csv"
    lines = kcs_sample.read_text().splitlines()
    if case == "missing_column":
        rows = list(csv.reader(lines))
        index = rows[0].index("HS6 Code")
        path.write_text("\n".join(",".join(r[:index] + r[index + 1:]) for r in rows) + "\n")
    elif case == "semicolons":
        path.write_text("\n".join(line.replace(",", ";") for line in lines) + "\n")
    else:
        path.write_text("")
    assert main(["import", "kcs", str(kcs_sample), str(path)]) == 1   # the good file still loads
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(expected, err), err
    assert query(settings, "select count(*) as n from raw.declarations")["n"].iloc[0] > 0
