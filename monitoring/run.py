"""One lane's monitoring day: drift, volumes and returning outcomes, judged against the settings'
thresholds, written to the ``monitoring`` schema, an HTML report and the champion's MLflow run.

The stage gets the champion's reference traffic and the day's scored traffic as frames from the
application layer (``customs_risk.stages.monitor``): monitoring is a sibling of ``ml`` and does not
load models itself.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from core.settings import Settings
from core.warehouse import Warehouse
from monitoring.drift import drift_table
from monitoring.outcomes import weekly_hit_rates
from monitoring.report import write_report
from monitoring.volume import office_volumes

log = logging.getLogger(__name__)
SCHEMA = "monitoring"


@dataclass
class Champion:
    name: str
    version: int
    run_id: str
    window: str            # the reference: the champion's training window (last days), "start..end"


def triggers(drift: pd.DataFrame, volumes: pd.DataFrame, settings: Settings) -> tuple[str, list[str]]:
    """(worst level: 'ok' | 'watch' | 'act', one warning per finding). Only drift can ask for a retrain:
    a volume jump is a watch, since retraining does not fix a broken feed."""
    warnings = [f"{r.kind} {r.name}: PSI {r.psi:.3f} >= {settings.psi_act if r.level == 'act' else settings.psi_watch}"
                f" ({r.level})" for r in drift.itertuples() if r.level != "ok"]
    warnings += [f"office {r.office_id}: {r.items} items vs recent median {r.recent_median:.0f} (watch)"
                 for r in volumes.itertuples() if r.level != "ok"]
    worst = "act" if (drift["level"] == "act").any() else "watch" if warnings else "ok"
    return worst, warnings


def monitor_day(lane: str, day: dt.date, settings: Settings, *, champion: Champion, reference: pd.DataFrame,
                current: pd.DataFrame, features: list[str], feature_table: str) -> dict:
    """Monitor ``day`` of ``lane``; returns the level, warnings, table names, report path and numbers."""
    drift = drift_table(reference, current, features, settings)
    volumes = office_volumes(feature_table, day, settings)
    weekly = weekly_hit_rates(lane, day, feature_table, settings)
    level, warnings = triggers(drift, volumes, settings)
    flag = pd.DataFrame([{"level": level, "reason": "; ".join(warnings)[:2000] or "no finding",
                          "recorded_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}])
    tables = {"feature_drift": drift, "office_volume": volumes, "hit_rate": weekly, "drift_flags": flag}
    key = {"lane": lane, "day": day, "model_version": champion.version}
    # An empty frame would fix a new table's column types by pandas' guess: such a table is written later.
    Warehouse(settings).replace_partitions(
        [(SCHEMA, name, frame.assign(**key), {"lane": lane, "day": day}) for name, frame in tables.items() if len(frame)])
    numbers = _numbers(drift, volumes, weekly)
    _log_to_champion(champion, day, numbers, settings)
    for warning in warnings:
        log.warning("%s %s: %s", lane, day, warning)
    path = write_report(lane, day, settings, champion=champion, level=level, warnings=warnings, drift=drift,
                        volumes=volumes, weekly=weekly, rows=len(current), reference_rows=len(reference))
    return {"lane": lane, "day": str(day), "level": level, "warnings": warnings, "numbers": numbers,
            "model_version": champion.version, "reference_window": champion.window, "html": path,
            "tables": [f"{SCHEMA}.{name}" for name in tables]}


def _numbers(drift: pd.DataFrame, volumes: pd.DataFrame, weekly: pd.DataFrame) -> dict[str, float]:
    """The day's headline numbers, also logged on the champion's run as metrics over time."""
    features = drift[drift["kind"] == "feature"]
    score = drift.loc[drift["kind"] == "score", "psi"]
    out = {"monitor_psi_score": float(score.iloc[0]) if len(score) else float("nan"),
           "monitor_psi_max_feature": float(features["psi"].max()) if len(features) else float("nan"),
           "monitor_features_watch": float((features["level"] != "ok").sum()),
           "monitor_features_act": float((features["level"] == "act").sum()),
           "monitor_offices_volume_watch": float((volumes["level"] != "ok").sum())}
    if len(weekly):
        latest = weekly[weekly["week_start"] == weekly["week_start"].max()]
        for r in latest.itertuples():
            out |= {f"monitor_hit_rate_{r.kind}": r.rate, f"monitor_hit_rate_{r.kind}_lo": r.lo,
                    f"monitor_hit_rate_{r.kind}_hi": r.hi, f"monitor_hit_rate_{r.kind}_n": float(r.n)}
    return out


def _log_to_champion(champion: Champion, day: dt.date, numbers: dict[str, float], settings: Settings) -> None:
    """Metrics over time on the champion's own run, step = the day's ordinal, so its MLflow chart view
    shows drift and hit rate day by day beside the numbers it was trained with."""
    import math

    from mlflow import MlflowClient
    from mlflow.entities import Metric

    stamp = int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp() * 1000)
    metrics = [Metric(k, float(v), stamp, day.toordinal()) for k, v in numbers.items() if math.isfinite(float(v))]
    MlflowClient(settings.mlflow_tracking_uri).log_batch(champion.run_id, metrics=metrics)
