"""The one place for settings. Every value has an embedded default and a CUSTOMS_RISK_* override.

DAGs, the CLI and the tests all call ``get_settings()``, so a test that sets an environment variable
changes what every stage sees.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.contracts import LANES  # the lanes are defined with the contracts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real-shaped KCS declaration files live beside the project (../shared/data/kcs) unless told otherwise.
KCS_DATA_DIR = Path(os.environ.get("CUSTOMS_RISK_KCS_DIR", PROJECT_ROOT.parent / "shared" / "data" / "kcs"))
DEMO_KEY = "customs-risk-demo-key-not-for-production"
_SHARE_HELP = ("a share of the lane's daily traffic in [0, 1]; per-office counts go in "
               "CUSTOMS_RISK_CAPACITY_{lane}_<OFFICE>=50")


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str
    mlflow_tracking_uri: str
    pseudonym_key: str
    # Share of a lane's daily traffic the offices can inspect (GUIDE section 1 rates).
    capacity_share: dict[str, float] = dataclass_field(default_factory=dict)
    exploration_share: float = 0.1
    seed: int = 42
    # Lanes this deployment runs (an office may start with express only); DAGs make tasks for these.
    lanes: tuple[str, ...] = LANES
    # Per-office overrides of the lane share, {lane: {office: n}}: an int is a count of items a day,
    # a float a share of the office's traffic. From CUSTOMS_RISK_CAPACITY_<LANE>_<OFFICE>=50 or =0.02.
    office_capacity: dict[str, dict[str, int | float]] = dataclass_field(default_factory=dict)
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
    # How long a load waits for another load to release the warehouse before giving up.
    lock_timeout_s: float = 600.0
    # DuckDB's memory limit for the dbt build (a share of RAM or a size); beyond it DuckDB spills to disk.
    # Its default (80 %) leaves too little beside the build's own process on a US-sized history.
    duckdb_memory_limit: str = "60%"

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


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Environment(BaseSettings):
    """The CUSTOMS_RISK_* variables, parsed and range-checked by pydantic-settings in one place.

    Each field's description is the allowed range that an error message repeats."""
    model_config = SettingsConfigDict(env_prefix="CUSTOMS_RISK_", extra="ignore", frozen=True)

    home: Path = Field(PROJECT_ROOT / "var", description="a directory path")
    warehouse_url: str | None = Field(None, pattern=r"^(duckdb:///|postgres(ql)?://)",
                                      description="duckdb:///PATH or postgresql://...")
    mlflow_tracking_uri: str | None = Field(None, pattern=r"^([a-z][a-z0-9+.-]*:|/)",
                                            description="a URI such as sqlite:///PATH, http://HOST:PORT or file:PATH")
    pseudonym_key: str = Field(DEMO_KEY, min_length=16, description="a secret of at least 16 characters")
    capacity_cargo: Share = Field(0.03, description=_SHARE_HELP.format(lane="CARGO"))
    capacity_express: Share = Field(0.016, description=_SHARE_HELP.format(lane="EXPRESS"))
    capacity_traveller: Share = Field(0.016, description=_SHARE_HELP.format(lane="TRAVELLER"))
    exploration_share: Share = Field(0.1, description="a share of the capacity in [0, 1]")
    seed: int = Field(42, ge=0, description="a whole number >= 0")
    lanes: str = Field(",".join(LANES), pattern=rf"^\s*({'|'.join(LANES)})(\s*,\s*({'|'.join(LANES)}))*\s*$",
                       description=f"a comma-separated list of {', '.join(LANES)}")
    retrain_min_new_labels: int = Field(1000, ge=0, description="a whole number >= 0")
    oracle: str = Field("", pattern=r"^$|^[\w.]+:\w+$", description="empty or module:factory")
    exploration_min_propensity: Share = Field(0.001, description="a probability in [0, 1]")
    psi_watch: float = Field(0.1, ge=0, allow_inf_nan=False, description="a population stability index >= 0")
    psi_act: float = Field(0.25, ge=0, allow_inf_nan=False, description="a population stability index >= 0")
    volume_watch: float = Field(0.5, ge=0, allow_inf_nan=False, description="a relative change >= 0")
    confidence: float = Field(0.95, gt=0, lt=1, allow_inf_nan=False, description="a level in (0, 1)")
    desk_url: str = Field("", pattern=r"^$|^(sqlite|postgresql(\+\w+)?)://", description="empty, sqlite:///PATH or postgresql://...")
    desk_secret: str = Field("", description="empty (a random key kept under the home) or a secret")
    lock_timeout_s: float = Field(600.0, ge=0, allow_inf_nan=False, description="seconds >= 0")
    dbt_tasks: str = Field("model", pattern=r"^(model|layer)$", description="model or layer")
    duckdb_memory_limit: str = Field("60%", pattern=r"^\d+(\.\d+)?\s*(%|[KMGT]i?B)$",
                                     description="a share of RAM such as 60% or a size such as 12GB")


class SettingsError(ValueError):
    """A CUSTOMS_RISK_* variable outside its allowed range; the message names the variable."""


def _environment() -> _Environment:
    try:
        return _Environment()
    except ValidationError as exc:
        raise SettingsError("; ".join(_explain(error) for error in exc.errors())) from None


def _explain(error: dict) -> str:
    name = str(error["loc"][0]) if error.get("loc") else "?"
    field = _Environment.model_fields.get(name)
    allowed = f" (allowed: {field.description})" if field is not None and field.description else ""
    return f"CUSTOMS_RISK_{name.upper()}={error.get('input')!r}: {error['msg']}{allowed}"


def get_settings() -> Settings:
    """Read and check every CUSTOMS_RISK_* variable; a bad one raises ``SettingsError`` naming it."""
    env = _environment()
    home = env.home.resolve()
    return Settings(
        home=home,
        warehouse_url=env.warehouse_url or f"duckdb:///{home / 'warehouse.duckdb'}",
        mlflow_tracking_uri=env.mlflow_tracking_uri or f"sqlite:///{home / 'mlflow.db'}",
        pseudonym_key=env.pseudonym_key,
        capacity_share={"cargo": env.capacity_cargo, "express": env.capacity_express,
                        "traveller": env.capacity_traveller},
        exploration_share=env.exploration_share,
        seed=env.seed,
        lanes=_lanes(env.lanes),
        office_capacity=_office_capacity(),
        retrain_min_new_labels=env.retrain_min_new_labels,
        oracle=env.oracle,
        dbt_tasks=env.dbt_tasks,
        exploration_min_propensity=env.exploration_min_propensity,
        psi_watch=env.psi_watch,
        psi_act=env.psi_act,
        volume_watch=env.volume_watch,
        confidence=env.confidence,
        desk_url=env.desk_url or f"sqlite:///{home / 'desk.db'}",
        desk_secret=env.desk_secret,
        lock_timeout_s=env.lock_timeout_s,
        duckdb_memory_limit=env.duckdb_memory_limit,
    )


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
                if not 0.0 <= value <= 1.0:   # also refuses nan and inf
                    raise SettingsError(f"{name} must be a whole count (e.g. 50) or a share in [0, 1] (e.g. 0.02), "
                                     f"got {text!r}")
            out.setdefault(lane, {})[office] = value
    return out


def _lanes(text: str) -> tuple[str, ...]:
    lanes = tuple(lane.strip() for lane in text.split(",") if lane.strip())
    unknown = [lane for lane in lanes if lane not in LANES]
    if unknown or not lanes:
        raise SettingsError(f"CUSTOMS_RISK_LANES must list some of {', '.join(LANES)}; got {text!r}")
    return lanes
