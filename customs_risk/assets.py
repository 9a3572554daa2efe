"""The Airflow Assets that connect the stages, in the order they fire for one business day:

landing files -> ingest -> RAW (one per source) -> transform -> FEATURES (per lane) + LABELS ->
train (retrain policy, gate, promote) -> MODELS (per lane: the champion to score with) -> score -> LISTS
-> monitor; monitoring that finds drift beyond its act threshold raises DRIFT, which asks the train DAG
for a retrain (serving from the next day's scoring). Every event carries the business day in its ``extra``
({"day": "YYYY-MM-DD"}).
"""
from __future__ import annotations

from airflow.sdk import Asset

from core.contracts import CONTRACTS
from core.settings import LANES

_URI = "x-customs-risk://"
RAW = {source: Asset(name=f"raw_{source}", uri=f"{_URI}warehouse/raw/{source}") for source in CONTRACTS}
FEATURES = {lane: Asset(name=f"{lane}_features", uri=f"{_URI}warehouse/marts/fct_{lane}_features")
            for lane in LANES}
LABELS = Asset(name="item_outcomes", uri=f"{_URI}warehouse/intermediate/int_item_outcomes")
MODELS = {lane: Asset(name=f"{lane}_champion", uri=f"{_URI}registry/customs-risk-{lane}/champion")
          for lane in LANES}
LISTS = {lane: Asset(name=f"{lane}_daily_list", uri=f"{_URI}warehouse/scoring/daily_selection/{lane}")
         for lane in LANES}
DRIFT = {lane: Asset(name=f"{lane}_drift", uri=f"{_URI}warehouse/monitoring/drift_flags/{lane}") for lane in LANES}
# The pool that serialises warehouse writers: DuckDB allows one writer per file.
WAREHOUSE_POOL = "warehouse_writer"
