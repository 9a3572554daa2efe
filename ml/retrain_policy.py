"""When a lane retrains between the weekly runs: once enough outcomes (new labels) were recorded after
the window its champion was validated on. New labels are what a retrain learns from; retraining on
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


def retrain_decision(lane: str, settings: Settings) -> tuple[bool, str]:
    """(retrain now?, why) for a run triggered by new inspection outcomes rather than the weekly schedule."""
    n_new, since = new_labels_since_champion(lane, settings)
    if since is None:
        return True, f"{lane} has no champion yet"
    threshold = settings.retrain_min_new_labels
    verdict = n_new >= threshold
    return verdict, (f"{n_new} outcomes recorded after the champion's validation window (ends {since}); "
                     f"retrain threshold {threshold}")
