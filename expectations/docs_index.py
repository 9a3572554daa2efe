"""Our own Data Docs index: one row per validated landing batch, named by source and business day.

GE's index fills its table with JavaScript from bootstrap-table (nothing shows offline) and names runs
``__none__``. This page is plain HTML read from the stored validation results: source, business day(s),
rows, rows failing the contract (the ones quarantined), failed expectations, and a link to GE's page
of the validation. The run name carries source and day (``run_name``), since GE keeps no other trace
of the business day a batch was for.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from expectations.offline_site import VENDOR
from core.contracts import LINE_COLUMN as LINE

log = logging.getLogger(__name__)

ROW_COUNT = "expect_table_row_count_to_be_between"
SUITE_SUFFIX = "_contract"


def run_name(source: str, first_day: dt.date, last_day: dt.date) -> str:
    """'shipments 2026-03-08' for a daily batch, 'declarations 2021-01-01..2021-12-31' for a span."""
    days = first_day.isoformat() if first_day == last_day else f"{first_day}..{last_day}"
    return f"{source} {days}"


@dataclass(frozen=True)
class BatchRow:
    source: str
    days: str
    validated_at: str
    rows: int | None
    failing_rows: int
    failed_expectations: int
    expectations: int
    page: str          # site-relative href of GE's validation page

    @property
    def success(self) -> bool:
        return self.failed_expectations == 0


def read_result(path: Path, results_dir: Path) -> BatchRow:
    """One stored validation result (GE's JSON) as an index row."""
    result = json.loads(path.read_text(encoding="utf-8"))
    meta = result.get("meta", {})
    name = (meta.get("run_id") or {}).get("run_name") or ""
    source, _, days = name.partition(" ")
    failing, rows = set(), None
    for item in result.get("results", []):
        outcome = item.get("result") or {}
        if item["expectation_config"]["type"] == ROW_COUNT:
            rows = outcome.get("observed_value")
        for entry in outcome.get("unexpected_index_list") or []:
            failing.add(entry.get(LINE) if isinstance(entry, dict) else entry)
    stats = result.get("statistics", {})
    page = "validations/" + path.relative_to(results_dir).with_suffix(".html").as_posix()
    return BatchRow(
        source=source if days else result.get("suite_name", "").removesuffix(SUITE_SUFFIX),
        days=days or "(no business day recorded)",
        validated_at=str(meta.get("validation_time", ""))[:19].replace("T", " "),
        rows=rows, failing_rows=len(failing),
        failed_expectations=int(stats.get("unsuccessful_expectations", 0)),
        expectations=int(stats.get("evaluated_expectations", 0)),
        page=quote(page),
    )


def collect(results_dir: Path) -> list[BatchRow]:
    """Every stored validation, newest business day first, then by source and newest validation."""
    rows = [read_result(p, results_dir) for p in sorted(results_dir.rglob("*.json"))]
    rows.sort(key=lambda r: r.validated_at, reverse=True)
    rows.sort(key=lambda r: r.source)
    rows.sort(key=lambda r: r.days, reverse=True)
    return rows


def render(rows: list[BatchRow], suites: list[str]) -> str:
    e = html.escape
    body = "".join(
        f"<tr class=\"{'' if r.success else 'table-danger'}\"><td>{e(r.source)}</td><td>{e(r.days)}</td>"
        f"<td class=\"text-right\">{'' if r.rows is None else f'{r.rows:,}'}</td>"
        f"<td class=\"text-right\">{r.failing_rows:,}</td>"
        f"<td>{'passed' if r.success else f'{r.failed_expectations} of {r.expectations} failed'}</td>"
        f"<td>{e(r.validated_at)} UTC</td><td><a href=\"{e(r.page)}\">details</a></td></tr>"
        for r in rows)
    suite_links = " · ".join(f"<a href=\"expectations/{quote(s)}.html\">{e(s.removesuffix(SUITE_SUFFIX))}</a>"
                             for s in suites)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>customs-risk: validated landing batches</title>
<link rel="stylesheet" href="{VENDOR}/bootstrap/bootstrap.min.css"></head>
<body class="container-fluid p-4"><h1 class="h3">Validated landing batches</h1>
<p>Each landing batch (one source, one business day) is validated against its data contract before it
loads. Rows failing the contract go to the warehouse table <code>raw.quarantine</code> with their
reasons; a batch whose batch-level expectations fail does not load at all. "details" opens the
validation: every expectation, its observed values and the failing lines.</p>
<p>Contracts (expectation suites): {suite_links}</p>
<table class="table table-sm table-hover"><thead><tr><th>source</th><th>business day</th>
<th class="text-right">rows</th><th class="text-right">rows failing the contract</th>
<th>expectations</th><th>validated at</th><th></th></tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def write_index(site: Path, results_dir: Path) -> Path:
    """Replace GE's index.html with ours (after every Data Docs build, which rewrites it)."""
    suites = sorted(p.stem for p in (site / "expectations").glob("*.html"))
    rows = collect(results_dir) if results_dir.is_dir() else []
    index = site / "index.html"
    index.write_text(render(rows, suites), encoding="utf-8")
    log.debug("Data Docs index: %d validations in %s", len(rows), index)
    return index
