"""Seeded traffic simulator: the synthetic Korean customs day (docs/simulator.md).

Writes landing files for every source, the historic rule/audit inspections and a truth file per
day; answers inspections for the model's picks. Same seed, day and scale give byte-identical files.
"""
from .config import DEFAULT_SCALE, FULL_DAY_VOLUMES
from .drift import Drift
from .day import answer_inspections, load_truth, simulate_day, simulate_days, truth_path

__all__ = ["simulate_day", "simulate_days", "answer_inspections", "load_truth", "truth_path",
           "DEFAULT_SCALE", "FULL_DAY_VOLUMES", "Drift"]
