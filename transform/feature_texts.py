"""The one catalogue of feature texts: the column descriptions of the feature marts' dbt yml.

dbt docs shows these words, and the desk and the daily summaries explain a selection with the same
words, never with a feature's name. A feature column without a description is a gap that
``tests/test_dbt_project.py`` reports.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from core.settings import PROJECT_ROOT

MARTS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"


@lru_cache(maxsize=None)
def feature_texts(lane: str) -> dict[str, str]:
    """Column name -> description of ``fct_<lane>_features``, from whichever yml under marts/ holds it."""
    model = f"fct_{lane}_features"
    for path in sorted(Path(MARTS_DIR).glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if entry.get("name") == model:
                return {c["name"]: " ".join(str(c.get("description", "")).split())
                        for c in entry.get("columns", []) if c.get("description")}
    return {}


def feature_text(lane: str, column: str) -> str:
    """The words for one feature column; the bare name only where the catalogue has a gap."""
    return feature_texts(lane).get(column, column)
