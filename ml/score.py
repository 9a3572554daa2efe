"""Daily scoring: the champion ranks one day's traffic of a lane, each office's capacity is filled
(``ml.selection``) and the picks get their reason codes (exact TreeSHAP).

The day's partition of ``scoring.daily_selection`` is replaced as a whole, so a rerun of the same day
with the same champion gives the same list instead of adding to it.
"""
from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd

from core.settings import Settings, get_settings
from core.warehouse import Warehouse
from ml.features import check_features, load_features, model_frame, signature_inputs, table_feature_columns
from ml.registry import champion
from ml.selection import select_within_offices, selection_rng
from ml.tracking import configure_mlflow
from ml.oracle import get_oracle

SCHEMA, TABLE = "scoring", "daily_selection"
COLUMNS = {
    "item_date": "date", "lane": "varchar", "office_id": "varchar", "item_id": "varchar",
    "score": "double precision", "rank": "bigint", "selected": "boolean", "why": "varchar",
    "propensity": "double precision", "model_name": "varchar", "model_version": "bigint",
    "reasons": "varchar",
}
N_REASONS = 3


def _ensure_table(warehouse: Warehouse) -> None:
    # Explicit DDL: an empty first day must not fix the column types by pandas' guess. Tables made before
    # a column existed get it added (null for their old rows).
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    warehouse.execute_all([f'create schema if not exists "{SCHEMA}"',
                           f'create table if not exists "{SCHEMA}"."{TABLE}" ({cols})',
                           *(f'alter table "{SCHEMA}"."{TABLE}" add column if not exists "{c}" {t}'
                             for c, t in COLUMNS.items())])


def reason_codes(model, X: pd.DataFrame, n: int = N_REASONS) -> list[str]:
    """Exact TreeSHAP contributions (log-odds) per row; the ``n`` largest as ``f_x=+0.81; ...``."""
    import numpy as np
    from xgboost import DMatrix

    if X.empty:
        return []
    dmatrix = DMatrix(X, enable_categorical=True)   # code columns arrive as categories (ml.features.model_frame)
    contribs = model.get_booster().predict(dmatrix, pred_contribs=True)[:, :-1]  # last column: bias
    names = np.asarray(X.columns)
    order = np.argsort(-contribs, axis=1, kind="stable")[:, :n]
    return ["; ".join(f"{names[j]}={contribs[i, j]:+.2f}" for j in row) for i, row in enumerate(order)]


def capacity_report(out: pd.DataFrame, lane: str, settings: Settings) -> dict[str, dict]:
    """Per office: traffic, the configured capacity, what was selected and a note for the edge cases."""
    overrides = settings.office_capacity.get(lane, {})
    report = {}
    for office, rows in out.groupby("office_id"):
        configured = overrides.get(office, settings.capacity_share[lane])
        kind = "count" if isinstance(configured, int) and not isinstance(configured, bool) else "share"
        entry = {"traffic": len(rows), "capacity": configured, "capacity_kind": kind,
                 "selected": int(rows["selected"].sum())}
        if configured == 0:
            entry["note"] = "capacity 0: nothing selected"
        elif kind == "count" and configured > len(rows):
            entry["note"] = f"capacity {configured} above traffic {len(rows)}: every item selected"
        report[str(office)] = entry
    return report


# What the summary page shows of the champion's own validation, each with its interval and count.
HEADLINE = ("precision_at_capacity", "unbiased_precision_at_capacity", "true_hit_rate_at_capacity",
            "precision_at_1pct", "precision_at_5pct")


def champion_measures(ref, settings: Settings) -> list[dict]:
    """The champion's validation figures (from its training run) as rows of name, value, lo, hi, n."""
    from ml.registry import registry_client

    metrics = registry_client(settings).get_run(ref.run_id).data.metrics
    return [{"name": name, "value": metrics[name], "lo": metrics.get(f"{name}_lo"), "hi": metrics.get(f"{name}_hi"),
             "n": metrics.get(f"{name}_n")} for name in HEADLINE if name in metrics]


class _Clock:
    """Seconds per phase of a scoring run (the score task logs them): where a day's scoring time goes."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps[phase] = round(self.laps.get(phase, 0.0) + now - self._last, 3)
        self._last = now


def _select(lane: str, day: date, settings: Settings, model, X: pd.DataFrame, rows: pd.DataFrame,
            clock: _Clock) -> pd.DataFrame:
    """The day's rows ranked and selected within each office's capacity, reason codes for the picks."""
    scored = rows[["item_id", "item_date", "office_id"]].assign(
        score=model.predict_proba(X)[:, 1], row=np.arange(len(rows)))
    clock.lap("predict")
    out = select_within_offices(
        scored, settings.capacity_share[lane], settings.exploration_share,
        rng=selection_rng(settings.seed, lane, day), office_capacity=settings.office_capacity.get(lane),
        min_propensity=settings.exploration_min_propensity,
    )
    clock.lap("select")
    # Reason codes for the selected items only: exact TreeSHAP is cheap for a few thousand rows.
    reasons = pd.Series(None, index=out.index, dtype=object)
    picked = np.flatnonzero(out["selected"].to_numpy())
    if len(picked):
        reasons.iloc[picked] = reason_codes(model, X.iloc[out["row"].to_numpy()[picked]])
    clock.lap("reasons")
    return out.assign(reasons=reasons)


def score_day(lane: str, day: date, settings: Settings | None = None) -> dict:
    """Score ``day`` of ``lane`` with the @champion model and write the selection.

    Returns counts, the model version used, the seconds of each phase (``timings``: load, predict, select,
    reasons, write), the day's scored rows (``selection``, for the lists people read:
    ``customs_risk.reports``), the feature rows they were scored on (``features``, for the desk's
    reasons in words) and, with an oracle, the true hit rate of the model picks beside random and
    rule selection (returned only, not logged).
    """
    import mlflow

    settings = settings or get_settings()
    configure_mlflow(lane, settings)
    ref = champion(settings, settings.model_name(lane))
    expected = signature_inputs(ref)
    check_features(table_feature_columns(lane, settings), expected, ref)
    clock = _Clock()
    rows = load_features(lane, settings, day=day, columns=expected)
    model = mlflow.xgboost.load_model(ref.uri) if len(rows) else None
    clock.lap("load")

    result: dict = {"lane": lane, "day": str(day), "model_name": ref.name, "model_version": ref.version,
                    "champion_measures": champion_measures(ref, settings)}
    if rows.empty:
        dtypes = {"double precision": "float64", "bigint": "int64", "boolean": "bool"}
        out = pd.DataFrame({c: pd.Series([], dtype=dtypes.get(t, object)) for c, t in COLUMNS.items()})
        result["note"] = f"no {lane} rows on {day}: wrote an empty selection"
    else:
        out = _select(lane, day, settings, model, model_frame(model, rows, expected), rows, clock)
        out = out.assign(lane=lane, model_name=ref.name, model_version=ref.version)[list(COLUMNS)]

    warehouse = Warehouse(settings)
    _ensure_table(warehouse)
    # One timestamp for the day's column: the warehouse converts it 10x faster than 1M date objects.
    warehouse.replace_partition(SCHEMA, TABLE, out.assign(item_date=pd.Timestamp(day)),
                                {"lane": lane, "item_date": day})
    clock.lap("write")
    result |= {
        "timings": clock.laps,
        "capacity": capacity_report(out, lane, settings),
        "rows": len(out),
        "selected": int(out["selected"].sum()) if len(out) else 0,
        "model_selected": int((out["why"] == "model").sum()),
        "exploration_selected": int((out["why"] == "exploration").sum()),
        "offices": int(out["office_id"].nunique()),
        "table": f"{SCHEMA}.{TABLE}",
        "selection": out,
        "features": rows,
    }
    oracle = get_oracle(settings)
    truth = oracle.truth(lane, [day]) if oracle is not None and len(out) else None
    if truth is not None:
        truth = truth[truth["item_id"].isin(out["item_id"])]
        if len(truth):
            picks = out.loc[out["why"] == "model", "item_id"]
            picks = picks[picks.isin(truth["item_id"])]
            result["truth"] = oracle.policy_hit_rates(truth, picks)
    return result
