"""A small simulated world for the desk's tests, made by the real stages: simulate a few days, ingest,
dbt build, train the express lane, score (and so publish) its last day, add one user per role."""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, get_settings
from simworld.oracle import ORACLE

LANE = "express"
START, DAYS, SCALE = dt.date(2026, 3, 2), 4, 0.003
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
SOURCES = ("declarations", "shipments", "travellers", "cctv_events", "inspections")
PASSWORD = "correct horse battery staple"
# name -> (role, office, lane)
USERS = {
    "ana": ("analyst", "IEX", LANE),
    "ben": ("analyst", "GEX", LANE),
    "sue": ("supervisor", None, LANE),
    "tom": ("supervisor", None, "cargo"),
    "adm": ("admin", None, None),
}


@dataclass
class DeskWorld:
    settings: Settings
    day: dt.date
    lane: str = LANE


def desk_env(home: Path) -> dict[str, str]:
    """The environment the world's stages run with (every CUSTOMS_RISK_* set here, nothing inherited)."""
    return {"CUSTOMS_RISK_HOME": str(home), "CUSTOMS_RISK_ALLOW_DEMO_KEY": "1", "CUSTOMS_RISK_ORACLE": ORACLE,
            "CUSTOMS_RISK_LANES": LANE}


def build_desk_world(home: Path, monkeypatch) -> DeskWorld:
    """Call inside a module-scoped MonkeyPatch context; returns the settings the stages used."""
    from customs_risk import stages
    from customs_risk.desk.auth import add_user
    from customs_risk.desk.store import Store
    from simworld.simulator import simulate_day

    for name in [n for n in os.environ if n.startswith("CUSTOMS_RISK_")]:
        monkeypatch.delenv(name)
    for name, value in desk_env(home).items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    for i in range(DAYS):
        day = START + dt.timedelta(days=i)
        simulate_day(day, settings, scale=SCALE)
        for source in SOURCES:
            stages.ingest(source, day, settings)
    stages.transform(settings=settings)
    stages.train(LANE, settings, trials=0)   # the first model becomes champion
    stages.score(LANE, LAST_DAY, settings)
    store = Store(settings.desk_url)
    for name, (role, office, lane) in USERS.items():
        add_user(store, name, role, office, lane, PASSWORD)
    return DeskWorld(settings, LAST_DAY)


def sign_in(client, name: str, password: str = PASSWORD):
    """Sign a TestClient in through the real form (its CSRF token included)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


def csrf_of(client, path: str = "/") -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@contextmanager
def running_desk(home: Path, timeout: float = 60.0):
    """``customs-risk desk`` in its own process on a free loopback port; yields its base URL."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMS_RISK_")} | desk_env(home)
    process = subprocess.Popen([sys.executable, "-m", "customs_risk.cli", "desk", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the desk did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
