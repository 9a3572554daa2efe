"""The project's Airflow configuration, written to ``<home>/airflow/airflow.cfg``.

One table of values feeds both the file (what ``airflow standalone`` or any ``airflow`` command run with
that ``AIRFLOW_HOME`` reads) and the environment of the processes we start, so the demo, the tests and
the long-running service all see the same Airflow: the project's DAGs only, no examples, SQLite metadata
under the home, the simple auth manager with one admin whose generated password is in a named file.
Secrets (fernet key, API secret, JWT secret) are generated once and kept across rewrites.
"""
from __future__ import annotations

import configparser
import json
import secrets
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings

DAGS_FOLDER = PROJECT_ROOT / "dags"
DEFAULT_PORT = 8080
ADMIN_USER = "admin"
PASSWORD_FILE = "admin_password.json"
_SIMPLE_AUTH = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
_SECRETS = {("core", "fernet_key"): lambda: _fernet_key(), ("api", "secret_key"): lambda: secrets.token_urlsafe(32),
            ("api_auth", "jwt_secret"): lambda: secrets.token_urlsafe(32)}


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def config_path(settings: Settings) -> Path:
    return settings.airflow_home / "airflow.cfg"


def password_path(settings: Settings) -> Path:
    """Where the admin's generated password is: ``{"admin": "<password>"}``."""
    return settings.airflow_home / PASSWORD_FILE


def values(settings: Settings, port: int = DEFAULT_PORT, executor: str = "LocalExecutor",
           metadata_url: str | None = None, logging_level: str = "INFO",
           overrides: dict[tuple[str, str], str] | None = None) -> dict[tuple[str, str], str]:
    """The settings we own, as {(section, key): value}; everything else keeps Airflow's default.
    ``overrides`` adds or replaces entries (the Celery broker of the scale-out, for instance)."""
    home = settings.airflow_home
    api = f"http://127.0.0.1:{port}"
    return {
        ("core", "dags_folder"): str(DAGS_FOLDER),
        ("core", "load_examples"): "False",
        ("core", "dags_are_paused_at_creation"): "False",
        ("core", "executor"): executor,
        ("core", "parallelism"): "4",
        ("core", "auth_manager"): _SIMPLE_AUTH,
        ("core", "simple_auth_manager_users"): f"{ADMIN_USER}:admin",
        ("core", "simple_auth_manager_passwords_file"): str(password_path(settings)),
        ("core", "execution_api_server_url"): f"{api}/execution/",
        ("database", "sql_alchemy_conn"): metadata_url or f"sqlite:///{home / 'airflow.db'}",
        ("logging", "base_log_folder"): str(home / "logs"),
        ("logging", "logging_level"): logging_level,
        # The log servers of workers and triggerer beside the API port, so two homes can run side by side.
        ("logging", "worker_log_server_port"): str(port + 1),
        ("logging", "trigger_log_server_port"): str(port + 2),
        ("api", "host"): "127.0.0.1",
        ("api", "port"): str(port),
        ("api", "base_url"): api,
        ("api", "workers"): "1",          # 2 shared cores: one API worker is plenty for one operator
        ("dag_processor", "refresh_interval"): "30",
        ("scheduler", "catchup_by_default"): "False",
    } | (overrides or {})


def write_config(settings: Settings, **kwargs) -> Path:
    """Write (or patch) airflow.cfg with :func:`values` and the admin password file; return the cfg path."""
    path = config_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    parser = configparser.ConfigParser(interpolation=None)
    if path.exists():
        parser.read(path)
    wanted = values(settings, **kwargs)
    for (section, key), make in _SECRETS.items():
        if not parser.has_option(section, key) or not parser.get(section, key).strip():
            wanted[(section, key)] = make()
    for (section, key), value in wanted.items():
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
    with path.open("w") as out:
        parser.write(out)
    _write_password(settings)
    return path


def _write_password(settings: Settings) -> None:
    """The simple auth manager reads (and would otherwise generate) passwords from this file."""
    path = password_path(settings)
    if path.exists():
        return
    path.write_text(json.dumps({ADMIN_USER: secrets.token_urlsafe(12)}) + "\n")
    path.chmod(0o600)


def admin_password(settings: Settings) -> str:
    return json.loads(password_path(settings).read_text())[ADMIN_USER]


def airflow_env(settings: Settings, **kwargs) -> dict[str, str]:
    """Environment for Airflow processes: the same values as the cfg (an env var wins over a stale file)."""
    env = {f"AIRFLOW__{section.upper()}__{key.upper()}": value
           for (section, key), value in values(settings, **kwargs).items()}
    return {**env, "AIRFLOW_HOME": str(settings.airflow_home),
            # Tasks call the same settings module; make sure they see this home even in a fresh process.
            "CUSTOMS_RISK_HOME": str(settings.home)}
