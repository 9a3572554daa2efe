"""Make the GE Data Docs site work on a closed network.

GE 1.x writes every page with bootstrap, bootstrap-table, jQuery, font-awesome, vega and its logo loaded
from CDNs, and its template loader cannot be overridden (custom views only add templates). So after each
Data Docs build the pages are rewritten: each external script, stylesheet or image that has a local copy
points at it (copied into ``static/vendor`` from the XStatic packages), and the rest are removed
(bootstrap-table, the datepicker, vega and the dark theme only decorate what the HTML already shows).
Links a person may click (``<a href>``) stay as they are.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

VENDOR = "static/vendor"
# (pattern on an external URL's path, the local file, under the site, that replaces it)
LOCAL_COPIES = (
    (re.compile(r"/css/bootstrap(\.min)?\.css$"), f"{VENDOR}/bootstrap/bootstrap.min.css"),
    # The bundle carries popper, which GE loads separately (and which is then dropped).
    (re.compile(r"/js/bootstrap(\.min)?\.js$"), f"{VENDOR}/bootstrap/bootstrap.bundle.min.js"),
    (re.compile(r"/jquery-[\d.]+(\.min)?\.js$"), f"{VENDOR}/jquery/jquery.min.js"),
    (re.compile(r"/font-awesome/.*/all(\.min)?\.css$"), f"{VENDOR}/fontawesome/css/all.min.css"),
    (re.compile(r"/(full_)?logo(-long|_dark)*\.png$"), "static/images/logo-long.png"),
)
# site file -> (XStatic package, file inside it); font-awesome's css reads its fonts from ../webfonts.
VENDOR_FILES = {
    f"{VENDOR}/bootstrap/bootstrap.min.css": ("bootstrap", "css/bootstrap.min.css"),
    f"{VENDOR}/bootstrap/bootstrap.bundle.min.js": ("bootstrap", "js/bootstrap.bundle.min.js"),
    f"{VENDOR}/jquery/jquery.min.js": ("jquery", "jquery.min.js"),
    f"{VENDOR}/fontawesome/css/all.min.css": ("font_awesome", "css/all.min.css"),
}
FONT_DIR = (f"{VENDOR}/fontawesome/webfonts", "font_awesome", "webfonts")

EXTERNAL = r"(?:https?:)?//"
_TAG = re.compile(r"<(?P<tag>script|link|img)\b(?P<attrs>[^>]*)>(?P<close>\s*</script>)?", re.I)
_URL_ATTR = re.compile(rf"""\b(?P<name>src|href)\s*=\s*(?P<q>["'])(?P<url>{EXTERNAL}[^"']*)(?P=q)""", re.I)
_INTEGRITY = re.compile(r"""\s+(integrity|crossorigin)\s*=\s*(["'])[^"']*\2""", re.I)
# GE's own links into static/ (its favicon's depth is wrong on validation pages): re-rooted on the page.
_LOCAL_STATIC = re.compile(r"""\b(?P<attr>(?:src|href)\s*=\s*["'])(?:\./)?(?:\.\./)*static/""", re.I)
_CSS_URL = re.compile(rf"""url\(\s*(?P<q>["']?)(?P<url>{EXTERNAL}[^"')]*)(?P=q)\s*\)""", re.I)
# Enough of a page to see whether GE's <head> still loads from outside (rewritten pages do not).
_HEAD_BYTES = 16_384


def vendor_assets(site: Path) -> None:
    """Copy the vendored files into the site once (they are the packages' own files, unchanged)."""
    for target, (package, name) in VENDOR_FILES.items():
        _copy(_package_dir(package) / name, site / target)
    fonts_target, package, fonts = FONT_DIR
    for font in sorted((_package_dir(package) / fonts).glob("*")):
        if font.suffix in (".woff2", ".ttf"):
            _copy(font, site / fonts_target / font.name)


def _package_dir(package: str) -> Path:
    import importlib

    return Path(importlib.import_module(f"xstatic.pkg.{package}").BASE_DIR)


def _copy(source: Path, target: Path) -> None:
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def local_copy(url: str) -> str | None:
    """The site-relative file that stands in for an external URL, or None when it is to be dropped."""
    path = urlsplit(url if "://" in url else f"https:{url}").path
    return next((local for pattern, local in LOCAL_COPIES if pattern.search(path)), None)


def localise(html: str, prefix: str) -> str:
    """The page with every external script, stylesheet, image and CSS url() made local or removed,
    and its links into the site's static/ folder rooted at the site.

    ``prefix`` leads from the page's folder to the site root (``""``, ``"../../"``, ...)."""
    def tag(match: re.Match) -> str:
        url_attr = _URL_ATTR.search(match["attrs"])
        if url_attr is None:
            return match[0]
        local = local_copy(url_attr["url"])
        if local is None:
            return ""
        q = url_attr["q"]
        attrs = _INTEGRITY.sub("", match["attrs"].replace(url_attr[0], f"{url_attr['name']}={q}{prefix}{local}{q}"))
        return f"<{match['tag']}{attrs}>{match['close'] or ''}"

    def css_url(match: re.Match) -> str:
        local = local_copy(match["url"])
        return f"url('{prefix}{local}')" if local else "none"

    html = _LOCAL_STATIC.sub(lambda m: f"{m['attr']}{prefix}static/", html)
    return _CSS_URL.sub(css_url, _TAG.sub(tag, html))


def needs_localising(page: Path) -> bool:
    with page.open("rb") as handle:
        head = handle.read(_HEAD_BYTES).decode("utf-8", errors="ignore")
    return any(_URL_ATTR.search(m["attrs"]) for m in _TAG.finditer(head)) or bool(_CSS_URL.search(head))


def localise_site(site: Path) -> int:
    """Vendor the assets and rewrite each page that still loads from outside; returns pages rewritten.

    A page is read whole only when its head shows external references, so a large site costs little."""
    if not site.is_dir():
        return 0
    vendor_assets(site)
    rewritten = 0
    for page in sorted(site.rglob("*.html")):
        if not needs_localising(page):
            continue
        prefix = os.path.relpath(site, page.parent).replace(os.sep, "/") + "/"
        prefix = "" if prefix == "./" else prefix
        page.write_text(localise(page.read_text(encoding="utf-8"), prefix), encoding="utf-8")
        rewritten += 1
    log.debug("Data Docs: %d pages made local under %s", rewritten, site)
    return rewritten
