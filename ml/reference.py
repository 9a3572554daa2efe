"""What monitoring compares a scored day with: the champion's training window (every item, not only
the labelled ones, since drift is about the traffic) scored by the champion, and the day's own
traffic with its logged scores. Monitoring is a sibling stage and cannot load models, so it gets both
as plain frames from here (through ``customs_risk.stages.monitor``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.settings import Settings
from core.warehouse import Warehouse
from ml.features import feature_columns, load_features, predict, signature_inputs
from ml.registry import champion, registry_client
from ml.tracking import configure_mlflow

# The reference is the last days of the training window, sampled to this many items: PSI over 10 bins
# is stable far below this, and a full-scale window (90 days x 490,000 items) would not fit.
REFERENCE_DAYS = 7
REFERENCE_ROWS = 50_000


@dataclass
class Reference:
    """The champion's reference traffic (features + ``score``) and the day's (features + ``score``)."""
    model_name: str
    model_version: int
    run_id: str
    window: str
    features: list[str]
    reference: pd.DataFrame
    day: pd.DataFrame


def champion_reference(lane: str, day: dt.date, settings: Settings) -> Reference:
    """The champion's training window (its last ``REFERENCE_DAYS`` days, sampled) with the champion's
    scores, beside the day's items with the scores logged in ``scoring.daily_selection``."""
    import mlflow

    configure_mlflow(lane, settings)   # a monitoring task runs in its own process: the model URIs resolve here
    ref = champion(settings, settings.model_name(lane))
    params = registry_client(settings).get_run(ref.run_id).data.params
    end = dt.date.fromisoformat(params["train_end"])
    start = max(dt.date.fromisoformat(params["train_start"]), end - dt.timedelta(days=REFERENCE_DAYS - 1))
    reference = load_features(lane, settings, since=start, as_of=end)
    if len(reference) > REFERENCE_ROWS:
        keep = np.random.default_rng([settings.seed, end.toordinal()]).choice(len(reference), REFERENCE_ROWS, replace=False)
        reference = reference.iloc[np.sort(keep)].reset_index(drop=True)
    inputs = signature_inputs(ref)
    reference = reference.assign(score=predict(mlflow.xgboost.load_model(ref.uri), reference, inputs))
    today = load_features(lane, settings, day=day)
    scored = _logged_scores(lane, day, settings)
    today = today.merge(scored, on="item_id", how="left") if len(scored) else today.assign(score=np.nan)
    return Reference(ref.name, ref.version, ref.run_id, f"{start}..{end}", feature_columns(reference.columns),
                     reference, today)


def _logged_scores(lane: str, day: dt.date, settings: Settings) -> pd.DataFrame:
    warehouse = Warehouse(settings)
    if not warehouse.table_exists("scoring", "daily_selection"):
        return pd.DataFrame(columns=["item_id", "score"])
    return warehouse.query_df("select item_id, score from scoring.daily_selection where lane = ? and item_date = ?",
                              [lane, day])
