"""The AI-CCTV event log of the arrival areas, one track per traveller (~10 events each).

Normal track: track_start at immigration with a strong face match, a few 'seen' events in the arrival
hall, baggage claim and customs lane, track_end at the exit matched again. Planted behaviour (from
travellers.BEHAVIOUR): bag_handover at baggage claim, loiter, long baggage-claim dwell, and a weak or
missing face match at the exit (the person leaving is not the one who passed immigration).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.contracts import CCTV_EVENTS

from .codes import day_ids, digits, timestamps

_ZONES = CCTV_EVENTS.field("zone").allowed            # immigration, arrival_hall, baggage_claim, customs_lane, exit
_TYPES = CCTV_EVENTS.field("event_type").allowed      # track_start, seen, bag_handover, loiter, track_end
IMMIGRATION, HALL, CLAIM, LANE, EXIT = range(5)
START, SEEN, HANDOVER, LOITER, END = range(5)
_ZONE_TAG = np.array(["IM", "AH", "BC", "CL", "EX"])
CAMERAS_PER_ZONE = 6
MIN = 60


def _face_matches(zone: np.ndarray, kind: np.ndarray, swapped: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(matched, score) per event: always at immigration, usually at the exit, now and then in between;
    a traveller who swapped clothes or bags is often not re-identified at the exit."""
    m = len(zone)
    score = np.where(rng.random(m) < 0.5, rng.uniform(0.90, 0.995, m), rng.uniform(0.70, 0.97, m))
    matched = np.where(zone == IMMIGRATION, True, np.where(zone == EXIT, True, rng.random(m) < 0.3))
    matched &= (kind != HANDOVER) & (kind != LOITER) | (rng.random(m) < 0.2)
    score = np.where(zone == IMMIGRATION, rng.uniform(0.90, 0.995, m), score)
    score = np.where(zone == EXIT, rng.uniform(0.88, 0.995, m), score)
    swapped_exit = (zone == EXIT) & swapped
    missing = swapped_exit & (rng.random(m) < 0.5)
    matched &= ~missing
    score = np.where(swapped_exit, rng.uniform(0.30, 0.60, m), score)
    return matched, score


def generate(day: dt.date, travellers: pd.DataFrame, behaviour: dict, rng: np.random.Generator) -> pd.DataFrame:
    n = len(travellers)
    t_imm = behaviour["arrival_minute"] * MIN + rng.uniform(10, 40, n) * MIN
    hall_start = t_imm + rng.uniform(1, 3, n) * MIN
    hall_len = rng.uniform(2, 8, n) * MIN
    claim_start = hall_start + hall_len
    claim_len = np.where(behaviour["long_dwell"], rng.uniform(45, 90, n), rng.uniform(10, 30, n)) * MIN
    lane_start = claim_start + claim_len
    lane_len = rng.uniform(1, 5, n) * MIN
    t_exit = lane_start + lane_len + rng.uniform(0.5, 2, n) * MIN

    parts = []   # (traveller index, seconds, zone, type)

    def add(who, seconds, zone, kind):
        parts.append((who, seconds, np.full(len(who), zone), np.full(len(who), kind)))

    everyone = np.arange(n)
    add(everyone, t_imm, IMMIGRATION, START)
    for zone, start, length, low, high in ((HALL, hall_start, hall_len, 1, 3), (CLAIM, claim_start, claim_len, 3, 6),
                                            (LANE, lane_start, lane_len, 1, 2)):
        count = rng.integers(low, high + 1, n) + np.where(behaviour["long_dwell"] & (zone == CLAIM), 2, 0)
        who = np.repeat(everyone, count)
        add(who, start[who] + rng.random(len(who)) * length[who], zone, SEEN)
    who = np.flatnonzero(behaviour["handover"])
    add(who, claim_start[who] + rng.random(len(who)) * claim_len[who], CLAIM, HANDOVER)
    who = np.flatnonzero(behaviour["loiter"])
    in_hall = rng.random(len(who)) < 0.3
    add(who[in_hall], hall_start[who[in_hall]] + rng.random(in_hall.sum()) * hall_len[who[in_hall]], HALL, LOITER)
    add(who[~in_hall], claim_start[who[~in_hall]] + rng.random((~in_hall).sum()) * claim_len[who[~in_hall]], CLAIM, LOITER)
    add(everyone, t_exit, EXIT, END)

    who = np.concatenate([p[0] for p in parts])
    seconds = np.concatenate([p[1] for p in parts]).astype(np.int64)
    zone = np.concatenate([p[2] for p in parts])
    kind = np.concatenate([p[3] for p in parts])
    m = len(who)

    matched, score = _face_matches(zone, kind, behaviour["swap"][who], rng)

    order = np.lexsort((kind, who, seconds))
    who, seconds, zone, kind, matched, score = (a[order] for a in (who, seconds, zone, kind, matched, score))
    track_no = rng.permutation(n)
    office = travellers["office_id"].to_numpy()[who]
    camera = np.strings.add(np.strings.add(np.strings.add(office, "-"), _ZONE_TAG[zone]),
                            np.strings.add("-", digits(rng.integers(1, CAMERAS_PER_ZONE + 1, m), 2)))
    passport = travellers["passport_no"].to_numpy()[who]
    return pd.DataFrame({
        "event_id": day_ids("E", day, m, width=8),
        "event_time": timestamps(day, seconds),
        "camera_id": camera,
        "zone": np.array(_ZONES)[zone],
        "event_type": np.array(_TYPES)[kind],
        "track_id": np.strings.add(f"K{day:%Y%m%d}", digits(track_no[who], 7)),
        "face_match_id": np.where(matched, passport, None),
        "match_score": np.where(matched, np.round(score, 3), np.nan),
    })[CCTV_EVENTS.columns]
