"""The Airflow trigger behind the landing folder's AssetWatcher: it fires when landing days become ready."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from customs_risk.landing import GRACE_SECONDS, SETTLE_SECONDS, claim_ready_days

log = logging.getLogger(__name__)


class LandingDayTrigger(BaseEventTrigger):
    """Polls the landing folder; fires ``{"days": [...]}`` when days become ready (an AssetWatcher's trigger)."""

    def __init__(self, landing_dir: str, state_dir: str, poll_seconds: float = 5.0,
                 settle_seconds: float = SETTLE_SECONDS, grace_seconds: float = GRACE_SECONDS):
        super().__init__()
        self.landing_dir, self.state_dir = landing_dir, state_dir
        self.poll_seconds, self.settle_seconds, self.grace_seconds = poll_seconds, settle_seconds, grace_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"landing_dir": self.landing_dir, "state_dir": self.state_dir, "poll_seconds": self.poll_seconds,
                 "settle_seconds": self.settle_seconds, "grace_seconds": self.grace_seconds})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            # The folder scan is blocking I/O: off the triggerer's event loop, which runs every trigger.
            days = await asyncio.to_thread(claim_ready_days, Path(self.landing_dir), Path(self.state_dir),
                                           settle_seconds=self.settle_seconds, grace_seconds=self.grace_seconds)
            if days:
                log.info("landing days ready: %s", ", ".join(d.isoformat() for d in days))
                yield TriggerEvent({"days": [d.isoformat() for d in days]})
            await asyncio.sleep(self.poll_seconds)


def landing_asset(settings):
    """The landing folder as an Asset whose watcher fires for every ready day (payload ``{"days": [...]}``)."""
    from airflow.sdk import Asset, AssetWatcher

    from customs_risk.landing import seen_dir

    trigger = LandingDayTrigger(str(settings.landing_dir), str(seen_dir(settings.airflow_home)))
    return Asset(name="landing_days", uri=f"file://{settings.landing_dir}",
                 watchers=[AssetWatcher(name="landing_days_watcher", trigger=trigger)])
