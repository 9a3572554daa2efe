"""Every page the platform writes must work on a closed network: no script, stylesheet, image or font
from another machine (links a person may click are fine). The scanner here is independent of the code
that rewrites the pages, and runs on what the real stages write."""
from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from core.warehouse import Warehouse
from expectations.context import data_docs_index
from expectations.offline_site import localise

DAY = dt.date(2026, 3, 2)
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)""", re.I)
FETCHED = {"src", "href", "srcset", "poster", "data", "background", "action", "formaction"}


class _References(HTMLParser):
    """What a browser fetches by itself from a page: tag attributes, inline and embedded CSS."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self._css(value)
            elif name in FETCHED and not (tag == "a" and name == "href"):
                urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
                self.fetched += urls
            elif tag == "meta" and name == "content" and "url=" in value.lower():
                self.fetched.append(value.lower().split("url=", 1)[1])
        self._in_style = self._in_style or tag == "style"

    def handle_endtag(self, tag):
        self._in_style = self._in_style and tag != "style"

    def handle_data(self, data):
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.fetched += [a or b for a, b in CSS_URL.findall(text)]


def fetched(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.fetched


def external_references(html: str) -> list[str]:
    return [url for url in fetched(html) if EXTERNAL.match(url)]


def missing_local_files(page: Path) -> list[str]:
    """Local references of a page that point at no file (a rewrite to a path that is not there)."""
    out = []
    for url in fetched(page.read_text(encoding="utf-8")):
        parts = urlsplit(url)
        if EXTERNAL.match(url) or parts.scheme or not parts.path:
            continue
        if not (page.parent / unquote(parts.path)).exists():
            out.append(url)
    return out


def scan(root: Path) -> dict[str, list[str]]:
    """Every HTML file under root with the external references it has (only offenders are listed)."""
    found = {str(p.relative_to(root)): external_references(p.read_text(encoding="utf-8"))
             for p in sorted(root.rglob("*.html"))}
    return {page: refs for page, refs in found.items() if refs}


def test_scanner_sees_what_a_browser_would_fetch():
    page = """<html><head><link rel="stylesheet" href="https://cdn.example/b.css">
    <script src="//cdn.example/j.js"></script><style>body{background:url('https://x.example/i.png')}
    @import "https://fonts.example/f.css";</style></head><body style="background: url(http://y.example/z.png)">
    <img srcset="local.png 1x, https://img.example/2x.png 2x"><a href="https://docs.example">docs</a>
    <img src="static/logo.png"><img src="data:image/png;base64,AAAA"><a href="#top">top</a></body></html>"""
    assert external_references(page) == [
        "https://cdn.example/b.css", "//cdn.example/j.js", "https://x.example/i.png",
        "https://fonts.example/f.css", "http://y.example/z.png", "https://img.example/2x.png"]


def test_localise_makes_ge_templates_local_and_keeps_clicked_links():
    """GE's own templates, as installed, hold every CDN reference its pages get."""
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    head = "".join((templates / name).read_text() for name in ("page.j2", "js_script_imports.j2", "top_navbar.j2"))
    head = head.replace("{{ static_images_dir }}", "https://great-expectations-web-assets.s3.amazonaws.com/")
    assert len(external_references(head)) >= 15
    local = localise(head + '<a href="https://greatexpectations.io">GX</a>', "../../")
    assert external_references(local) == []
    assert '<link rel="stylesheet" href="../../static/vendor/bootstrap/bootstrap.min.css"/>' in local
    assert "../../static/vendor/fontawesome/css/all.min.css" in local and "integrity" not in local
    assert '<a href="https://greatexpectations.io">GX</a>' in local


def test_data_docs_of_an_ingested_day_work_offline_and_name_source_and_day(settings, monkeypatch):
    from ingest.load import load_day
    from simworld.simulator import simulate_day

    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    path = simulate_day(DAY, settings, scale=0.002)["shipments"]
    lines = path.read_text(encoding="utf-8").splitlines()
    weight, quantity, pccc = (lines[0].split(",").index(c) for c in ("weight_kg", "quantity", "consignee_pccc"))
    two_faults, bad_code = lines[2].split(","), lines[3].split(",")
    two_faults[weight], two_faults[quantity] = "-1.5", "three"    # one row, two failed expectations
    bad_code[pccc] = "P12345BADCODE"                              # a malformed personal identifier
    lines[2], lines[3] = ",".join(two_faults), ",".join(bad_code)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = load_day("shipments", DAY, settings)
    site = data_docs_index(settings.gx_dir).parent
    assert scan(site) == {}
    assert {str(p.relative_to(site)): missing_local_files(p) for p in site.rglob("*.html")
            if missing_local_files(p)} == {}
    index = (site / "index.html").read_text(encoding="utf-8")
    quarantined = Warehouse(settings).query_df(
        "select count(*) from raw.quarantine where source = 'shipments' and batch_date = ?", [DAY]).iloc[0, 0]
    assert report.rows_quarantined == quarantined == 2
    # The failing values (here a personal identifier) are not kept in GE's store or pages.
    assert not [p for p in settings.gx_dir.rglob("*") if p.is_file() and b"P12345BADCODE" in p.read_bytes()]
    row = re.search(r"<tr[^>]*><td>shipments</td><td>2026-03-02</td><td[^>]*>([\d,]+)</td>"
                    r"<td[^>]*>(\d+)</td><td>(.*?)</td>.*?<a href=\"([^\"]+)\">details</a>", index)
    assert row is not None, index
    assert int(row[1].replace(",", "")) == report.rows_loaded + quarantined and int(row[2]) == quarantined
    assert row[3].endswith("failed")
    page = site / unquote(row[4])
    assert page.exists() and "shipments 2026-03-02" in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_page_of_a_small_pipeline_run_works_offline(settings, monkeypatch):
    """Four simulated days through the real stages (ingest with GE, dbt build and docs, training,
    scoring with its HTML summary), then every HTML file of the project home is scanned."""
    import dataclasses

    from customs_risk import stages
    from core.contracts import CONTRACTS
    from simworld.simulator import simulate_days
    from transform.dbt_build import docs

    monkeypatch.setenv("CUSTOMS_RISK_ALLOW_DEMO_KEY", "1")
    s = dataclasses.replace(settings, lanes=("express",))
    simulate_days(DAY, 4, s, scale=0.003)
    days = [DAY + dt.timedelta(days=i) for i in range(4)]
    for day in days:
        for source in CONTRACTS:
            stages.ingest(source, day, s)
    stages.transform(settings=s)
    stages.train("express", as_of=days[-1], settings=s)
    result = stages.score("express", days[-1], s)
    dbt_index = docs(s)

    pages = {p.relative_to(s.home) for p in s.home.rglob("*.html")}
    assert {Path(result["html"]).relative_to(s.home), dbt_index.relative_to(s.home),
            data_docs_index(s.gx_dir).relative_to(s.home)} <= pages
    assert scan(s.home) == {}
    # dbt docs carries a tracker it loads from a CDN when the manifest says usage stats are on.
    manifest = json.loads((dbt_index.parent / "manifest.json").read_text())
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
