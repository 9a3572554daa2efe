"""Shared fixtures: every test gets its own project home, so the warehouse, MLflow store and landing
files of one test never leak into another."""
from __future__ import annotations

import dataclasses
import os
import socket

import pytest

from core.settings import Settings, get_settings
from core.warehouse import Warehouse
from simworld.oracle import ORACLE
from simworld.truth import truth_dir
from synthetic_world import LANE, build_world


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh, empty home under tmp_path."""
    for name in list(os.environ):
        if name.startswith("CUSTOMS_RISK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CUSTOMS_RISK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CUSTOMS_RISK_ORACLE", ORACLE)   # the tests run on the simulated world
    return get_settings()


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is absent; fail instead when CI says it must be there."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} and REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture
def world(settings):
    """Settings with a 10 % capacity and 20 % exploration (so every office explores), plus the
    feature table and the truth files written where the stages look for them."""
    s = dataclasses.replace(settings, capacity_share={**settings.capacity_share, LANE: 0.1},
                            exploration_share=0.2)
    features, truths = build_world()
    Warehouse(s).replace_partition("marts", f"fct_{LANE}_features", features, {})
    truth_dir(s).mkdir(parents=True, exist_ok=True)
    for day, truth in truths.items():
        truth.to_parquet(truth_dir(s) / f"{day.isoformat()}.parquet")
    return s
