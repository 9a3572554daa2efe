"""The per-lane, per-day monitoring page a data scientist opens: does the champion still hold?
Self-contained HTML (Jinja2, figures inlined), next to the day's scored lists."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from core.settings import Settings
from monitoring.plots import plot_hit_rates, plot_psi

TEMPLATES = Path(__file__).resolve().parent / "templates"


def report_path(settings: Settings, lane: str, day: dt.date) -> Path:
    return settings.scored_dir / day.isoformat() / f"{lane}_monitoring.html"


def write_report(lane: str, day: dt.date, settings: Settings, *, champion, level: str, warnings: list[str],
                 drift: pd.DataFrame, volumes: pd.DataFrame, weekly: pd.DataFrame, rows: int,
                 reference_rows: int) -> Path:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    page = env.get_template("monitoring.html.j2").render(
        lane=lane, day=day, champion=champion, level=level, warnings=warnings, rows=rows,
        reference_rows=reference_rows, settings=settings, confidence=f"{100 * settings.confidence:g} %",
        drift=drift.to_dict("records"), volumes=volumes.to_dict("records"), weekly=weekly.to_dict("records"),
        psi_plot=plot_psi(drift, settings.psi_watch, settings.psi_act, f"{lane} {day}: drift"),
        hit_plot=plot_hit_rates(weekly, f"{lane}: hit rate per week") if len(weekly) else None)
    path = report_path(settings, lane, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
