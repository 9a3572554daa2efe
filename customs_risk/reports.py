"""What people read of a scored day, beside the warehouse table: the selected list per office as CSV,
all scored rows as Parquet (a US-sized day is millions of rows: columnar, typed and ~10x faster to write
than CSV), and a short HTML summary (a Jinja2 template). Presentation only: the selection itself is
``ml.score``'s."""
from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from core.contracts import OFFICES
from core.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"


def write_day_outputs(out: pd.DataFrame, lane: str, day: date, settings: Settings, result: dict) -> dict:
    """Write the day's files; returns ``all_rows`` (Parquet), ``csv_offices`` and ``html`` paths."""
    all_path, office_paths = write_lists(out, lane, day, settings)
    return {"all_rows": all_path, "csv_offices": office_paths,
            "html": write_summary_html(out, lane, day, settings, result)}


def write_lists(out: pd.DataFrame, lane: str, day: date, settings: Settings) -> tuple[Path, dict[str, Path]]:
    """All scored rows in <day>/<lane>.parquet; the selected list per office in <day>/<lane>/<office>.csv.
    Every known office gets a file (header only when empty): a missing file would be ambiguous. Each is
    written aside and renamed into place, so a reader never sees half a day."""
    day_dir = settings.scored_dir / day.isoformat()
    day_dir.mkdir(parents=True, exist_ok=True)
    staging = day_dir / f".{lane}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    selected = out[out["selected"]]
    paths = {}
    for office in sorted(set(OFFICES.get(lane, ())) | set(out["office_id"].unique())):
        selected[selected["office_id"] == office].to_csv(staging / f"{office}.csv", index=False)
        paths[office] = day_dir / lane / f"{office}.csv"
    final = day_dir / lane
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    all_path = day_dir / f"{lane}.parquet"
    partial = all_path.with_name(f".{all_path.name}.tmp")
    out.to_parquet(partial, index=False)
    partial.replace(all_path)
    return all_path, paths


def write_summary_html(out: pd.DataFrame, lane: str, day: date, settings: Settings, result: dict) -> Path:
    """A short human summary of the day and lane next to the CSVs: <scored_dir>/<day>/<lane>.html."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    scores = out["score"].to_numpy(dtype=float)
    selected = out[out["selected"]] if len(out) else out
    top = Counter(part.partition("=")[0] for text in selected["reasons"].dropna() for part in text.split("; "))
    counts = np.histogram(scores, bins=10, range=(0, 1))[0] if len(scores) else np.zeros(10, dtype=int)
    page = env.get_template("summary.html.j2").render(
        lane=lane, day=day, result=result, rows=len(out), selected=len(selected),
        confidence=f"{100 * settings.confidence:g} %",
        quantiles=[float(np.quantile(scores, q)) for q in (0.5, 0.9, 0.99, 1.0)] if len(scores) else [],
        histogram=[(i / 10, int(n)) for i, n in enumerate(counts)], top_reasons=top.most_common(10))
    path = settings.scored_dir / day.isoformat() / f"{lane}.html"
    path.write_text(page, encoding="utf-8")
    return path
