"""Which landing days trigger an ingest, and the airflow.cfg the project writes (no Airflow started)."""
from __future__ import annotations

import configparser
import datetime as dt
import json
import os

from core.contracts import CONTRACTS
from customs_risk.airflow_config import admin_password, config_path, write_config
from customs_risk.landing import claim_ready_days, ready_days

DAY, NEXT = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def _land(landing, day, sources, age_s: float, now: float) -> None:
    for source in sources:
        path = landing / source / day.isoformat() / f"{source}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        os.utime(path, (now - age_s, now - age_s))


def test_a_day_is_ready_when_every_source_has_settled_files(tmp_path):
    now = 1_800_000_000.0
    _land(tmp_path, DAY, CONTRACTS, age_s=60, now=now)
    _land(tmp_path, NEXT, list(CONTRACTS)[:2], age_s=60, now=now)            # still landing
    (tmp_path / "shipments" / "not-a-day").mkdir(parents=True)
    assert ready_days(tmp_path, now=now) == [DAY]
    assert ready_days(tmp_path, now=now, settle_seconds=120) == []              # files still changing
    assert ready_days(tmp_path, now=now, grace_seconds=30) == [DAY, NEXT]       # partial day after the grace


def test_each_ready_day_is_claimed_once(tmp_path):
    now = 1_800_000_000.0
    landing, state = tmp_path / "landing", tmp_path / "seen"
    _land(landing, DAY, CONTRACTS, age_s=60, now=now)
    assert claim_ready_days(landing, state, now=now) == [DAY]
    assert claim_ready_days(landing, state, now=now) == []
    _land(landing, NEXT, CONTRACTS, age_s=60, now=now)
    assert claim_ready_days(landing, state, now=now) == [NEXT]


def test_config_points_at_the_project_and_keeps_its_secrets(settings):
    from core.settings import PROJECT_ROOT

    path = write_config(settings, port=18123)
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(path)
    assert cfg["core"]["dags_folder"] == str(PROJECT_ROOT / "dags")
    assert cfg["core"]["load_examples"] == "False"
    assert cfg["database"]["sql_alchemy_conn"] == f"sqlite:///{settings.airflow_home / 'airflow.db'}"
    assert cfg["core"]["execution_api_server_url"] == "http://127.0.0.1:18123/execution/"
    secrets = {k: cfg[s][k] for s, k in (("core", "fernet_key"), ("api", "secret_key"), ("api_auth", "jwt_secret"))}
    password = admin_password(settings)
    assert len(password) >= 12 and all(secrets.values())
    # A rewrite (another port, a cfg Airflow wrote itself) keeps the secrets and the password.
    cfg["core"]["load_examples"] = "True"
    with config_path(settings).open("w") as out:
        cfg.write(out)
    write_config(settings, port=18124)
    again = configparser.ConfigParser(interpolation=None)
    again.read(path)
    assert again["core"]["load_examples"] == "False" and again["api"]["port"] == "18124"
    assert {k: again[s][k] for s, k in (("core", "fernet_key"), ("api", "secret_key"),
                                         ("api_auth", "jwt_secret"))} == secrets
    assert admin_password(settings) == password
    assert json.loads((settings.airflow_home / "admin_password.json").read_text()) == {"admin": password}
