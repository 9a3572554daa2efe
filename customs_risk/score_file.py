"""Bring-your-own scoring: a file of declarations goes through the import path, the warehouse build and
the lane's @champion, and comes back ranked. An application flow: it drives three stages in turn."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.settings import Settings, get_settings
from core.warehouse import Warehouse
from ingest.kcs import unique_item_ids
from ml.features import check_features, feature_columns, model_frame, signature_inputs, typed
from ml.registry import champion
from ml.score import reason_codes
from ml.tracking import configure_mlflow

INPUT_FORMATS = ("kcs",)
INPUT_COLUMNS = ("declaration_id", "score", "rank", "selected", "reasons", "reason")
UNREADABLE = "not scored: the line could not be read as a declaration (quarantined by the contract as a parse error)"
NOT_LOADED = "not scored: the declarations contract did not load this row"


def score_input(lane: str, path: Path, output: Path, fmt: str = "kcs", settings: Settings | None = None) -> dict:
    """Score a file of declarations brought by the user with the lane's @champion; write ``output``.

    Features come from the warehouse the honest way: the file is loaded *through the import path as
    unlabelled traffic* (a copy without the Fraud / Critical Fraud columns is staged as
    ``<landing>/declarations/<day>/kcs_input_<stem>.csv``, validated by the declarations contract and
    loaded), then ``dbt build`` computes its point-in-time feature rows, which are read back. So:

    * labels in the file are ignored: they never reach ``raw.inspections`` or any feature;
    * an item's history features count only outcomes recorded before its date (the warehouse history),
      exactly as for daily scoring; the file's own rows add to the traffic counts of later items, since
      that traffic did happen;
    * the rows stay in the warehouse as unlabelled declarations (rerunning the same file replaces them,
      because each day's partition is rebuilt from its landing files); their outcomes can be imported
      later like any others. Rows whose item id is already in ``raw.declarations`` from another file
      are not re-imported: their existing feature rows are scored. Rerunning a file restages all its
      other rows under the same landing name, so a rerun replaces, never duplicates, them. (Importing
      the same declarations later from a labelled file under another name would load them twice:
      import their outcomes as an inspections file instead.)

    Item ids follow the importer: a Declaration ID repeated within the file becomes ``<id>-<n>``.
    Output, one row per declaration of the file, in file order: ``declaration_id,score,rank,selected,
    reasons,reason``. ``rank`` is over the whole file (1 = highest score, ties to the smaller id); ``selected``
    marks the top ``capacity_share[lane]`` of the file (ceil), the model picks only (no random
    exploration, so the same file and champion give the same list); ``reasons`` (top TreeSHAP
    contributions, as in daily scoring) are given for the selected rows. Rows the contract quarantined
    have no features: they get an empty score and rank, ``reason`` says why (the contract's own words
    from ``raw.quarantine``), and they are counted in ``unscored``; ``reason`` is empty for scored rows.
    """
    from ingest.kcs import read_kcs

    settings = settings or get_settings()
    if fmt not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {fmt!r}; expected one of {', '.join(INPUT_FORMATS)}")
    if lane != "cargo":
        raise ValueError(f"--format {fmt} holds import declarations: lane must be cargo, got {lane!r}")
    path, output = Path(path), Path(output)
    configure_mlflow(lane, settings)
    ref = champion(settings, settings.model_name(lane))   # fail before loading anything without a model

    header, rows = read_kcs(path)
    rows = [r for r in rows if r]
    id_col = header.index("Declaration ID")
    item_ids = unique_item_ids([r[id_col].strip() if len(r) == len(header) else None for r in rows])
    warehouse = Warehouse(settings)
    stem = f"input_{path.stem}"
    imported, n_fresh = _import_unlabelled(path, stem, header, rows, item_ids, warehouse, settings)
    frame = _rank(_feature_rows(warehouse, [i for i in item_ids if i is not None]), ref, settings, lane)

    out = pd.DataFrame({"declaration_id": [i if i is not None else "" for i in item_ids]})
    out = out.merge(frame[["item_id", "score", "rank", "selected", "reasons"]],
                    left_on="declaration_id", right_on="item_id", how="left").drop(columns="item_id")
    out["reason"] = _unscored_reasons(warehouse, stem, imported, out["declaration_id"], out["score"].isna())
    out["rank"] = out["rank"].astype("Int64")
    out["selected"] = out["selected"].fillna(False).astype(bool)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = output.with_name(f".{output.name}.tmp")
    out[list(INPUT_COLUMNS)].to_csv(tmp_out, index=False)
    tmp_out.replace(output)
    return {
        "lane": lane, "input": str(path), "output": str(output), "format": fmt,
        "model_name": ref.name, "model_version": ref.version,
        "rows": len(out), "scored": int(out["score"].notna().sum()), "unscored": int(out["score"].isna().sum()),
        "selected": int(out["selected"].sum()), "capacity_share": settings.capacity_share[lane],
        "already_in_warehouse": len(item_ids) - n_fresh,
        "imported": imported.summary() if imported is not None else "nothing new to import",
    }


def _import_unlabelled(path: Path, stem: str, header: list[str], rows: list[list[str]], item_ids: list,
                       warehouse: Warehouse, settings: Settings):
    """Stage the file's rows not yet in the warehouse from another file, without its label columns, import
    them as unlabelled declarations and rebuild the warehouse; returns (import report or None, rows staged)."""
    import csv
    import tempfile

    from ingest.kcs import LABELS, import_kcs
    from transform.dbt_build import build

    known: set[str] = set()   # ids loaded from other files; rows loaded from this input before are restaged
    if warehouse.table_exists("raw", "declarations"):
        known = set(warehouse.query_df(
            "select distinct cast(declaration_id as varchar) as id from raw.declarations "
            "where _source_file is null or _source_file not like ?", [f"%kcs_{stem}.csv"])["id"])
    fresh = [(item, r) for item, r in zip(item_ids, rows) if item is None or item not in known]
    if not fresh:
        return None, 0
    keep = [i for i, name in enumerate(header) if name not in LABELS]
    id_position = keep.index(header.index("Declaration ID"))
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / f"{stem}.csv"
        with open(staged, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([header[i] for i in keep])
            for item, r in fresh:
                if item is None:            # malformed line: passed on as is, the contract quarantines it
                    writer.writerow(r)
                    continue
                values = [r[i] for i in keep]
                values[id_position] = item   # already unique: stays as is
                writer.writerow(values)
        (imported,) = import_kcs([staged], settings)
    if imported.error:
        raise ValueError(f"{path}: {imported.error}")
    build(settings)
    return imported, len(fresh)


def _feature_rows(warehouse: Warehouse, ids: list[str]) -> pd.DataFrame:
    frame = warehouse.query_df('select * from "marts"."fct_cargo_features" where item_id in (select unnest(?))',
                               [ids]) if warehouse.kind == "duckdb" else _feature_rows_by_id(warehouse, ids)
    frame["item_id"] = frame["item_id"].astype(str)
    return frame.drop_duplicates("item_id").reset_index(drop=True)


def _rank(frame: pd.DataFrame, ref, settings: Settings, lane: str) -> pd.DataFrame:
    """Score with the champion, rank the whole file, mark the top capacity share, reasons for the picks."""
    import mlflow
    import numpy as np

    from ml.metrics import rank_order
    from ml.selection import capacity_count

    expected = signature_inputs(ref)
    check_features(feature_columns(frame.columns), expected, ref)
    model = mlflow.xgboost.load_model(ref.uri)
    X = model_frame(model, typed(frame), expected)
    frame["score"] = model.predict_proba(X)[:, 1] if len(frame) else np.array([], dtype=float)
    order = rank_order(frame["score"].to_numpy(), frame["item_id"])
    frame["rank"] = 0
    frame.loc[order, "rank"] = np.arange(1, len(frame) + 1)
    frame["selected"] = frame["rank"] <= capacity_count(settings.capacity_share[lane], len(frame))
    frame["reasons"] = None
    picked = frame.index[frame["selected"].to_numpy()]
    if len(picked):
        frame.loc[picked, "reasons"] = reason_codes(model, X.loc[picked])
    return frame


def _unscored_reasons(warehouse: Warehouse, stem: str, imported, ids: pd.Series, unscored: pd.Series) -> pd.Series:
    """Why each unscored row has no score: the declarations contract's reason for the row in this input's
    landing files (``raw.quarantine``), or the reason its day was rejected; None for scored rows."""
    import json

    found: dict[str, str] = {}
    if warehouse.table_exists("raw", "quarantine"):
        rows = warehouse.query_df("select raw_values, reason from raw.quarantine where source = 'declarations' "
                                  "and source_file like ?", [f"%kcs_{stem}.csv"])
        for raw, reason in zip(rows["raw_values"], rows["reason"]):
            item = json.loads(raw).get("declaration_id") if raw else None
            if item:
                found[str(item).strip()] = f"not scored: quarantined by the declarations contract: {reason}"
    rejected = [r.rejected for r in (imported.declarations if imported is not None else []) if r.rejected]
    fallback = f"not scored: its day was rejected: {rejected[0]}" if rejected else NOT_LOADED
    why = [None if not missing else (found.get(item, fallback) if item else UNREADABLE)
           for item, missing in zip(ids, unscored)]
    return pd.Series(why, index=ids.index, dtype=object)


def _feature_rows_by_id(warehouse: Warehouse, ids: list[str]) -> pd.DataFrame:
    """Postgres: the same lookup in chunks of placeholders."""
    parts = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        marks = ", ".join("?" for _ in chunk)
        parts.append(warehouse.query_df(f'select * from "marts"."fct_cargo_features" where item_id in ({marks})', chunk))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
