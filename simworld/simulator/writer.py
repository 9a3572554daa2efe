"""Landing and truth files: contract column order, raw text the ingest stage can read back exactly.

Files are written to a temporary name and renamed, so a sensor never sees half a file.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from core.contracts import Contract

_SPECIAL = r'[,"\r\n]'


def landing_path(landing_dir: Path, contract: Contract, day) -> Path:
    return Path(landing_dir) / contract.name / day.isoformat() / contract.file_name


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
    return path


def write_landing(frame: pd.DataFrame, contract: Contract, path: Path) -> Path:
    if list(frame.columns) != contract.columns:
        raise ValueError(f"{contract.name}: columns {list(frame.columns)} differ from the contract's {contract.columns}")
    if contract.fmt == "jsonl":
        return _atomic(path, lambda tmp: frame.to_json(tmp, orient="records", lines=True, force_ascii=False))
    return _atomic(path, lambda tmp: _write_csv(frame, tmp))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, header unquoted, empty field for a missing value; values are quoted only if a text
    field holds a comma, quote or line break."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    needs_quotes = any(pc.any(pc.match_substring_regex(col, _SPECIAL)).as_py()
                       for col in table.columns if pa.types.is_string(col.type) or pa.types.is_large_string(col.type))
    with open(path, "wb") as out:
        out.write((",".join(frame.columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, out, pacsv.WriteOptions(
            include_header=False, quoting_style="needed" if needs_quotes else "none"))


def write_truth(frame: pd.DataFrame, path: Path) -> Path:
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
