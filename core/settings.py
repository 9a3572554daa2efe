"""The one place for settings. Every value has an embedded default and a CUSTOMS_RISK_* override.

DAGs, the CLI and the tests all call ``get_settings()``, so a test that sets an environment variable
changes what every stage sees.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from core.contracts import LANES  # the lanes are defined with the contracts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real-shaped KCS declaration files live beside the project (../shared/data/kcs) unless told otherwise.
KCS_DATA_DIR = Path(os.environ.get("CUSTOMS_RISK_KCS_DIR", PROJECT_ROOT.parent / "shared" / "data" / "kcs"))
DEMO_KEY = "customs-risk-demo-key-not-for-production"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CUSTOMS_RISK_{name}", default)


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str
    mlflow_tracking_uri: str
    pseudonym_key: str
    # Share of a lane's daily traffic the offices can inspect (GUIDE section 1 rates).
    capacity_share: dict[str, float] = field(default_factory=dict)
    exploration_share: float = 0.1
    seed: int = 42
    # Lanes this deployment runs (an office may start with express only); DAGs make tasks for these.
    lanes: tuple[str, ...] = LANES
    # Per-office overrides of the lane share, {lane: {office: n}}: an int is a count of items a day,
    # a float a share of the office's traffic. From CUSTOMS_RISK_CAPACITY_<LANE>_<OFFICE>=50 or =0.02.
    office_capacity: dict[str, dict[str, int | float]] = field(default_factory=dict)
    # Outcomes recorded since the champion's validation window that trigger a retrain between the
    # weekly ones (the train DAG also listens to the inspections Asset).
    retrain_min_new_labels: int = 1000
    # How the transform DAG renders dbt: "model" (one task per model, a failure shows by name) or "layer"
    # (three tasks: ten times fewer process starts, for small machines and the scheduler tests).
    dbt_tasks: str = "model"
    # ``module:factory`` of a truth oracle (ml.oracle); empty in production, the simulated world's in the demo.
    oracle: str = ""
    # Exploration: every item an office could inspect keeps at least this chance of being explored.
    exploration_min_propensity: float = 0.001
    # Monitoring triggers (GUIDE section 9): population stability index of a feature or the score
    # against the champion's training window; 0.1 watch, 0.25 act (the credit-risk convention).
    psi_watch: float = 0.1
    psi_act: float = 0.25
    # An office's day volume off its recent median by more than this share is flagged (watch).
    volume_watch: float = 0.5
    # Confidence level of every interval the platform reports (Wilson, bootstrap, the gate's).
    confidence: float = 0.95
    # The risk desk's own store (never the warehouse: DuckDB takes one writer per file). SQLAlchemy URL:
    # SQLite under the home by default, postgresql://... in the scale-out setup.
    desk_url: str = ""
    # Key that signs the desk's session cookies; empty: a random key kept in <home>/desk_secret.
    desk_secret: str = ""

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def scored_dir(self) -> Path:
        return self.home / "scored"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def gx_dir(self) -> Path:
        return self.home / "gx"

    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_ROOT / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt_target"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.home / "mlartifacts"

    @cached_property
    def warehouse_kind(self) -> str:
        if self.warehouse_url.startswith("duckdb://"):
            return "duckdb"
        if self.warehouse_url.startswith(("postgresql://", "postgres://")):
            return "postgres"
        raise ValueError(f"CUSTOMS_RISK_WAREHOUSE_URL must start with duckdb:// or postgresql://, got {self.warehouse_url!r}")

    @property
    def duckdb_path(self) -> Path:
        return Path(self.warehouse_url.removeprefix("duckdb:///"))

    def model_name(self, lane: str) -> str:
        return f"customs-risk-{lane}"


def get_settings() -> Settings:
    home = Path(_env("HOME", str(PROJECT_ROOT / "var"))).resolve()
    return Settings(
        home=home,
        warehouse_url=_env("WAREHOUSE_URL", f"duckdb:///{home / 'warehouse.duckdb'}"),
        mlflow_tracking_uri=_env("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}"),
        pseudonym_key=_env("PSEUDONYM_KEY", DEMO_KEY),
        capacity_share={
            "cargo": float(_env("CAPACITY_CARGO", "0.03")),
            "express": float(_env("CAPACITY_EXPRESS", "0.016")),
            "traveller": float(_env("CAPACITY_TRAVELLER", "0.016")),
        },
        exploration_share=float(_env("EXPLORATION_SHARE", "0.1")),
        seed=int(_env("SEED", "42")),
        lanes=_lanes(_env("LANES", ",".join(LANES))),
        office_capacity=_office_capacity(),
        retrain_min_new_labels=int(_env("RETRAIN_MIN_NEW_LABELS", "1000")),
        oracle=_env("ORACLE", ""),
        dbt_tasks=_choice("DBT_TASKS", ("model", "layer")),
        exploration_min_propensity=float(_env("EXPLORATION_MIN_PROPENSITY", "0.001")),
        psi_watch=float(_env("PSI_WATCH", "0.1")),
        psi_act=float(_env("PSI_ACT", "0.25")),
        volume_watch=float(_env("VOLUME_WATCH", "0.5")),
        confidence=float(_env("CONFIDENCE", "0.95")),
        desk_url=_env("DESK_URL", f"sqlite:///{home / 'desk.db'}"),
        desk_secret=_env("DESK_SECRET", ""),
    )


def _choice(name: str, choices: tuple[str, ...]) -> str:
    value = _env(name, choices[0])
    if value not in choices:
        raise ValueError(f"CUSTOMS_RISK_{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _office_capacity() -> dict[str, dict[str, int | float]]:
    """CUSTOMS_RISK_CAPACITY_<LANE>_<OFFICE>: digits only = a count, with a dot = a share in [0, 1]."""
    out: dict[str, dict[str, int | float]] = {}
    for name, text in os.environ.items():
        for lane in LANES:
            prefix = f"CUSTOMS_RISK_CAPACITY_{lane.upper()}_"
            if not name.startswith(prefix) or name == prefix:
                continue
            office, text = name.removeprefix(prefix), text.strip()
            if text.isdigit():
                value: int | float = int(text)
            else:
                try:
                    value = float(text)
                except ValueError:
                    value = -1.0
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be a whole count (e.g. 50) or a share in [0, 1] (e.g. 0.02), "
                                     f"got {text!r}")
            out.setdefault(lane, {})[office] = value
    return out


def _lanes(text: str) -> tuple[str, ...]:
    lanes = tuple(lane.strip() for lane in text.split(",") if lane.strip())
    unknown = [lane for lane in lanes if lane not in LANES]
    if unknown or not lanes:
        raise ValueError(f"CUSTOMS_RISK_LANES must list some of {', '.join(LANES)}; got {text!r}")
    return lanes
