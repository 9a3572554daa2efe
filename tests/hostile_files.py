"""Broken copies of a simulated day's landing files, one function per kind of damage a real feed does.

Shared by tests/test_hostile_input.py (each class x each source) and its warehouse-build tests. A file
is edited as records of text (CSV through ``csv``, JSONL through ``json``) and written back the way the
sender would have: same columns, one line a row, a final newline unless the damage removes it.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from core.contracts import Contract

TWENTY_THREE_DIGITS = "1" + "0" * 22
LATIN1_TEXT = "Äpfel"              # decodes as CP949 to '훡fel': must be refused, not guessed
KOREAN_TEXT = "건조 오징어"          # dried squid, as a Korean feed sends it in EUC-KR


def read_records(path: Path, contract: Contract) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if contract.fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return list(csv.DictReader(io.StringIO(text)))


def render(records: list[dict], contract: Contract) -> str:
    if contract.fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=contract.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def write_records(path: Path, contract: Contract, records: list[dict], encoding: str = "utf-8") -> None:
    path.write_bytes(render(records, contract).encode(encoding))


def text_field(contract: Contract) -> str:
    """A column that carries text: free text where the contract has one, else the first plain code column."""
    plain = [f for f in contract.fields if f.dtype == "string" and not f.allowed and f.name != contract.key]
    free = [f for f in plain if not f.pattern]
    return (free or plain)[0].name


def numeric_fields(contract: Contract) -> list[str]:
    return [f.name for f in contract.fields if f.dtype in ("int", "float")]


def day_value(contract: Contract, text_date: str) -> str:
    """The day column's value for a date text: a timestamp column keeps a time of day."""
    return f"{text_date}T10:00:00" if contract.field(contract.day_column).dtype == "timestamp" else text_date


# --- damage that leaves bad rows (quarantined; the rest of the file loads) ------------------------------

def impossible_dates(records: list[dict], contract: Contract) -> dict[int, str]:
    """Rows 0 and 1 get a date that matches the pattern but is no day. Returns {record index: column}."""
    records[0][contract.day_column] = day_value(contract, "2026-02-30")
    records[1][contract.day_column] = day_value(contract, "2026-03-32")
    return {0: contract.day_column, 1: contract.day_column}


def out_of_range_numbers(records: list[dict], contract: Contract) -> dict[int, str]:
    """An overflowing float (1e999 -> inf) and a 23-digit integer, in the source's numeric columns."""
    first, last = numeric_fields(contract)[0], numeric_fields(contract)[-1]
    records[0][first] = "1e999"
    records[1][last] = TWENTY_THREE_DIGITS
    return {0: first, 1: last}


def repeated_ids(records: list[dict], contract: Contract, yesterday: list[dict]) -> dict[int, str]:
    """Record 0 re-sends yesterday's first id; a copy of record 2 (other values) is appended at the end."""
    records[0][contract.key] = yesterday[0][contract.key]
    copy = dict(records[2])
    copy[text_field(contract)] = records[3][text_field(contract)]
    records.append(copy)
    return {0: contract.key, len(records) - 1: contract.key}


def korean_text(records: list[dict], contract: Contract) -> str:
    """Korean text in a text column of record 0; the file is then written in EUC-KR by the caller."""
    column = text_field(contract)
    records[0][column] = KOREAN_TEXT
    return column


# --- damage that refuses the whole file ------------------------------------------------------------------

def cut_mid_row(path: Path) -> None:
    """A transfer that stopped at 60 % of the bytes, inside a row, with no final newline."""
    data = path.read_bytes()
    cut = int(len(data) * 0.6)
    while data[cut - 1:cut] in (b"\n", b","):   # land inside a field, as a broken connection would
        cut += 1
    path.write_bytes(data[:cut])


def last_row_short(path: Path) -> None:
    """The last row lost its last fields, but the sender still closed the line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    last = lines[-1]
    lines[-1] = last[: len(last) // 2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def far_below_recent_days(path: Path, contract: Contract) -> None:
    """Cut at a line boundary to a tenth of the rows: each line whole, the file complete to the eye."""
    records = read_records(path, contract)
    write_records(path, contract, records[: max(2, len(records) // 10)])


def latin1(path: Path, contract: Contract) -> None:
    records = read_records(path, contract)
    records[0][text_field(contract)] = LATIN1_TEXT
    write_records(path, contract, records, encoding="latin-1")


def with_bom(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
