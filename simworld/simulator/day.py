"""One simulated day end to end: traffic of every source, the historic selection, its inspection
outcomes and the truth file; plus the inspectors' answer to the model's own picks."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from core.settings import Settings
from simworld.truth import truth_dir
from core.contracts import CCTV_EVENTS, DECLARATIONS, INSPECTIONS, SHIPMENTS, TRAVELLERS

from . import cargo, cctv, express, policy, travellers
from .config import DEFAULT_SCALE, day_rng, day_volume
from .drift import Drift, apply_drift
from .outcomes import inspection_records
from .world import build_world
from .writer import landing_path, write_landing, write_truth


TRUTH_COLUMNS = ["lane", "item_id", "item_date", "office_id", "is_risky", "category", "pattern",
                 "rule_selected", "audit_selected"]
MODEL_FILE = "model_selection.csv"
MODEL_REASONS = ("model", "exploration", "manual")


def truth_path(settings: Settings, day: dt.date) -> Path:
    return truth_dir(settings) / f"{day.isoformat()}.parquet"


def simulate_day(day: dt.date, settings: Settings, scale: float = DEFAULT_SCALE,
                 drift: Drift | None = None) -> dict[str, Path]:
    """Write every landing file of one day and its truth; returns source name -> landing file. With a
    ``drift`` (``simworld.simulator.drift``) the world changes from its day on."""
    seed = settings.seed
    world = build_world(seed, float(scale))
    lanes = (
        ("cargo", DECLARATIONS, cargo.generate),
        ("express", SHIPMENTS, express.generate),
        ("traveller", TRAVELLERS, travellers.generate),
    )
    written: dict[str, Path] = {}
    truths = []
    policy_rng = day_rng(seed, day, "policy")
    for lane, contract, generate in lanes:
        n = day_volume(contract.name, day, scale, seed)
        result = generate(world, day, n, day_rng(seed, day, lane))
        frame, truth = result[0], result[1]
        apply_drift(drift, lane, day, frame, truth, day_rng(seed, day, "drift"))
        written[contract.name] = write_landing(frame, contract, landing_path(settings.landing_dir, contract, day))
        if lane == "traveller":
            events = cctv.generate(day, frame, result[2], day_rng(seed, day, "cctv"))
            written[CCTV_EVENTS.name] = write_landing(events, CCTV_EVENTS,
                                                      landing_path(settings.landing_dir, CCTV_EVENTS, day))
        truth["rule_selected"], truth["audit_selected"] = policy.select(lane, frame, policy_rng)
        truth["lane"] = lane
        truth["item_date"] = day
        truths.append(truth[TRUTH_COLUMNS])
    truth = pd.concat(truths, ignore_index=True)
    truth["category"] = truth["category"].astype(object).where(truth["category"].notna(), None)
    truth["pattern"] = truth["pattern"].astype(object).where(truth["pattern"].notna(), None)
    write_truth(truth, truth_path(settings, day))

    inspected = truth[truth["rule_selected"] | truth["audit_selected"]].copy()
    inspected["selection_reason"] = inspected["rule_selected"].map({True: "rule", False: "audit"})
    records = inspection_records(inspected, day, seed, "R")
    written[INSPECTIONS.name] = write_landing(records, INSPECTIONS, landing_path(settings.landing_dir, INSPECTIONS, day))
    return written


def simulate_days(start: dt.date, days: int, settings: Settings, scale: float = DEFAULT_SCALE,
                  drift: Drift | None = None) -> list[dict[str, Path]]:
    return [simulate_day(start + dt.timedelta(days=i), settings, scale, drift) for i in range(days)]


def load_truth(settings: Settings, until: dt.date | None = None) -> pd.DataFrame:
    """Every truth file up to a day (inclusive), for evaluation and for answering inspections."""
    frames = []
    for path in sorted(truth_dir(settings).glob("*.parquet")):
        try:
            file_day = dt.date.fromisoformat(path.stem)
        except ValueError:
            continue
        if until is None or file_day <= until:
            frames.append(pd.read_parquet(path))
    if not frames:
        return pd.DataFrame(columns=TRUTH_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def answer_inspections(day: dt.date, selections: pd.DataFrame, settings: Settings) -> Path:
    """Play the inspectors for the model's picks of a day: outcomes from the truth of the items' own days.

    Rewrites landing/inspections/<day>/model_selection.csv, so a rerun with the same picks is a no-op.
    Raises ValueError for items no truth file up to `day` holds: an unknown id is a bug upstream.
    """
    needed = ["lane", "item_id", "office_id", "selection_reason"]
    missing_cols = [c for c in needed if c not in selections.columns]
    if missing_cols:
        raise ValueError(f"selections lack columns {missing_cols}")
    picks = selections[needed].drop_duplicates(["lane", "item_id"]).astype({"item_id": str})
    bad = sorted(set(picks["selection_reason"]) - set(INSPECTIONS.field("selection_reason").allowed))
    if bad:
        raise ValueError(f"selection_reason values {bad} are not in the inspections contract")
    truth = load_truth(settings, until=day)[["lane", "item_id", "item_date", "is_risky", "category"]]
    merged = picks.merge(truth.drop_duplicates(["lane", "item_id"]), on=["lane", "item_id"], how="left",
                         validate="one_to_one")
    unknown = merged[merged["item_date"].isna()]
    if len(unknown):
        raise ValueError(f"{len(unknown)} selected items have no truth up to {day}: "
                         f"{unknown[['lane', 'item_id']].head(5).to_dict('records')}")
    merged = merged.sort_values(["lane", "item_id"], kind="stable")
    records = inspection_records(merged, day, settings.seed, "M")
    path = landing_path(settings.landing_dir, INSPECTIONS, day).with_name(MODEL_FILE)
    return write_landing(records, INSPECTIONS, path)
