"""Import real declarations in the KCS format (``../shared/data/kcs/``) through the declarations contract.

A KCS file spans many days. It is split by declaration date into staged landing files, one per day,
``<landing>/declarations/<day>/kcs_<file stem>.csv`` in the contract's columns (headers mapped with
``Field.kcs_name``), and those days are loaded by ``ingest.load.load_days``: the same read, contract
suite, quarantine and atomic partition replace as simulated declarations, with one suite validation per
file instead of one per day (a year is 366 days). Each day loads every landing file in its folder, so a
day that already holds other files keeps them.

Labels: ``Fraud`` / ``Critical Fraud`` become inspection outcomes (every KCS row was inspected), staged as
``<landing>/inspections/<day>/kcs_<file stem>.csv`` and loaded the same way: lane cargo, item_id = the
warehouse declaration id, method documents (the data set does not say how), selection_reason manual
(selected by KCS, not by this system), result seizure + category critical for Critical Fraud 2,
irregularity + undervaluation for Fraud 1 (an attempt to reduce duty), no_finding otherwise; dated on
the declaration date. A file without those columns is unlabelled traffic: declarations only.

Item ids: one KCS declaration can carry several items (rows) under one Declaration ID. The warehouse key
must be unique, so an id that occurs on more than one row of a file becomes ``<id>-<n>`` with n the item's
1-based position among that declaration's rows in file order; ids that occur once stay as they are.
(The two published files have no repeated id: 37,385 and 8,134 distinct ids for as many rows.)

Lines that cannot be split into the header's fields, or whose date is unreadable, are staged with the
day of the previous line (files are in date order), where the contract quarantines them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings, get_settings
from core.contracts import DECLARATIONS, INSPECTIONS
from ingest.load import LoadReport, landing_files, load_days
from ingest.readers import BatchRejected, _decode

LABELS = ("Fraud", "Critical Fraud")
KCS_COLUMNS = {f.kcs_name: f.name for f in DECLARATIONS.fields if f.kcs_name}


@dataclass
class KcsFileReport:
    file: str
    rows: int = 0
    days: int = 0
    labelled: bool = False
    renamed_ids: int = 0
    declarations: list[LoadReport] = field(default_factory=list)
    inspections: list[LoadReport] = field(default_factory=list)
    error: str | None = None     # the file was rejected as a whole

    @property
    def rejected_days(self) -> list[LoadReport]:
        return [r for r in self.declarations + self.inspections if r.rejected]

    def summary(self) -> str:
        if self.error:
            return f"{self.file}: REJECTED: {self.error}"
        out = [f"{self.file}: {self.rows} rows over {self.days} days, "
               f"{'labelled' if self.labelled else 'unlabelled (no Fraud columns)'}"
               + (f", {self.renamed_ids} item ids made unique" if self.renamed_ids else "")]
        for name, reports in (("declarations", self.declarations), ("inspections", self.inspections)):
            if not reports:
                continue
            stem = f"kcs_{Path(self.file).stem}"
            read = loaded = quarantined = 0
            reasons: Counter = Counter()
            for r in reports:
                for f in r.files:
                    if Path(f.file).stem == stem:
                        read, loaded, quarantined = read + f.rows_read, loaded + f.rows_loaded, quarantined + f.rows_quarantined
                        reasons.update(dict(f.top_reasons))
            top = "; ".join(f"{k} x{v}" for k, v in reasons.most_common(3))
            rejected = [r for r in reports if r.rejected]
            out.append(f"  {name}: read {read}, loaded {loaded}, quarantined {quarantined}"
                       + (f" ({top})" if top else "") + (f", {len(rejected)} days rejected" if rejected else ""))
            out += [f"    {r.rejected}" for r in rejected[:10]]
        return "\n".join(out)


def read_kcs(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a KCS file as text; raises ``BatchRejected`` naming the file and the problem."""
    if not path.exists():
        raise BatchRejected(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise BatchRejected(f"{path}: empty file (no header, no rows)")
    text, _ = _decode(path)
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    known = set(KCS_COLUMNS) | set(LABELS)
    missing = [c for c in KCS_COLUMNS if c not in header]
    extra = [c for c in header if c not in known]
    if missing or extra:
        parts = ([f"missing KCS columns {missing}"] if missing else []) + (
            [f"unexpected columns {extra}"] if extra else [])
        hint = " (one column only: wrong delimiter?)" if len(header) == 1 else ""
        raise BatchRejected(f"{path}: line 1: {'; '.join(parts)}{hint}")
    present = [c for c in LABELS if c in header]
    if len(present) == 1:
        raise BatchRejected(f"{path}: line 1: label columns must come together: has {present[0]!r} only")
    rows = list(reader)
    if not any(rows):
        raise BatchRejected(f"{path}: no data rows")
    return header, rows


def _label(fraud: str, critical: str) -> tuple[str, str] | tuple[str, None] | None:
    fraud, critical = fraud.strip(), critical.strip()
    if critical == "2":
        return "seizure", "critical"
    if fraud == "1" or critical == "1":
        return "irregularity", "undervaluation"
    if fraud == "0" and critical == "0":
        return "no_finding", None
    return None  # not a label we understand: the record is staged with an empty result and quarantined


def unique_item_ids(ids: list[str | None]) -> list[str | None]:
    """Item ids as the importer names them: a Declaration ID found more than once in a file becomes
    ``<id>-1``, ``<id>-2``, ... in file order; None (a malformed line) stays None."""
    counts = Counter(i for i in ids if i is not None)
    seen: Counter = Counter()
    out = []
    for item in ids:
        if item is not None and counts[item] > 1:
            seen[item] += 1
            item = f"{item}-{seen[item]}"
        out.append(item)
    return out


def stage_kcs_file(path: Path, settings: Settings, day_from: dt.date | None = None,
                   day_to: dt.date | None = None) -> tuple[KcsFileReport, dict[str, dict[dt.date, Path]]]:
    """Split one KCS file into per-day staged landing files; returns source -> day -> staged file."""
    header, rows = read_kcs(path)
    index = {name: i for i, name in enumerate(header)}
    labelled = all(c in index for c in LABELS)
    report = KcsFileReport(str(path), labelled=labelled)
    id_col, date_col = index["Declaration ID"], index["Date"]
    rows = [r for r in rows if r]
    item_ids = unique_item_ids([r[id_col].strip() if len(r) == len(header) else None for r in rows])
    per_day: dict[dt.date, list[list[str]]] = defaultdict(list)
    labels: dict[dt.date, list[list[str]]] = defaultdict(list)
    day = None
    for row, item in zip(rows, item_ids):
        if len(row) == len(header):
            try:
                day = dt.date.fromisoformat(row[date_col].strip())
            except ValueError:
                pass
        if day is None or (day_from and day < day_from) or (day_to and day > day_to):
            continue
        if len(row) != len(header):
            per_day[day].append(row)   # stays malformed: the reader quarantines it
            continue
        report.renamed_ids += item != row[id_col].strip()
        values = [item if c == "Declaration ID" else row[index[c]] for c in KCS_COLUMNS]
        per_day[day].append(values)
        if labelled:
            outcome = _label(row[index["Fraud"]], row[index["Critical Fraud"]])
            result, category = outcome if outcome else ("", None)
            date = row[date_col].strip()
            labels[day].append([f"KCS{item}", date, "cargo", item, date, row[index["Office ID"]].strip(),
                                "manual", "documents", result, category or "", "", ""])
    report.rows = sum(len(v) for v in per_day.values())
    report.days = len(per_day)
    stem = f"kcs_{path.stem}.csv"
    staged: dict[str, dict[dt.date, Path]] = {"declarations": {}, "inspections": {}}
    for source, contract, table in (("declarations", DECLARATIONS, per_day), ("inspections", INSPECTIONS, labels)):
        for day, day_rows in table.items():
            target = settings.landing_dir / source / day.isoformat() / stem
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{stem}.tmp")
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(contract.columns)
                writer.writerows(day_rows)
            tmp.replace(target)
            staged[source][day] = target
    return report, staged


def import_kcs(paths: list[Path], settings: Settings | None = None, day_from: dt.date | None = None,
               day_to: dt.date | None = None, check_volume: bool = False) -> list[KcsFileReport]:
    """Stage and load KCS files. A file that cannot be read at all gets ``error`` and loads nothing.

    ``check_volume`` is off by default: the KCS files are a sample of inspected declarations (~100 a day)
    whose real holiday collapses (Seollal, Chuseok) would be rejected by the live-feed volume band.
    """
    settings = settings or get_settings()
    reports = []
    for path in map(Path, paths):
        try:
            report, staged = stage_kcs_file(path, settings, day_from, day_to)
        except BatchRejected as exc:
            reports.append(KcsFileReport(str(path), error=str(exc).removeprefix(f"{path}: ")))
            continue
        if not report.days:
            report.error = f"no rows between {day_from or 'the start'} and {day_to or 'the end'}"
            reports.append(report)
            continue
        for source in ("declarations", "inspections"):
            if not staged[source]:
                continue
            day_files = {day: landing_files(source, day, settings) for day in staged[source]}
            try:
                loaded = load_days(source, day_files, settings, check_volume=check_volume)
            except BatchRejected as exc:
                report.error = str(exc)
                break
            setattr(report, source, loaded)
        reports.append(report)
    return reports
