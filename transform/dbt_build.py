"""Run the dbt project (staging -> intermediate -> marts) in-process against the configured warehouse.

``run_dbt`` is the one entry point: it points dbt at ``dbt_project/`` (profiles beside it), picks the
``duckdb`` or ``postgres`` target from ``Settings.warehouse_kind``, fills the ``CUSTOMS_RISK_*``
variables the profile reads, and raises ``RuntimeError`` naming the failed nodes when dbt fails.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from core.settings import PROJECT_ROOT, Settings, get_settings

# The committed, pruned manifest the transform DAG is rendered from (one Airflow task per dbt model/seed).
DAG_MANIFEST = PROJECT_ROOT / "dbt_project" / "manifest" / "manifest.json"
_BUILT = ("model", "seed", "snapshot")
_NODE_KEYS = ("name", "resource_type", "package_name", "original_file_path", "fqn")
_FAILED = {"error", "fail", "runtime error"}


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the dbt profile reads, derived from the warehouse URL."""
    env = {"CUSTOMS_RISK_DBT_TARGET": settings.warehouse_kind}
    if settings.warehouse_kind == "duckdb":
        env["CUSTOMS_RISK_DUCKDB_PATH"] = str(settings.duckdb_path)
        env["CUSTOMS_RISK_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
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


NODE_TIMINGS = "node_timings.jsonl"


def _record_node_timings(result: Any, path: Path) -> None:
    """One line per node run (finished_at, node, type, status, seconds), appended: what an operator reads to
    find the slow models of a day's build whatever the DAG's task split, and what ``make bench-day`` reports."""
    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    lines = []
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        if node is None:
            continue
        lines.append(json.dumps({"finished_at": finished, "node": node.unique_id, "type": str(node.resource_type),
                                 "status": str(node_result.status), "seconds": round(node_result.execution_time, 3)}))
    if lines:
        with path.open("a") as out:
            out.write("\n".join(lines) + "\n")


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
    _record_node_timings(outcome.result, log_path / NODE_TIMINGS)
    if not outcome.success:
        failed = _failed_nodes(outcome.result)
        detail = "; ".join(failed) if failed else repr(outcome.exception)
        raise RuntimeError(f"dbt {' '.join(args)} failed: {detail} (log: {log_path / 'dbt.log'})")
    return outcome.result


def build(settings: Settings | None = None, select: str | None = None, full_refresh: bool = False,
          light: bool = False, vars: dict | None = None) -> Any:
    """``dbt build``: models, their data tests and unit tests, in DAG order.

    ``light`` is for the many small per-model builds of the transform DAG: relations are looked up on
    demand instead of caching every schema first, and the target's JSON artifacts are not rewritten
    (``run_dbt`` still names failed nodes from the in-memory result). Saves ~0.6 s of ~1 s per call.
    """
    args = ["build"]
    if light:
        args += ["--no-populate-cache", "--no-write-json"]
    if select:
        # Cautious: a test that also reads a model outside the selection waits for that model's build.
        args += ["--select", select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    if vars:
        args += ["--vars", json.dumps(vars)]
    return run_dbt(args, settings)


def docs(settings: Settings | None = None) -> Path:
    """Generate the dbt docs site; return the path of its index.html."""
    settings = settings or get_settings()
    run_dbt(["docs", "generate"], settings)
    return settings.dbt_target_dir / "index.html"


def parse(settings: Settings | None = None, dag_manifest: Path | None = DAG_MANIFEST) -> Path:
    """Parse the project; write the full manifest.json to the target dir and, unless ``dag_manifest`` is
    None, the pruned copy the transform DAG is rendered from. Return the path of the pruned copy (or of
    the full manifest when none is written)."""
    settings = settings or get_settings()
    run_dbt(["parse"], settings)
    full = settings.dbt_target_dir / "manifest.json"
    if dag_manifest is None:
        return full
    text = render_dag_manifest(json.loads(full.read_text()))
    dag_manifest.parent.mkdir(parents=True, exist_ok=True)
    if not dag_manifest.exists() or dag_manifest.read_text() != text:
        dag_manifest.write_text(text)
    return dag_manifest


def prune_manifest(manifest: dict) -> dict:
    """The part of dbt's manifest.json the DAG needs, without paths, timestamps or SQL (so it is
    deterministic and small enough to commit): every node's name, type, file, materialization and
    depends_on, in the manifest's own shape (a manifest reader sees a valid, if thin, manifest)."""
    nodes = {}
    for unique_id in sorted(manifest["nodes"]):
        node = manifest["nodes"][unique_id]
        if node.get("package_name") != manifest["metadata"].get("project_name", node.get("package_name")):
            continue
        pruned = {key: node.get(key) for key in _NODE_KEYS}
        pruned["config"] = {"materialized": (node.get("config") or {}).get("materialized")}
        pruned["depends_on"] = {"nodes": sorted(set((node.get("depends_on") or {}).get("nodes") or []))}
        nodes[unique_id] = pruned
    metadata = manifest["metadata"]
    return {"metadata": {"dbt_schema_version": metadata.get("dbt_schema_version"),
                         "dbt_version": metadata.get("dbt_version"),
                         "project_name": metadata.get("project_name")},
            "nodes": nodes}


def render_dag_manifest(manifest: dict) -> str:
    return json.dumps(prune_manifest(manifest), indent=1, sort_keys=True) + "\n"


def dag_plan(manifest_path: Path = DAG_MANIFEST) -> list[dict] | None:
    """One build step per model/seed/snapshot of a manifest.json, in dependency order; None if absent.

    Plain ``json``, no dbt import: this runs when Airflow parses the DAG file. Each step is
    ``{"task_id", "group", "select", "upstream"}``: ``select`` is the node's name plus the tests that
    read more than one built node (relationships, singular tests), which ``--indirect-selection
    cautious`` would otherwise never run. Such a test goes to the parent built last (topologically),
    and the step gets every other parent as an extra upstream, so the test sees them all built.
    """
    if not manifest_path.exists():
        return None
    nodes = json.loads(manifest_path.read_text())["nodes"]
    built = {uid: node for uid, node in nodes.items() if node["resource_type"] in _BUILT}
    upstream = {uid: set(_built_parents(nodes, built, uid)) for uid in built}
    order = _topological(upstream)
    position = {uid: i for i, uid in enumerate(order)}
    extra_tests: dict[str, list[str]] = {uid: [] for uid in built}
    for uid, node in nodes.items():
        parents = _built_parents(nodes, built, uid) if node["resource_type"] == "test" else []
        if len(parents) < 2:
            continue  # one parent: its step's cautious indirect selection runs it
        owner = max(parents, key=position.__getitem__)
        extra_tests[owner].append(node["name"])
        upstream[owner] |= set(parents) - {owner}
    return [{"task_id": _task_id(built[uid]), "group": _group(built[uid]),
             "select": " ".join([built[uid]["name"], *sorted(extra_tests[uid])]),
             "upstream": sorted(_task_id(built[p]) for p in upstream[uid])}
            for uid in order]


def _built_parents(nodes: dict, built: dict, uid: str) -> list[str]:
    """Nearest built ancestors (through ephemeral or other non-built nodes)."""
    out, stack, seen = [], list(nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])), set()
    while stack:
        parent = stack.pop()
        if parent in seen:
            continue
        seen.add(parent)
        if parent in built:
            out.append(parent)
        elif parent in nodes:
            stack.extend(nodes[parent]["depends_on"]["nodes"])
    return sorted(out)


def _topological(upstream: dict[str, set[str]]) -> list[str]:
    """Parents before children; ties in name order, so the plan is the same on every parse."""
    order: list[str] = []
    done: set[str] = set()

    def visit(uid: str) -> None:
        if uid in done:
            return
        done.add(uid)
        for parent in sorted(upstream[uid]):
            visit(parent)
        order.append(uid)

    for uid in sorted(upstream):
        visit(uid)
    return order


def _task_id(node: dict) -> str:
    return f"{node['resource_type']}_{node['name']}" if node["resource_type"] != "model" else node["name"]


def _group(node: dict) -> str:
    if node["resource_type"] != "model":
        return node["resource_type"] + "s"
    parts = node["original_file_path"].split("/")
    return parts[1] if len(parts) > 2 else "models"


def main(argv: list[str] | None = None) -> int:
    """``python -m transform.dbt_build manifest [--check]``: (re)write or check the DAG manifest."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Write the pruned dbt manifest the transform DAG is rendered from.")
    parser.add_argument("command", choices=["manifest"])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed manifest is stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = parse(dag_manifest=Path(tmp) / "manifest.json").read_text()
        stale = not DAG_MANIFEST.exists() or DAG_MANIFEST.read_text() != fresh
        print(f"{'stale' if stale else 'up to date'}: {DAG_MANIFEST}")
        return 1 if stale else 0
    print(f"wrote {parse()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
