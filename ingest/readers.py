"""Read a landing file into a frame of raw text with the file's line numbers.

Nothing is typed here: the contract's suite judges the text as the sender wrote it. Problems that make
the whole file unreadable (empty, undecodable, wrong header) raise ``BatchRejected`` naming the file;
problems of single lines (wrong number of fields, a JSON line that is not JSON) come back as
``LineError``s for quarantine.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.contracts import LINE_COLUMN, Contract

# UTF-8 (a byte-order mark is allowed and dropped), then the Korean legacy encodings: EUC-KR, and CP949,
# the superset of EUC-KR that Korean systems still emit. Nothing else is guessed.
ENCODINGS = ("utf-8", "euc-kr", "cp949")
LINE, FILE = LINE_COLUMN, "_source_file"


class BatchRejected(ValueError):
    """The batch cannot load at all; the message names the file and the problem."""


@dataclass
class LineError:
    line: int
    reason: str
    raw: str


def read_landing_file(path: Path, contract: Contract) -> tuple[pd.DataFrame, list[LineError]]:
    if not path.exists():
        raise BatchRejected(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise BatchRejected(f"{path}: empty file (no header, no rows)")
    if contract.fmt == "jsonl":
        frame, errors = _read_jsonl(path, contract)
    else:
        frame, errors = _read_csv(path, contract)
    frame[FILE] = str(path)
    return frame, errors


def check_columns(path: Path, contract: Contract, columns: list[str]) -> None:
    missing = [c for c in contract.columns if c not in columns]
    extra = [c for c in columns if c not in contract.columns]
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if extra:
        parts.append(f"unexpected columns {extra}")
    hint = ""
    if len(columns) == 1 and contract.fmt == "csv":
        hint = " (one column only: wrong delimiter, or no header line?)"
    elif missing and all(c not in contract.columns for c in columns):
        hint = " (no known column in line 1: is the header line missing?)"
    raise BatchRejected(f"{path}: line 1: {'; '.join(parts)}{hint}")


def _decode(path: Path) -> tuple[str, str]:
    """The file's text and encoding; ``utf-8`` only for plain UTF-8 without a byte-order mark."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_as(path, data[3:], "utf-8"), "utf-8-sig"
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp949":
            _check_plausible_cp949(path, text)
        return text, encoding
    raise BatchRejected(f"{path}: not valid text in any of {', '.join(ENCODINGS)} (re-send it as UTF-8)")


def _decode_as(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BatchRejected(f"{path}: starts with a UTF-8 byte-order mark but byte {exc.start + 3} is not UTF-8") from None


def _check_plausible_cp949(path: Path, text: str) -> None:
    """CP949 decodes almost any byte pair after a high byte, so Latin-1 'Äpfel' would read as '훡fel'.

    Text that is not EUC-KR decodes as CP949 only through its extension syllables; real Korean text has
    more common (EUC-KR) characters than extension ones. Mostly extension syllables mean another encoding."""
    distinct = sorted(c for c in set(text) if ord(c) > 127)
    extension = [c for c in distinct if not _in_euc_kr(c)]
    if extension and len(extension) > len(distinct) - len(extension):
        raise BatchRejected(
            f"{path}: not UTF-8 or EUC-KR, and as CP949 it reads mostly as rare syllables "
            f"({''.join(extension[:5])!r}): another encoding such as Latin-1? Re-send it as UTF-8")


def _in_euc_kr(char: str) -> bool:
    try:
        # Python's codec spells syllables outside KS X 1001 as an 8-byte jamo sequence: not EUC-KR proper.
        return len(char.encode("euc-kr")) == 2
    except UnicodeEncodeError:
        return False


def check_complete(path: Path, text: str) -> None:
    """A file that stops without its final newline was cut in transfer: refuse it, whatever it parses to."""
    if text and not text.endswith("\n"):
        raise BatchRejected(f"{path}: ends without a final newline (last line {text.count(chr(10)) + 1} cut short?): "
                            "a truncated transfer; re-send the whole file")


def check_last_line(path: Path, errors: list[LineError], last_line: int) -> None:
    """A broken last line is how a truncated transfer usually ends: refuse the file instead of loading the rest."""
    if any(e.line == last_line for e in errors):
        reason = next(e.reason for e in errors if e.line == last_line)
        raise BatchRejected(f"{path}: last line {last_line} is cut short ({reason}): a truncated transfer; "
                            "re-send the whole file")


def _read_csv(path: Path, contract: Contract) -> tuple[pd.DataFrame, list[LineError]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text, encoding = _decode(path)
    check_complete(path, text)
    header_line = text.split("\n", 1)[0].rstrip("\r")
    if not header_line.strip():
        raise BatchRejected(f"{path}: line 1: empty header line")
    columns = [c.strip().strip('"') for c in header_line.split(",")]
    check_columns(path, contract, columns)

    errors: list[LineError] = []

    def on_invalid_row(row) -> str:
        errors.append(LineError(row.number, f"line has {row.actual_columns} fields, header has "
                                            f"{row.expected_columns}", row.text))
        return "skip"

    table = pacsv.read_csv(
        pa.py_buffer(text.encode("utf-8")) if encoding != "utf-8" else str(path),
        read_options=pacsv.ReadOptions(use_threads=False, encoding="utf8"),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=True, null_values=[""],
            quoted_strings_can_be_null=True),
    )
    check_last_line(path, errors, text.count("\n"))
    frame = table.to_pandas()
    frame.columns = columns
    skipped = sorted(e.line for e in errors)
    frame[LINE] = _good_line_numbers(len(frame), skipped)
    return frame, errors


def _good_line_numbers(n_rows: int, skipped: list[int]) -> list[int]:
    """File line numbers of the rows that parsed: data starts on line 2, skipped lines are not rows."""
    import numpy as np

    lines = np.arange(2, 2 + n_rows + len(skipped))
    if skipped:
        lines = lines[~np.isin(lines, skipped)]
    return lines[:n_rows].tolist()


def _read_jsonl(path: Path, contract: Contract) -> tuple[pd.DataFrame, list[LineError]]:
    """DuckDB parses a clean file in one pass; a file with a bad line is parsed line by line instead,
    so every bad line can be quarantined with its number."""
    text, encoding = _decode(path)
    check_complete(path, text)
    lines = text.splitlines()
    numbers = [n for n, raw in enumerate(lines, start=1) if raw.strip()]
    sample = [r for r in (_try_json(lines[n - 1]) for n in numbers[:1000]) if isinstance(r, dict)]
    if sample:
        check_columns(path, contract, list(dict.fromkeys(k for r in sample for k in r)))
    if encoding == "utf-8" and len(sample) == min(len(numbers), 1000):
        frame = _read_jsonl_duckdb(path, contract)
        if frame is not None and len(frame) == len(numbers):
            frame[LINE] = numbers
            return frame, []
    return _read_jsonl_by_line(path, contract, lines)


def _try_json(raw: str):
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None


def _read_jsonl_duckdb(path: Path, contract: Contract) -> pd.DataFrame | None:
    import duckdb

    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in contract.columns) + "}"
    try:
        with duckdb.connect() as conn:
            frame = conn.execute(
                f"select * from read_json(?, format='newline_delimited', columns={columns})", [str(path)]).df()
    except duckdb.Error:
        return None
    for column in frame.columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _read_jsonl_by_line(path: Path, contract: Contract, lines: list[str]) -> tuple[pd.DataFrame, list[LineError]]:
    records, numbers, errors = [], [], []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not valid JSON: {exc.msg} at column {exc.colno}", raw))
            continue
        if not isinstance(record, dict):
            errors.append(LineError(number, "JSON line is not an object", raw))
            continue
        records.append(record)
        numbers.append(number)
    check_last_line(path, errors, len(lines))
    if not records:
        raise BatchRejected(f"{path}: no readable JSON object in the file")
    check_columns(path, contract, list(dict.fromkeys(k for r in records[:1000] for k in r)))
    frame = pd.DataFrame.from_records(records, columns=contract.columns)
    for column in frame.columns:
        frame[column] = _as_text(frame[column])
    frame[LINE] = numbers
    return frame, errors


def _as_text(values: pd.Series) -> pd.Series:
    """JSON numbers as the text a CSV would carry; null stays null."""
    return values.astype(object).where(values.notna(), None).map(str, na_action="ignore")
