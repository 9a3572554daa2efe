"""Generate the dbt side of the data contracts.

The yml files under ``dbt_project/models/staging`` derive from ``core.contracts`` and are committed:

- ``__sources.yml``: the ``raw`` schema, one table per contract, typed columns with the contract's
  descriptions, and a freshness check on the ``_loaded_at`` lineage column;
- ``stg_<source>.yml``, one per staging model (the jaffle-shop habit: beside ``stg_<source>.sql``):
  its columns in order, descriptions and tests (``unique``/``not_null`` on the key, ``not_null`` on
  required fields, ``accepted_values`` from ``Field.allowed``). The model's SQL casts exactly these
  columns to their ``__sources.yml`` types (``macros/staging.sql``), so no cast list is written by hand.

``python -m transform.dbt_sources`` rewrites them (and removes generated files no contract asks for);
``tests/test_dbt_project.py`` checks the committed files equal what the contracts generate, so a
contract change cannot silently drift.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from core.settings import PROJECT_ROOT
from core.contracts import CONTRACTS, LINEAGE, QUARANTINE_COLUMNS, SQL_TYPES, Contract, Field

STAGING_DIR = PROJECT_ROOT / "dbt_project" / "models" / "staging"
SOURCES_FILE = STAGING_DIR / "__sources.yml"

# Lineage columns carried into staging, under these names.
STAGING_LINEAGE = {"_batch_date": "batch_date", "_loaded_at": "loaded_at"}

HEADER = (
    "# GENERATED from core/contracts.py by `python -m transform.dbt_sources`; do not edit by hand.\n"
    "# tests/test_dbt_project.py fails when this file and the contracts disagree.\n"
)


def _description(f: Field) -> str:
    text = f.description or f.name
    if f.pseudonym_as:
        text = f"{text} Keyed hash (HMAC-SHA256) of the raw `{f.name}`; the raw value never reaches the warehouse."
    return text


def sources_dict() -> dict[str, Any]:
    tables = []
    for contract in CONTRACTS.values():
        columns = [
            {"name": f.warehouse_name, "data_type": SQL_TYPES[f.warehouse_dtype], "description": _description(f)}
            for f in contract.warehouse_fields
        ]
        columns += [{"name": name, "data_type": dtype, "description": text} for name, (dtype, text) in LINEAGE.items()]
        tables.append({"name": contract.table, "description": contract.description, "columns": columns})
    tables.append({
        "name": "quarantine",
        "description": "Rows of every source that failed their contract, with the reason; one partition per source and batch day.",
        "config": {"loaded_at_field": "quarantined_at", "freshness": None},
        "columns": [{"name": name, "data_type": dtype, "description": text}
                    for name, (dtype, text) in QUARANTINE_COLUMNS.items()],
    })
    return {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Validated landing rows written by the ingest DAGs (one table per data contract). "
                "Rows that failed validation are in raw.quarantine, not here.",
                "config": {
                    "loaded_at_field": "_loaded_at",
                    "freshness": {
                        "warn_after": {"count": 26, "period": "hour"},
                        "error_after": {"count": 50, "period": "hour"},
                    },
                },
                "tables": tables,
            }
        ],
    }


def _column_tests(contract: Contract, f: Field) -> list[Any]:
    tests: list[Any] = []
    if f.warehouse_name == contract.key:
        tests += ["unique", "not_null"]
    elif f.required:
        tests.append("not_null")
    if f.allowed:
        tests.append({"accepted_values": {"arguments": {"values": list(f.allowed)}}})
    return tests


def staging_models() -> list[dict[str, Any]]:
    """One properties entry per staging model: its columns (in the order its SQL selects them) and tests."""
    models = []
    for contract in CONTRACTS.values():
        columns = []
        for f in contract.warehouse_fields:
            column: dict[str, Any] = {"name": f.warehouse_name, "description": _description(f)}
            tests = _column_tests(contract, f)
            if tests:
                column["data_tests"] = tests
            columns.append(column)
        for raw_name, name in STAGING_LINEAGE.items():
            columns.append({"name": name, "description": LINEAGE[raw_name][1], "data_tests": ["not_null"]})
        models.append({
            "name": f"stg_{contract.name}",
            "description": f"{contract.description} Typed and renamed from raw.{contract.table}; one row per {contract.key}.",
            "columns": columns,
        })
    models.append({
        "name": "stg_quarantine",
        "description": "Quarantined rows of every source (raw.quarantine), typed: what was rejected, from which file and why.",
        "columns": [
            {"name": name, "description": text,
             **({"data_tests": ["not_null"]} if name in ("source", "batch_date", "expectation") else {})}
            for name, (_, text) in QUARANTINE_COLUMNS.items()
        ],
    })
    return models


def render(data: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def expected_files() -> dict[Path, str]:
    """Every generated file and the text the contracts say it must have."""
    files = {SOURCES_FILE: render(sources_dict())}
    for model in staging_models():
        files[STAGING_DIR / f"{model['name']}.yml"] = render({"version": 2, "models": [model]})
    return files


def _orphans(expected: dict[Path, str]) -> list[Path]:
    """Generated files (they start with HEADER) that no contract asks for any more."""
    return [path for path in sorted(STAGING_DIR.glob("*.yml"))
            if path not in expected and path.read_text().startswith(HEADER)]


def stale_files() -> list[Path]:
    expected = expected_files()
    stale = [path for path, text in expected.items() if not path.exists() or path.read_text() != text]
    return stale + _orphans(expected)


def write() -> list[Path]:
    """Rewrite the generated files that differ, remove the orphans; return what changed."""
    expected = expected_files()
    written = _orphans(expected)
    for path in written:
        path.unlink()
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path}")
        return 1 if stale else 0
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
