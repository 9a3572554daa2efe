"""The Airflow Assets that connect the stages: a day's landing drives transform, then scoring."""
from __future__ import annotations

from airflow.sdk import Asset

from core.settings import LANES
from core.contracts import CONTRACTS

RAW = {source: Asset(name=f"raw_{source}", uri=f"x-customs-risk://warehouse/raw/{source}") for source in CONTRACTS}
FEATURES = {lane: Asset(name=f"{lane}_features", uri=f"x-customs-risk://warehouse/marts/fct_{lane}_features")
            for lane in LANES}
# The pool that serialises warehouse writers: DuckDB allows one writer per file.
WAREHOUSE_POOL = "warehouse_writer"
