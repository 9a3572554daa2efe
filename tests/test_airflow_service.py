"""Airflow as a service, for real: scheduler, DAG processor, triggerer and API server on a free local port
against a temporary home. Simulated days dropped into the landing folder must run through the chain on
their own (the landing watcher, then Assets), keyed on their business day, and stopping must leave no
process behind. The slow test checks the warehouse equals the demo path's (dag.test, day by day)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from core.settings import PROJECT_ROOT, get_settings
from customs_risk.airflow_config import config_path
from customs_risk.airflow_service import AirflowService

PROJECT_DAGS = {"customs_risk_landing", "customs_risk_ingest", "customs_risk_transform", "customs_risk_train",
                "customs_risk_score"}
START = dt.date(2026, 3, 2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(what: str, check, timeout: float, service: AirflowService):
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.check_running()
        try:
            result = check()
        except OSError:          # the API server busy past its timeout on a loaded machine: ask again
            result = None
        if result:
            return result
        time.sleep(3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (logs: {service.settings.airflow_home / 'logs'})")


def _run_for(service: AirflowService, dag_id: str, run_id: str):
    runs = [r for r in service.runs(dag_id) if r["dag_run_id"] == run_id]
    if runs and runs[0]["state"] == "failed":
        pytest.fail(f"{dag_id} {run_id} failed (logs: {service.settings.airflow_home / 'logs'})")
    return runs[0] if runs and runs[0]["state"] == "success" else None


def _finished_after(service: AirflowService, dag_id: str, count: int):
    """The DAG's ``count``-th run once it succeeded (runs are asset-triggered, one per landed day here)."""
    runs = service.runs(dag_id)
    if any(r["state"] == "failed" for r in runs):
        pytest.fail(f"a {dag_id} run failed (logs: {service.settings.airflow_home / 'logs'})")
    done = [r for r in runs if r["state"] == "success"]
    return done[count - 1] if len(done) >= count else None


@pytest.fixture
def scheduled(settings, monkeypatch):
    """Settings for a quick chain: the express lane only, dbt rendered per layer."""
    monkeypatch.setenv("CUSTOMS_RISK_LANES", "express")
    monkeypatch.setenv("CUSTOMS_RISK_DBT_TASKS", "layer")
    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    return get_settings()


def _simulate(settings, day: dt.date, scale: float) -> None:
    from simworld.simulator import simulate_day

    simulate_day(day, settings, scale=scale)


def test_a_landed_day_runs_its_ingest_keyed_on_the_day_and_stop_leaves_nothing(scheduled):
    from core.warehouse import Warehouse

    service = AirflowService(scheduled, port=_free_port())
    text = config_path(scheduled).read_text()
    assert "load_examples = False" in text and f"dags_folder = {PROJECT_ROOT / 'dags'}" in text
    try:
        service.start()
        service.wait_healthy(timeout=240)
        dags = _wait("the project's DAGs to be parsed",
                     lambda: (d := service.api("dags?limit=100")["dags"]) and {x["dag_id"] for x in d} >= PROJECT_DAGS
                     and d, 180, service)
        assert {d["dag_id"] for d in dags} == PROJECT_DAGS          # no example DAGs
        assert not any(d["is_paused"] or d["is_stale"] for d in dags)
        time.sleep(10)
        assert service.runs("customs_risk_ingest") == []            # nothing runs for a day without files

        _simulate(scheduled, START, scale=0.002)
        run = _wait("the landed day's ingest run", lambda: _run_for(service, "customs_risk_ingest",
                                                                    f"traffic_day__{START}"), 400, service)
        assert run["logical_date"].startswith(START.isoformat())
        tree = service.processes_alive()
    finally:
        service.stop()
    assert not [p for p in tree if p.is_running() and p.status() != "zombie"], "processes left after stop"
    loaded = Warehouse(scheduled).query_df("select count(*) as n from raw.shipments where arrival_date = ?",
                                           [START])["n"].iloc[0]
    assert loaded > 0


DEMO_PATH = textwrap.dedent("""
    import datetime as dt, sys
    from core.settings import get_settings
    from customs_risk import airflow_runner
    from simworld.simulator import simulate_day
    settings = get_settings()
    airflow_runner.configure(settings)
    for day in [dt.date.fromisoformat(d) for d in sys.argv[1:]]:
        simulate_day(day, settings, scale=0.004)
        for dag_id in ("customs_risk_ingest", "customs_risk_transform", "customs_risk_train", "customs_risk_score"):
            airflow_runner.run_dag(dag_id, day)
""")
COMPARED = ("raw.shipments", "raw.inspections", "marts.fct_express_features", "scoring.daily_selection")


def _tables(settings) -> dict:
    from core.warehouse import Warehouse

    warehouse = Warehouse(settings)
    out = {}
    for table in COMPARED:
        frame = warehouse.query_df(f"select * from {table}")
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith("_") or c.endswith("_at")])
        out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


@pytest.mark.slow
def test_scheduler_chain_gives_the_demo_paths_warehouse(scheduled, tmp_path):
    import pandas as pd

    days = [START + dt.timedelta(days=i) for i in range(3)]
    service = AirflowService(scheduled, port=_free_port())
    with service:
        service.wait_healthy(timeout=240)
        for n, day in enumerate(days, start=1):
            _simulate(scheduled, day, scale=0.004)
            _wait(f"the score run after {day}", lambda: _finished_after(service, "customs_risk_score", n),
                  1500, service)
    demo_home = tmp_path / "demo"
    env = {**os.environ, "CUSTOMS_RISK_HOME": str(demo_home)}
    done = subprocess.run([sys.executable, "-c", DEMO_PATH, *[d.isoformat() for d in days]], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, done.stderr[-5000:]

    scheduled_tables = _tables(scheduled)
    lists = scheduled_tables["scoring.daily_selection"]
    assert days[-1] in set(pd.to_datetime(lists["item_date"]).dt.date), "no list for the last day"
    demo_tables = _tables(dataclasses.replace(scheduled, home=demo_home,
                                              warehouse_url=f"duckdb:///{demo_home / 'warehouse.duckdb'}"))
    for table in COMPARED:
        pd.testing.assert_frame_equal(scheduled_tables[table], demo_tables[table], check_dtype=False,
                                      obj=table)
