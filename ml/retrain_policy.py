"""When a lane retrains between the weekly runs: once enough outcomes (new labels) were recorded after
the window its champion was validated on, or when daily monitoring recorded drift beyond its act
threshold on the champion. New labels are what a retrain learns from; retraining on
every inspection batch would churn the registry for nothing."""
from __future__ import annotations

from core.settings import Settings
from core.warehouse import Warehouse
from ml.registry import CHAMPION, current_alias, registry_client, validation_window


def new_labels_since_champion(lane: str, settings: Settings) -> tuple[int, str | None]:
    """(outcomes recorded after the champion's validation window, that window's last day); (0, None)
    when the lane has no champion yet."""
    champion = current_alias(settings, settings.model_name(lane), CHAMPION)
    if champion is None:
        return 0, None
    valid_end = validation_window(registry_client(settings), champion)[1]
    counted = Warehouse(settings).query_df(
        "select count(*) as n from intermediate.int_item_outcomes where lane = ? and first_inspection_date > cast(? as date)",
        [lane, valid_end])
    return int(counted["n"].iloc[0]), valid_end


def drift_flag(lane: str, settings: Settings) -> str | None:
    """The latest 'act' finding of daily monitoring (``monitoring.drift_flags``) on the current champion,
    or None. A flag names the version it was raised on, so the champion that replaces it starts clean."""
    champion = current_alias(settings, settings.model_name(lane), CHAMPION)
    warehouse = Warehouse(settings)
    if champion is None or not warehouse.table_exists("monitoring", "drift_flags"):
        return None
    flags = warehouse.query_df(
        "select day, reason from monitoring.drift_flags where lane = ? and model_version = ? and level = 'act' "
        "order by day desc limit 1", [lane, champion.version])
    return None if flags.empty else f"monitoring on {flags['day'].iloc[0]}: {flags['reason'].iloc[0]}"


def retrain_decision(lane: str, settings: Settings) -> tuple[bool, str]:
    """(retrain now?, why) for a run triggered by new inspection outcomes (or by monitoring) rather than
    the weekly schedule: enough new labels, or drift beyond the act threshold on the champion."""
    n_new, since = new_labels_since_champion(lane, settings)
    if since is None:
        return True, f"{lane} has no champion yet"
    drift = drift_flag(lane, settings)
    if drift is not None:
        return True, f"drift beyond the act threshold ({drift[:300]})"
    threshold = settings.retrain_min_new_labels
    verdict = n_new >= threshold
    return verdict, (f"{n_new} outcomes recorded after the champion's validation window (ends {since}); "
                     f"retrain threshold {threshold}")
