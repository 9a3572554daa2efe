"""Load one source's landing files for one day into the warehouse: read, validate, pseudonymise, write.

A day of a source is one partition of ``raw.<source>`` (keyed by ``_batch_date``). Good rows and the
quarantined rows of that day are written in one transaction that first deletes the partition, so a
rerun replaces instead of duplicating and readers see either the old day or the new one, never half.
A batch-level failure (unreadable file, broken schema, no rows, too many bad rows) raises
``BatchRejected`` before anything is written: the previous state stays as it was.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.settings import Settings, get_settings
from core.warehouse import Warehouse
from expectations.suites import (BATCH_DAY, BATCH_DAY_END, DUPLICATE_OF, day_part_column, is_typed, validate,
                                  value_column)
from core.contracts import CONTRACTS, LINEAGE, QUARANTINE_COLUMNS, SQL_TYPES, Contract, get_contract
from ingest.duplicates import duplicate_of, with_duplicate_detail as _with_duplicate_detail
from ingest.lock import warehouse_lock
from ingest.pseudonymise import check_key, pseudonymise_column
from ingest.readers import FILE, LINE, BatchRejected, LineError, read_landing_file

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
QUARANTINE_TABLE = "quarantine"
# Above this share of bad rows the file is not "a few bad rows" but a broken feed: reject the batch.
MAX_QUARANTINE_SHARE = 0.5



@dataclass
class FileReport:
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class LoadReport:
    source: str
    day: dt.date
    files: list[FileReport]
    rejected: str | None = None    # why the day did not load (nothing was written for it)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def summary(self) -> str:
        if self.rejected:
            return f"{self.source} {self.day}: REJECTED: {self.rejected}"
        lines = [f"{self.source} {self.day}: loaded {self.rows_loaded}, quarantined {self.rows_quarantined}"]
        for f in self.files:
            reasons = "; ".join(f"{r} x{n}" for r, n in f.top_reasons)
            lines.append(f"  {f.file}: read {f.rows_read}, loaded {f.rows_loaded}, "
                         f"quarantined {f.rows_quarantined}" + (f" ({reasons})" if reasons else ""))
        return "\n".join(lines)


def landing_files(source: str, day: dt.date, settings: Settings) -> list[Path]:
    contract = get_contract(source)
    folder = settings.landing_dir / source / day.isoformat()
    return sorted(folder.glob(f"*.{contract.fmt}"))


def raw_table_ddl(contract: Contract) -> str:
    columns = [f"{f.warehouse_name} {SQL_TYPES[f.warehouse_dtype]}" for f in contract.warehouse_fields]
    columns += [f"{name} {dtype}" for name, (dtype, _) in LINEAGE.items()]
    return f"create table if not exists {RAW_SCHEMA}.{contract.table} ({', '.join(columns)})"


def ensure_raw_tables(warehouse: Warehouse) -> None:
    """Create the raw tables from the contracts, so their types never depend on one day's data."""
    quarantine = ", ".join(f"{k} {dtype}" for k, (dtype, _) in QUARANTINE_COLUMNS.items())
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    statements += [raw_table_ddl(c) for c in CONTRACTS.values()]
    statements.append(f"create table if not exists {RAW_SCHEMA}.{QUARANTINE_TABLE} ({quarantine})")
    warehouse.execute(";\n".join(statements))


def load_day(source: str, day: dt.date, settings: Settings | None = None,
             files: list[Path] | None = None, check_volume: bool = True) -> LoadReport:
    """Load every landing file of ``source`` for ``day`` as the day's partition.

    Raises ``BatchRejected`` when the day cannot load (nothing is written then)."""
    settings = settings or get_settings()
    files = files if files is not None else landing_files(source, day, settings)
    if not files:
        get_contract(source)
        raise BatchRejected(f"no landing files for {source} on {day} in "
                            f"{settings.landing_dir / source / day.isoformat()}")
    report = load_days(source, {day: files}, settings, check_volume=check_volume)[0]
    if report.rejected:
        raise BatchRejected(report.rejected)
    return report


def load_days(source: str, day_files: dict[dt.date, list[Path]], settings: Settings | None = None,
              check_volume: bool = True) -> list[LoadReport]:
    """Load many days of one source with one read and one suite validation, then one write.

    The contract suite runs once over all rows (each row knows its batch day, so the day rule stays per
    row); the batch-level rules (``ingest.batch_checks``) then judge each day in date order against the
    warehouse history plus the days accepted before it in this call. A rejected day gets a report with
    ``rejected`` set and writes nothing; the accepted days are replaced in one transaction.
    A problem of the whole batch (unreadable file, broken schema) raises ``BatchRejected``.
    The whole load holds the warehouse lock: its checks read the state its write then changes.
    """
    settings = settings or get_settings()
    contract = get_contract(source)
    check_key(settings)   # before anything is read or written, for every source
    days = sorted(day_files)
    span = f"{source} {days[0]}{'..' + str(days[-1]) if len(days) > 1 else ''}"
    with warehouse_lock(settings, f"loading {span}"):
        return _load_locked(contract, day_files, settings, check_volume, span)


def _load_locked(contract: Contract, day_files: dict[dt.date, list[Path]], settings: Settings,
                 check_volume: bool, span: str) -> list[LoadReport]:
    from ingest.batch_checks import HISTORY_DAYS, loaded_history

    days = sorted(day_files)
    batch, line_errors = _read_batch(contract, day_files)
    warehouse = Warehouse(settings)
    ensure_raw_tables(warehouse)
    batch[DUPLICATE_OF] = duplicate_of(batch, contract, warehouse, days)
    outcome = validate(batch.rename(columns={LINE: "_file_line", "_row": LINE}), contract, settings.gx_dir)
    if outcome.batch_errors:
        names = ", ".join(str(p) for d in days for p in day_files[d])
        raise BatchRejected(f"{span} ({names}): batch failed: " + "; ".join(outcome.batch_errors))
    bad_rows = _with_duplicate_detail(outcome.row_failures, batch, contract)  # keyed by _row
    history = loaded_history(warehouse, contract, days[0] - dt.timedelta(days=HISTORY_DAYS), days[-1])
    loaded_at = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    by_day = dict(tuple(batch.groupby(BATCH_DAY, sort=True)))
    reports, writes = [], []
    for day in days:
        rows = by_day.get(pd.Timestamp(day), batch.iloc[0:0])
        errors = [(path, e) for d, path, e in line_errors if d == day]
        day_bad = {r: bad_rows[r] for r in rows["_row"] if r in bad_rows}
        rejected = _judge_day(contract, day, day_files[day], rows, day_bad, errors, history, check_volume)
        if rejected:
            log.warning(rejected)
            reports.append(LoadReport(contract.name, day, [FileReport(str(p)) for p in day_files[day]], rejected))
            continue
        bad_mask = rows["_row"].isin(list(day_bad))
        good = _to_warehouse_rows(rows[~bad_mask], contract, day, loaded_at, settings)
        quarantine = _quarantine_rows(rows[bad_mask], day_bad, errors, contract, day, loaded_at, settings)
        writes += [(RAW_SCHEMA, contract.table, good, {"_batch_date": day}),
                   (RAW_SCHEMA, QUARANTINE_TABLE, quarantine, {"source": contract.name, "batch_date": day})]
        reports.append(_report(contract.name, day, day_files[day], rows, good, quarantine))
    if writes:
        warehouse.replace_partitions(writes)
    for report in reports:
        if not report.rejected:
            log.info(report.summary())
    return reports


def _read_batch(contract: Contract, day_files: dict[dt.date, list[Path]]) -> tuple[pd.DataFrame, list]:
    """Every file of every day as one frame of text plus parsed twins; line errors with their day and file."""
    days = sorted(day_files)
    frames, line_errors = [], []
    for day in days:
        for path in day_files[day]:
            frame, errors = read_landing_file(path, contract)
            frame[BATCH_DAY] = pd.Timestamp(day)
            frames.append(frame)
            line_errors += [(day, str(path), e) for e in errors]
    raw = pd.concat(frames, ignore_index=True)
    if raw.empty and len(days) == 1:
        files = day_files[days[0]]
        raise BatchRejected(f"{', '.join(map(str, files))}: no data rows for {contract.name} on {days[0]}")
    batch = _with_typed_values(raw, contract)
    batch[BATCH_DAY_END] = batch[BATCH_DAY] + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    batch["_row"] = range(len(batch))
    return batch, line_errors


def _judge_day(contract: Contract, day: dt.date, files: list[Path], rows: pd.DataFrame, day_bad: dict,
               errors: list, history: dict, check_volume: bool) -> str | None:
    """Why the day must not load (None: it may); an accepted day joins ``history`` for the next days."""
    from ingest.batch_checks import DayStats, check_day

    n_bad, n_all = len(day_bad) + len(errors), len(rows) + len(errors)
    if rows.empty:
        return f"{', '.join(map(str, files))}: no data rows for {contract.name} on {day}"
    if n_bad > MAX_QUARANTINE_SHARE * n_all:
        worst = Counter(r for reasons in day_bad.values() for r in reasons).most_common(3)
        return (f"{contract.name} {day} ({', '.join(map(str, files))}): {n_bad} of {n_all} rows fail the contract "
                f"(more than {MAX_QUARANTINE_SHARE:.0%}); not loading. Most common: {worst}")
    stats = DayStats.of(rows, contract)
    failed = check_day(contract, day, stats, history, check_volume=check_volume)
    if failed:
        return f"{contract.name} {day} ({', '.join(map(str, files))}): batch rejected: " + "; ".join(failed)
    history[day] = stats
    return None


def _with_typed_values(raw: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Add the parsed twin of every typed column; text that does not parse becomes null there."""
    frame = raw.copy()
    for f in contract.fields:
        text = frame[f.name].str.strip()
        frame[f.name] = text.where(text != "", None)
        if not is_typed(f):
            continue
        if f.dtype in ("int", "float"):
            frame[value_column(f)] = pd.to_numeric(frame[f.name], errors="coerce")
        else:
            frame[value_column(f)] = pd.to_datetime(frame[f.name], errors="coerce", format="ISO8601")
            if f.name == contract.day_column:
                frame[day_part_column(f)] = frame[value_column(f)].dt.normalize()
    return frame


def _to_warehouse_rows(rows: pd.DataFrame, contract: Contract, day: dt.date, loaded_at, settings) -> pd.DataFrame:
    out = pd.DataFrame(index=rows.index)
    for f in contract.warehouse_fields:
        if f.pseudonym_as:
            out[f.warehouse_name] = pseudonymise_column(rows[f.name], settings.pseudonym_key)
        elif f.dtype == "int":
            out[f.name] = rows[value_column(f)].astype("Int64")
        elif f.dtype == "float":
            out[f.name] = rows[value_column(f)].astype("float64")
        elif f.dtype == "date":
            out[f.name] = rows[value_column(f)].dt.date
        elif f.dtype == "timestamp":
            out[f.name] = rows[value_column(f)]
        else:
            out[f.name] = rows[f.name].astype(object)
    out["_batch_date"] = day
    out["_source_file"] = rows[FILE].astype(str)
    out["_line"] = rows[LINE].astype("int64")
    out["_loaded_at"] = loaded_at
    return out.reset_index(drop=True)


def _masked_raw_values(row: dict, contract: Contract, key: str) -> str:
    """The row as the file had it, except personal identifiers, which are hashed like in the warehouse."""
    from ingest.pseudonymise import pseudonym

    values = {}
    for f in contract.fields:
        value = row.get(f.name)
        if value is not None and not isinstance(value, str) and pd.isna(value):
            value = None    # a missing value is JSON null, never NaN (strict JSON readers reject NaN)
        if f.pseudonym_as and value is not None:
            values[f.pseudonym_as] = pseudonym(str(value), key)
        else:
            values[f.name] = value
    return json.dumps(values, ensure_ascii=False, default=str, allow_nan=False)


def _quarantine_rows(bad: pd.DataFrame, failures: dict[int, list[str]], line_errors: list[tuple[str, LineError]],
                     contract: Contract, day: dt.date, loaded_at, settings: Settings) -> pd.DataFrame:
    records = []
    for row in bad[contract.columns + [FILE, LINE, "_row"]].to_dict("records"):
        reasons = failures[row["_row"]]
        records.append({
            "source": contract.name, "batch_date": day, "source_file": row[FILE], "line": int(row[LINE]),
            "expectation": reasons[0].split(": ", 1)[-1].split("(")[0].strip(), "reason": "; ".join(reasons),
            "raw_values": _masked_raw_values(row, contract, settings.pseudonym_key), "quarantined_at": loaded_at,
        })
    for path, error in line_errors:
        records.append({
            "source": contract.name, "batch_date": day, "source_file": path, "line": error.line,
            "expectation": "parse", "reason": error.reason,
            # An unparsed line cannot be split into fields, so personal identifiers in it cannot be
            # hashed one by one: keep only its length; the landing file keeps the line itself.
            "raw_values": json.dumps({"unparsed_line_chars": len(error.raw)}), "quarantined_at": loaded_at,
        })
    frame = pd.DataFrame.from_records(records, columns=list(QUARANTINE_COLUMNS))
    frame["line"] = frame["line"].astype("int64")
    frame["quarantined_at"] = pd.to_datetime(frame["quarantined_at"])
    return frame


def _report(source, day, files, batch, good, quarantine) -> LoadReport:
    reports = []
    for path in files:
        name = str(path)
        q = quarantine[quarantine["source_file"] == name]
        reasons = Counter(r for text in q["reason"] for r in text.split("; ")).most_common(3)
        read = int((batch[FILE] == name).sum()) + int((q["expectation"] == "parse").sum())
        reports.append(FileReport(name, read, int((good["_source_file"] == name).sum()), len(q), reasons))
    return LoadReport(source, day, reports)
