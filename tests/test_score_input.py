"""Bring your own traffic: ``customs-risk score --lane cargo --input FILE --format kcs --output OUT.csv``
scores unlabelled KCS declarations against the warehouse history with the cargo @champion."""
from __future__ import annotations


import pandas as pd
import pytest

from customs_risk.cli import main
from core.settings import KCS_DATA_DIR
from transform.dbt_build import build
from core.warehouse import Warehouse
from ingest.kcs import import_kcs
from customs_risk.stages import train as train_lane

KCS = KCS_DATA_DIR
TRAIN, VALID = KCS / "df_syn_train_eng.csv", KCS / "df_syn_valid_eng.csv"
pytestmark = pytest.mark.skipif(not (TRAIN.exists() and VALID.exists()), reason="KCS files not available")


@pytest.fixture
def history(settings, tmp_path, monkeypatch):
    """The first 2,000 rows of 2020 imported with labels, built, and a cargo champion trained on them."""
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    head = pd.read_csv(TRAIN, dtype=str, keep_default_na=False).head(2000)
    path = tmp_path / "kcs_2020_head.csv"
    head.to_csv(path, index=False)
    (report,) = import_kcs([path], settings)
    assert report.error is None
    build(settings)
    train_lane("cargo", settings, trials=0)
    return settings


def test_scores_a_kcs_file_with_the_champion_and_ignores_its_labels(history, tmp_path, capsys):
    settings = history
    traffic = pd.read_csv(VALID, dtype=str, keep_default_na=False).head(300)
    traffic.loc[:, "Fraud"] = "1"          # whatever the file says, no label may be used
    traffic.loc[:, "Critical Fraud"] = "2"
    traffic.loc[7, "HS6 Code"] = "12AB"    # breaks the contract: quarantined, and the output says why
    path, out = tmp_path / "traffic.csv", tmp_path / "scored.csv"
    traffic.to_csv(path, index=False)
    before = Warehouse(settings).query_df("select count(*) as n from raw.inspections")["n"].iloc[0]

    assert main(["score", "--lane", "cargo", "--input", str(path), "--format", "kcs", "--output", str(out)]) == 0
    scored = pd.read_csv(out, dtype={"declaration_id": str})
    assert list(scored.columns) == ["declaration_id", "score", "rank", "selected", "reasons", "reason"]
    assert scored["declaration_id"].tolist() == traffic["Declaration ID"].tolist()   # one row each, file order
    ok = scored["score"].notna()      # rows the contract quarantined (a handful) have no features
    n = int(ok.sum())
    assert f'"scored": {n}' in capsys.readouterr().out and n >= 290
    assert scored.loc[ok, "score"].between(0, 1).all() and scored.loc[~ok, "rank"].isna().all()
    assert sorted(scored.loc[ok, "rank"].astype(int)) == list(range(1, n + 1))
    n_selected = -(-n * settings.capacity_share["cargo"] // 1)   # ceil
    assert scored["selected"].sum() == n_selected and not scored.loc[~ok, "selected"].any()
    assert scored.loc[scored["selected"], "rank"].max() == n_selected
    assert scored.loc[scored["selected"], "reasons"].str.match(r"^[fc]_\w+=").all()
    assert scored.loc[~scored["selected"], "reasons"].isna().all()
    assert scored.loc[ok, "reason"].isna().all() and scored.loc[~ok, "reason"].str.startswith("not scored: ").all()
    assert "quarantined by the declarations contract" in scored.loc[7, "reason"] and "hs6" in scored.loc[7, "reason"]

    warehouse = Warehouse(settings)   # no leak: no outcome recorded, the feature rows carry no label
    assert warehouse.query_df("select count(*) as n from raw.inspections")["n"].iloc[0] == before
    ids = traffic["Declaration ID"].tolist()
    rows = warehouse.query_df("select item_id, label from marts.fct_cargo_features")
    rows = rows[rows["item_id"].astype(str).isin(ids)]
    assert len(rows) == n and rows["label"].isna().all()
    assert (warehouse.query_df("select count(*) as n from raw.declarations where declaration_id in "
                               "(select unnest(?))", [ids])["n"].iloc[0]) == n

    # The same file again: restaged under the same landing name, so nothing doubles; the same list.
    total = warehouse.query_df("select count(*) as n from raw.declarations")["n"].iloc[0]
    again = tmp_path / "again.csv"
    assert main(["score", "--lane", "cargo", "--input", str(path), "--output", str(again)]) == 0
    assert warehouse.query_df("select count(*) as n from raw.declarations")["n"].iloc[0] == total
    pd.testing.assert_frame_equal(pd.read_csv(again, dtype={"declaration_id": str}), scored)


def test_input_needs_output_and_excludes_date(settings, tmp_path, capsys):
    assert main(["score", "--lane", "cargo", "--input", str(tmp_path / "x.csv")]) == 1
    assert "--output" in capsys.readouterr().err
    assert main(["score", "--lane", "cargo", "--input", "x.csv", "--output", "o.csv", "--date", "2021-01-04"]) == 1
    assert "not both" in capsys.readouterr().err


def test_own_file_scores_equal_the_daily_warehouse_scores_of_the_same_rows(history, tmp_path):
    """Bring-your-own scoring and the daily path (``score --date``) score the same feature rows with the
    same champion: the same score for every declaration of the file."""
    settings = history
    traffic = pd.read_csv(VALID, dtype=str, keep_default_na=False).head(150)
    path, out = tmp_path / "traffic.csv", tmp_path / "scored.csv"
    traffic.to_csv(path, index=False)
    assert main(["score", "--lane", "cargo", "--input", str(path), "--output", str(out)]) == 0
    own = pd.read_csv(out, dtype={"declaration_id": str}).dropna(subset=["score"]).set_index("declaration_id")
    days = sorted(traffic["Date"].unique())
    for day in days:
        assert main(["score", "--lane", "cargo", "--date", day]) == 0
    daily = Warehouse(settings).query_df(
        "select item_id, score from scoring.daily_selection where lane = 'cargo' and item_id in (select unnest(?))",
        [own.index.tolist()]).set_index("item_id")
    assert len(own) >= 140 and sorted(daily.index) == sorted(own.index)
    pd.testing.assert_series_equal(daily["score"].loc[own.index], own["score"], check_names=False, rtol=1e-6)
