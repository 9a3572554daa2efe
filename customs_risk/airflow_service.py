"""Airflow as a long-running service on the project home: ``customs-risk airflow``.

Starts the scheduler, DAG processor, triggerer (it runs the landing folder's watcher) and API server
(the UI) as one process group, so stopping it (SIGTERM, Ctrl-C) stops every component and every task
process they started: no orphans. Each component logs to ``<home>/airflow/logs/<component>.log``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.settings import Settings
from customs_risk.airflow_config import (ADMIN_USER, DEFAULT_PORT, admin_password, airflow_env, password_path,
                                         write_config)
from customs_risk.airflow_runner import migrate

log = logging.getLogger(__name__)
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
STOP_SECONDS = 30.0


class AirflowService:
    """The components of one Airflow, started together and stopped together (a context manager)."""

    def __init__(self, settings: Settings, port: int = DEFAULT_PORT, extra_env: dict[str, str] | None = None,
                 components: tuple[str, ...] = COMPONENTS, commands: dict[str, list[str]] | None = None, **config):
        """``components`` are ``airflow`` subcommands; ``commands`` other processes of the same service
        ({name: argv}, e.g. a Celery worker or an MLflow server), started after them in the same group."""
        self.settings, self.port, self.components = settings, port, components
        self.commands = commands or {}
        write_config(settings, port=port, **config)
        self.env = {**os.environ, **airflow_env(settings, port=port, **config), **(extra_env or {})}
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.pgid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AirflowService":
        migrate(self.settings, self.env)
        logs = self.settings.airflow_home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        airflow = str(Path(sys.executable).with_name("airflow"))
        commands = {name: [airflow, name] + (["--port", str(self.port)] if name == "api-server" else [])
                    for name in self.components} | self.commands
        for name, command in commands.items():
            with (logs / f"{name}.log").open("ab") as out:
                process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, process_group=self.pgid or 0)
            self.pgid = self.pgid or process.pid
            self.processes[name] = process
        log.info("Airflow %s started (process group %s), logs in %s", ", ".join(commands), self.pgid, logs)
        return self

    def api(self, path: str) -> dict:
        """GET ``/api/v2/<path>`` as the admin (a token from the simple auth manager, fetched once)."""
        if not getattr(self, "_token", None):
            body = json.dumps({"username": ADMIN_USER, "password": admin_password(self.settings)}).encode()
            request = urllib.request.Request(f"{self.url}/auth/token", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                self._token = json.load(response)["access_token"]
        request = urllib.request.Request(f"{self.url}/api/v2/{path}", headers={"Authorization": f"Bearer {self._token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs, oldest first: dag_run_id, logical_date, state, ..."""
        return self.api(f"dags/{dag_id}/dagRuns?order_by=run_after&limit=100")["dag_runs"]

    def healthy(self) -> bool:
        """Every started component reports healthy on the API server's health endpoint."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as response:
                health = json.load(response)
        except (OSError, ValueError):
            return False
        wanted = {"scheduler", "dag_processor", "triggerer"} & {c.replace("-", "_") for c in self.components}
        return all((health.get(name) or {}).get("status") == "healthy" for name in wanted)

    def wait_healthy(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if self.healthy():
                return
            time.sleep(2)
        raise TimeoutError(f"Airflow not healthy at {self.url} within {timeout:.0f} s "
                           f"(logs in {self.settings.airflow_home / 'logs'})")

    def check_running(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"Airflow component(s) exited: {dead} (logs in {self.settings.airflow_home / 'logs'})")

    def processes_alive(self) -> list:
        """The components and every process they started (task processes run in process groups of their
        own, so the group alone does not reach them)."""
        import psutil

        found = []
        for process in self.processes.values():
            try:
                parent = psutil.Process(process.pid)
                found += [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        return [p for p in found if _alive(p)]

    def stop(self) -> None:
        """SIGTERM to the components' group, then SIGKILL to whatever of their tree is left after STOP_SECONDS."""
        import psutil

        if self.pgid is None:
            return
        tree = self.processes_alive()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            for process in self.processes.values():
                process.poll()
            tree = [p for p in {*tree, *self.processes_alive()} if _alive(p)]
            if not tree:
                break
            time.sleep(0.5)
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(tree, timeout=10)   # a killed process outside our children is gone only once reaped
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        log.info("Airflow stopped (process group %s)", self.pgid)
        self.pgid = None

    def __enter__(self) -> "AirflowService":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class _Stop(Exception):
    """SIGTERM or SIGINT arrived."""


def serve(service: "AirflowService", settings: Settings) -> int:
    """Run ``service`` (the embedded one, or the scale-out of customs_risk.scaleout) until SIGTERM or Ctrl-C."""
    def _stop(signum, frame):
        raise _Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        service.start()
        service.wait_healthy()
        log.info("Airflow UI at %s: user admin, password in %s", service.url, password_path(settings))
        while True:
            service.check_running()
            time.sleep(1)
    except _Stop as stop:
        log.info("%s: stopping Airflow", stop)
        return 0
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
