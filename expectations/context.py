"""A Great Expectations context for one validation, sharing no mutable state with other processes.

Each load gets an ephemeral context: its suites, checkpoints and data sources live in memory, so two
loads at once cannot trip over each other's half-written GE config files (which a shared file-backed
context did). What must outlive the load is written to files whose names are unique per run: the
validation results (one file per run) and the Data Docs pages rendered from them, so the docs still
accumulate across runs under the project home.

GE is imported here, inside functions, so importing this module stays cheap for DAG parsing. Its loggers
are set to WARNING here (and only here): under Airflow they would otherwise print hundreds of INFO lines.
"""
from __future__ import annotations

import logging
from pathlib import Path

NOISY_LOGGERS = ("great_expectations", "great_expectations.core", "great_expectations.data_context")
DOCS_SITE = "local_site"
RESULTS_STORE = "validation_results_files"


def quiet_ge_logging() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # GE switches on logging.captureWarnings at import; give warnings back to the warnings module.
    logging.captureWarnings(False)


def get_context(gx_dir: Path):
    """An ephemeral context whose validation results and Data Docs are files under ``gx_dir``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_ge_logging()
    uncommitted = gx_dir / "gx" / "uncommitted"
    uncommitted.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_store(RESULTS_STORE, {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(validation_results_dir(gx_dir))}})
    context.variables.validation_results_store_name = RESULTS_STORE
    context.update_data_docs_site(site_name=DOCS_SITE, site_config={
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(data_docs_index(gx_dir).parent)}})
    quiet_ge_logging()
    return context


def data_docs_index(gx_dir: Path) -> Path:
    return gx_dir / "gx" / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"


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
