"""The simulator as the platform's truth oracle (see ``ml.oracle``): set
``CUSTOMS_RISK_ORACLE=simworld.oracle:SimulatorOracle`` to have training, the gate and scoring report
the true hit rate and the planted patterns found, measures no real customs service can have."""
from __future__ import annotations

from datetime import date
from typing import Iterable

import pandas as pd

from core.settings import Settings
from simworld import truth as truth_files

ORACLE = "simworld.oracle:SimulatorOracle"


class SimulatorOracle:
    def __init__(self, settings: Settings):
        self.settings = settings

    def truth(self, lane: str, days: Iterable[date]) -> pd.DataFrame | None:
        return truth_files.load_truth(self.settings, lane, days)

    def policy_hit_rates(self, truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, float]:
        return truth_files.policy_hit_rates(truth, model_selected_ids)

    def pattern_recall(self, truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, dict[str, float]]:
        return truth_files.pattern_recall(truth, model_selected_ids)
