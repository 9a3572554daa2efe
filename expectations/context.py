"""The Great Expectations context of a project home, configured once.

GE is imported here, inside functions, so importing this module stays cheap for DAG parsing. Its loggers
are set to WARNING here (and only here): under Airflow they would otherwise print hundreds of INFO lines.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

NOISY_LOGGERS = ("great_expectations", "great_expectations.core", "great_expectations.data_context")


def quiet_ge_logging() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # GE switches on logging.captureWarnings at import; give warnings back to the warnings module.
    logging.captureWarnings(False)


@lru_cache(maxsize=4)
def get_context(gx_dir: Path):
    """A file-backed context under the project home, so Data Docs accumulate across runs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_ge_logging()
    gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    quiet_ge_logging()
    return context


def data_docs_index(gx_dir: Path) -> Path:
    return gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def validation_results_dir(gx_dir: Path) -> Path:
    return gx_dir / "gx" / "uncommitted" / "validations"


def drop_unexpected_values(gx_dir: Path, result_key, keep: str) -> None:
    """Keep only the ``keep`` column (the line) of each failing row in a stored validation result.

    GE stores the failing values themselves, which may be personal identifiers (a malformed clearance
    code or passport number): they stay in the landing file and quarantine, not in the GE store."""
    import json

    path = validation_results_dir(gx_dir).joinpath(*result_key.to_tuple()).with_suffix(".json")
    stored = json.loads(path.read_text(encoding="utf-8"))
    for item in stored.get("results", []):
        result = item.get("result") or {}
        for name in ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts"):
            if name in result:
                result[name] = []
        if result.get("unexpected_index_list"):
            result["unexpected_index_list"] = [{keep: e[keep]} if isinstance(e, dict) else e
                                               for e in result["unexpected_index_list"]]
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")


def publish_data_docs(gx_dir: Path) -> Path:
    """After GE has built Data Docs: make every page work offline and put our index in front."""
    from expectations.docs_index import write_index
    from expectations.offline_site import localise_site

    site = data_docs_index(gx_dir).parent
    localise_site(site)
    return write_index(site, validation_results_dir(gx_dir))
