"""One function per pipeline stage. The DAG tasks and the ``customs-risk`` command both call these,
so what a developer runs by hand is exactly what Airflow runs at night."""
from __future__ import annotations

import datetime as dt
from typing import Any

from core.settings import Settings, get_settings


def ingest(source: str, day: dt.date, settings: Settings | None = None, accept_short: bool = False):
    """Load one source's day; ``accept_short`` lifts the volume rules for a real quiet day."""
    from ingest.load import load_day

    return load_day(source, day, settings or get_settings(), check_volume=not accept_short)


def has_landing_files(source: str, day: dt.date, settings: Settings | None = None) -> bool:
    from ingest.load import landing_files

    return bool(landing_files(source, day, settings or get_settings()))


def mark_landed(day: dt.date, settings: Settings | None = None) -> None:
    """Record that ``day`` was ingested, so the landing watcher does not trigger it again."""
    from customs_risk.landing import mark_seen, seen_dir

    mark_seen(seen_dir((settings or get_settings()).airflow_home), [day])


def transform(select: str | None = None, test_since: dt.date | None = None,
              settings: Settings | None = None) -> Any:
    """``dbt build``; with ``test_since`` (a DAG run's oldest business day) a light per-node build whose
    tests read only the rows from that day on."""
    from transform.dbt_build import build

    if test_since is None:
        return build(settings or get_settings(), select=select)
    return build(settings or get_settings(), select=select, light=True,
                 vars={"test_since": test_since.isoformat()})


def train(lane: str, settings: Settings | None = None, as_of: dt.date | None = None,
          trials: int | None = None, distributed: bool = False, scheduler: str | None = None,
          workers: int | None = None) -> dict:
    """Train a lane (registers @challenger); a lane's first model also becomes its champion. With
    ``distributed`` (or a ``scheduler`` address) the fit runs on Dask: a LocalCluster of ``workers``
    processes, or the scheduler's workers."""
    from ml.deploy import bootstrap_champion
    from ml.train import SEARCH_TRIALS, train_lane

    settings = settings or get_settings()
    dask = None
    if distributed or scheduler:
        from ml.distributed import DaskOptions

        dask = DaskOptions(scheduler=scheduler, n_workers=workers)
    result = train_lane(lane, settings, as_of=as_of, trials=SEARCH_TRIALS if trials is None else trials,
                        distributed=dask)
    return result | bootstrap_champion(lane, result["model_version"], settings)


def validate(lane: str, settings: Settings | None = None) -> dict:
    """The promotion gate for the lane's @challenger (verdict recorded on the version)."""
    from ml.gate import validate_challenger

    return validate_challenger(lane, settings or get_settings())


def promote(lane: str, settings: Settings | None = None, rollback: bool = False, validate: bool = True) -> dict:
    """Deploy: move @champion to a challenger that passed the gate, or roll back."""
    from ml.deploy import promote as deploy

    return deploy(lane, settings or get_settings(), rollback=rollback, validate=validate)


def score(lane: str, day: dt.date, settings: Settings | None = None) -> dict:
    """Score the day with the capacities supervisors set on the desk for it, write the files people
    read (per-office CSVs, all rows, HTML summary), then publish the lists to the desk (the desk reads
    its own store, never the warehouse the pipeline writes)."""
    from customs_risk.desk.capacity import with_desk_capacities
    from customs_risk.reports import write_day_outputs
    from ml.score import score_day

    import time

    settings = with_desk_capacities(settings or get_settings(), lane, day)
    result = score_day(lane, day, settings)
    selection, features = result.pop("selection"), result.pop("features")
    clock = time.perf_counter()
    result |= write_day_outputs(selection, lane, day, settings, result)
    result["timings"]["files"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    result |= publish(lane, day, settings, selection, features)
    result["timings"]["desk"] = round(time.perf_counter() - clock, 3)
    return result


def publish(lane: str, day: dt.date, settings: Settings | None = None, selection=None, features=None) -> dict:
    """Publish a scored day's lists to the desk (``score`` does it with the selection it just wrote; on its
    own, to republish a day, the selection is read back from the warehouse)."""
    from customs_risk.desk.publish import publish_day

    return publish_day(lane, day, settings or get_settings(), selection, features)


def has_champion(lane: str, settings: Settings | None = None) -> bool:
    from ml.registry import CHAMPION, current_alias

    settings = settings or get_settings()
    return current_alias(settings, settings.model_name(lane), CHAMPION) is not None


def retrain_decision(lane: str, day: dt.date, settings: Settings | None = None) -> tuple[bool, str]:
    """(retrain for this business day?, why): no champion yet, the weekly retrain (Mondays of
    traffic, not of the wall clock, so a backfill retrains as the live service would), or enough
    new labels since the champion's validation window or drift beyond the act threshold (ml.retrain_policy)."""
    from ml.retrain_policy import retrain_decision as label_decision

    settings = settings or get_settings()
    if not has_champion(lane, settings):
        return True, f"{lane} has no champion yet"
    if day.weekday() == 0:
        return True, f"weekly retrain ({day} is a Monday)"
    return label_decision(lane, settings)
def monitor(lane: str, day: dt.date, settings: Settings | None = None) -> dict:
    """Monitor a scored day (the score DAG's task after ``score``): drift against the champion's
    training window, volumes, weekly hit rates; an 'act' level makes the retrain policy retrain."""
    from ml.features import feature_table
    from ml.reference import champion_reference
    from monitoring.run import Champion, monitor_day

    settings = settings or get_settings()
    ref = champion_reference(lane, day, settings)
    return monitor_day(lane, day, settings, champion=Champion(ref.model_name, ref.model_version, ref.run_id, ref.window),
                       reference=ref.reference, current=ref.day, features=ref.features,
                       feature_table=".".join(feature_table(lane)))


def days_from_context(context: dict) -> list[dt.date]:
    """The business days a DAG run works on, oldest first: ``conf["day"]`` (and ``conf["first_day"]`` when
    it covers several), else the days carried by the triggering asset events, else the run's logical date."""
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    if conf.get("day"):
        days = [dt.date.fromisoformat(str(conf[key])) for key in ("first_day", "day") if conf.get(key)]
        return sorted(set(days))
    events = context.get("triggering_asset_events") or {}
    days = {event.extra["day"] for asset_events in events.values() for event in asset_events
            if (event.extra or {}).get("day")}
    if days:
        return sorted(dt.date.fromisoformat(d) for d in days)
    logical = context.get("logical_date")
    if logical is not None:
        return [logical.date()]
    raise ValueError("no business day for this run: trigger it with conf {\"day\": \"YYYY-MM-DD\"}")


def day_from_context(context: dict) -> dt.date:
    """The (newest) business day a DAG run works on; see days_from_context."""
    return days_from_context(context)[-1]
