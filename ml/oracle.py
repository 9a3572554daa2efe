"""The one hook through which a world that knows the truth plugs into evaluation.

A customs service has no truth oracle: only inspected items have outcomes. With no oracle configured
(``CUSTOMS_RISK_ORACLE`` unset, the production default) training, the promotion gate and scoring judge
on the audit/exploration estimate alone. The simulated world knows the true status of every item and
plugs in by naming a factory, ``CUSTOMS_RISK_ORACLE=simworld.oracle:SimulatorOracle``; production code
never imports it, it is loaded by name here.

An oracle answers three questions, each on the truth frame it returned (columns ``item_id``,
``item_date``, ``is_risky``, ``rule_selected``, ``pattern``):
"""
from __future__ import annotations

import importlib
from datetime import date
from typing import Iterable, Protocol

import pandas as pd

from core.settings import Settings


class Oracle(Protocol):
    def truth(self, lane: str, days: Iterable[date]) -> pd.DataFrame | None:
        """Truth rows of the lane's items on those days; None where nothing is known."""

    def policy_hit_rates(self, truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, float]:
        """True hit rate of the model's picks beside random inspection and the historic rules."""

    def pattern_recall(self, truth: pd.DataFrame, model_selected_ids: Iterable) -> dict[str, dict[str, float]]:
        """Per planted pattern: its items and the share the model and the rules pick."""


def get_oracle(settings: Settings) -> Oracle | None:
    """The configured oracle, or None (production). ``settings.oracle`` is ``module:factory``."""
    if not settings.oracle:
        return None
    module, _, factory = settings.oracle.partition(":")
    return getattr(importlib.import_module(module), factory)(settings)


def truth_for(settings: Settings, lane: str, days: Iterable[date]) -> pd.DataFrame | None:
    """Shortcut: the oracle's truth for these days, None without an oracle."""
    oracle = get_oracle(settings)
    return oracle.truth(lane, days) if oracle is not None else None
