"""One writer at a time: a load holds an exclusive lock on the warehouse while it reads history, validates
and writes, and a second load waits for it instead of failing half-way.

DuckDB takes one writer per file, and the duplicate-key and volume checks read the warehouse before the
write, so two loads at once would each judge against a state the other is changing. The lock is an
advisory ``flock`` on a file under the project home (released by the kernel if the holder dies, even on
``kill -9``); it also serialises loads into PostgreSQL from one home.
"""
from __future__ import annotations

import fcntl
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.settings import Settings
from ingest.readers import BatchRejected

log = logging.getLogger(__name__)
POLL_S = 0.2


class WarehouseBusy(BatchRejected):
    """Another load kept the warehouse for longer than the lock timeout."""


def lock_path(settings: Settings) -> Path:
    return settings.home / "warehouse.lock"


@contextmanager
def warehouse_lock(settings: Settings, what: str) -> Iterator[None]:
    """Hold the warehouse write lock for ``what``; wait up to ``settings.lock_timeout_s`` for it."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        _acquire(handle, path, settings.lock_timeout_s, what)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}: {what}\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle, path: Path, timeout_s: float, what: str) -> None:
    deadline, waited = time.monotonic() + timeout_s, False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "unknown process"
                raise WarehouseBusy(f"{what}: another load holds the warehouse ({holder}; lock {path}); "
                                    f"gave up after {timeout_s:g} s (CUSTOMS_RISK_LOCK_TIMEOUT_S)") from None
            if not waited:
                log.info("%s: waiting for another load to release the warehouse (%s)", what, path)
                waited = True
            time.sleep(POLL_S)
