"""Run the dbt project (staging -> intermediate -> marts) in-process against the configured warehouse.

``run_dbt`` is the one entry point: it points dbt at ``dbt_project/`` (profiles beside it), picks the
``duckdb`` or ``postgres`` target from ``Settings.warehouse_kind``, fills the ``CUSTOMS_RISK_*``
variables the profile reads, and raises ``RuntimeError`` naming the failed nodes when dbt fails.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from customs_risk.settings import Settings, get_settings

_FAILED = {"error", "fail", "runtime error"}


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the dbt profile reads, derived from the warehouse URL."""
    env = {"CUSTOMS_RISK_DBT_TARGET": settings.warehouse_kind}
    if settings.warehouse_kind == "duckdb":
        env["CUSTOMS_RISK_DUCKDB_PATH"] = str(settings.duckdb_path)
    else:
        url = urlparse(settings.warehouse_url)
        env.update({
            "CUSTOMS_RISK_PG_HOST": url.hostname or "127.0.0.1",
            "CUSTOMS_RISK_PG_PORT": str(url.port or 5432),
            "CUSTOMS_RISK_PG_USER": unquote(url.username or "postgres"),
            "CUSTOMS_RISK_PG_PASSWORD": unquote(url.password or ""),
            "CUSTOMS_RISK_PG_DBNAME": url.path.lstrip("/") or "postgres",
        })
    return env


def _failed_nodes(result: Any) -> list[str]:
    failed = []
    for node_result in getattr(result, "results", None) or []:
        status = str(getattr(node_result, "status", "")).lower()
        status = status.rsplit(".", 1)[-1]
        if status in _FAILED:
            node = getattr(node_result, "node", None)
            name = getattr(node, "unique_id", None) or getattr(node, "name", "?")
            message = (getattr(node_result, "message", "") or "").strip().splitlines()
            failed.append(f"{name} ({status}): {message[0] if message else ''}")
    return failed


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process.

    DuckDB allows one writer per file and refuses a second connection with another configuration from
    the same process, so the warehouse must be released before Python stages (or the next run) open it.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # adapter not installed: nothing was opened
        return
    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if env is not None:
            env.close()


def run_dbt(args: list[str], settings: Settings | None = None) -> Any:
    """Invoke ``dbt <args>`` in-process; return the dbtRunnerResult's ``result`` (e.g. RunExecutionResult)."""
    from dbt.cli.main import dbtRunner

    settings = settings or get_settings()
    if settings.warehouse_kind == "duckdb":
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update(dbt_env(settings))
    project_dir = str(settings.dbt_project_dir)
    log_path = settings.home / "logs" / "dbt"
    log_path.mkdir(parents=True, exist_ok=True)
    command, rest = args[0], list(args[1:])
    full_args = [
        command, *rest,
        "--project-dir", project_dir,
        "--profiles-dir", project_dir,
        "--target-path", str(settings.dbt_target_dir),
        "--log-path", str(log_path),
        "--target", settings.warehouse_kind,
    ]
    try:
        outcome = dbtRunner().invoke(full_args)
    finally:
        if settings.warehouse_kind == "duckdb":
            _release_duckdb()
    if not outcome.success:
        failed = _failed_nodes(outcome.result)
        detail = "; ".join(failed) if failed else repr(outcome.exception)
        raise RuntimeError(f"dbt {' '.join(args)} failed: {detail} (log: {log_path / 'dbt.log'})")
    return outcome.result


def build(settings: Settings | None = None, select: str | None = None, full_refresh: bool = False) -> Any:
    """``dbt build``: models, their data tests and unit tests, in DAG order."""
    args = ["build"]
    if select:
        # Cautious: a test that also reads a model outside the selection waits for that model's build.
        args += ["--select", select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(args, settings)


def docs(settings: Settings | None = None) -> Path:
    """Generate the dbt docs site; return the path of its index.html."""
    settings = settings or get_settings()
    run_dbt(["docs", "generate"], settings)
    return settings.dbt_target_dir / "index.html"


def parse(settings: Settings | None = None) -> Path:
    """Parse the project and write manifest.json (for rendering dbt in Airflow); return its path."""
    settings = settings or get_settings()
    run_dbt(["parse"], settings)
    return settings.dbt_target_dir / "manifest.json"
