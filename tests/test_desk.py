"""The risk desk on a small simulated world made by the real stages (simulate, ingest, dbt, train, score
and publish): who may see and do what, CSRF, lockout, expiry, what the pages say, no raw identifier."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from core.contracts import CONTRACTS
from core.warehouse import Warehouse
from customs_risk.desk import web
from customs_risk.desk.auth import add_user
from customs_risk.desk.outcomes import landing_path
from customs_risk.desk.store import Store
from desk_world import LANE, PASSWORD, USERS, build_desk_world, csrf_of, sign_in

FEATURE_NAME = re.compile(r"\b[fc]_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield build_desk_world(tmp_path_factory.mktemp("desk") / "home", monkeypatch)


@pytest.fixture(scope="module")
def app(world):
    from customs_risk.desk.app import create_app

    return create_app(world.settings)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def _as(app, name):
    c = TestClient(app, base_url="http://testserver")
    assert sign_in(c, name).status_code == 303
    return c


def _items(world, office):
    return Store(world.settings.desk_url).list_items(world.day, LANE, office)


def test_sign_in_sets_a_protected_cookie_and_the_queue_shows_only_own_lists(world, client):
    response = sign_in(client, "ana")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    queue = client.get("/")
    assert queue.status_code == 200
    assert f'/day/{world.day}/{LANE}/IEX"' in queue.text
    assert "/GEX" not in queue.text and "/ISE" not in queue.text
    assert "default-src 'self'" in queue.headers["content-security-policy"]


def _matrix_cases(world):
    """(method, path, form, {who: expected status}); who is a user name or None (signed out)."""
    day = world.day
    own, other = _items(world, "IEX")[-1]["item_id"], _items(world, "GEX")[-1]["item_id"]
    outcome = {"method": "xray", "result": "no_finding"}
    lists = {"ana": 200, "ben": 403, "sue": 200, "tom": 403, "adm": 403, None: 303}
    other_lists = {**lists, "ana": 403, "ben": 200}
    posts = {k: (303 if v == 200 else v) for k, v in lists.items()}
    other_posts = {k: (303 if v == 200 else v) for k, v in other_lists.items()}
    managers = {"ana": 403, "ben": 403, "sue": 200, "tom": 200, "adm": 200, None: 303}
    return [
        ("GET", "/", None, {"ana": 200, "ben": 200, "sue": 200, "tom": 200, "adm": 303, None: 303}),
        ("GET", f"/day/{day}/{LANE}/IEX", None, lists),
        ("GET", f"/day/{day}/{LANE}/GEX", None, other_lists),
        ("GET", f"/day/{day}/{LANE}/IEX.csv", None, lists),
        ("GET", f"/day/{day}/{LANE}/GEX.csv", None, other_lists),
        ("GET", f"/items/{LANE}/{own}", None, lists),
        ("GET", f"/items/{LANE}/{other}", None, other_lists),
        ("POST", f"/items/{LANE}/{own}/outcome", outcome, posts),
        ("POST", f"/items/{LANE}/{other}/outcome", outcome, other_posts),
        ("GET", "/audit", None, managers),
        ("GET", "/capacity", None, {**managers, "adm": 403}),
        ("POST", "/capacity", {"office": "IEX", "kind": "count", "value": "9"},
         {"ana": 403, "ben": 403, "sue": 303, "tom": 422, "adm": 403, None: 303}),
        ("GET", "/admin/users", None, {"ana": 403, "ben": 403, "sue": 403, "tom": 403, "adm": 200, None: 303}),
        ("POST", "/admin/users", {"username": "newbie", "role": "analyst", "office": "PEX", "lane": LANE,
                                  "password": PASSWORD},
         {"ana": 403, "ben": 403, "sue": 403, "tom": 403, "adm": 303, None: 303}),
    ]


def test_authorisation_matrix_every_route_role_office_and_signed_out(world, app):
    clients = {name: _as(app, name) for name in USERS}
    clients[None] = TestClient(app, base_url="http://testserver")
    seen = []
    for method, path, form, expected in _matrix_cases(world):
        assert set(expected) == set(clients), path
        for who, c in clients.items():
            if method == "GET":
                status = c.get(path, follow_redirects=False).status_code
            else:
                status = c.post(path, data={**form, "csrf_token": csrf_of(c, "/login")},
                                follow_redirects=False).status_code
            seen.append((method, path, who, status, expected[who]))
    wrong = [s for s in seen if s[3] != s[4]]
    assert not wrong, wrong
    # A signed-out request goes to the login page and comes back to where it was going.
    response = clients[None].get(f"/day/{world.day}/{LANE}/IEX", follow_redirects=False)
    assert response.headers["location"] == f"/login?next=/day/{world.day}/{LANE}/IEX"


def test_posts_without_a_valid_csrf_token_are_refused(world, app):
    ana = _as(app, "ana")
    item = _items(world, "IEX")[0]["item_id"]
    before = Store(world.settings.desk_url).outcome_history(LANE, item)
    for token in (None, "forged-token"):
        data = {"method": "physical", "result": "seizure", "category": "drugs"}
        if token:
            data["csrf_token"] = token
        assert ana.post(f"/items/{LANE}/{item}/outcome", data=data, follow_redirects=False).status_code == 403
    assert Store(world.settings.desk_url).outcome_history(LANE, item) == before
    assert ana.post("/logout", follow_redirects=False).status_code == 403          # still signed in
    assert ana.get("/").status_code == 200
    fresh = TestClient(app, base_url="http://testserver")
    assert fresh.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 403


def test_repeated_failures_lock_the_account_even_for_the_right_password(world, client):
    store = Store(world.settings.desk_url)
    add_user(store, "lockme", "analyst", "IEX", LANE, PASSWORD)
    for _ in range(5):
        assert sign_in(client, "lockme", "wrong password!").status_code == 401
    locked = sign_in(client, "lockme", PASSWORD)
    assert locked.status_code == 401 and "locked" in locked.text
    # Unknown names lock the same way, so the answer does not tell which names exist.
    for _ in range(5):
        sign_in(client, "nobody-here", "wrong password!")
    assert "locked" in sign_in(client, "nobody-here", "wrong password!").text
    failures = [e for e in store.audit_entries() if e["action"] == "sign_in_failed" and e["username"] == "lockme"]
    assert len(failures) == 6


def test_an_idle_session_expires_and_sign_out_ends_it(world, app, monkeypatch):
    ana = _as(app, "ana")
    assert ana.get("/").status_code == 200
    monkeypatch.setattr(web, "IDLE_SECONDS", -1)
    assert ana.get("/", follow_redirects=False).status_code == 303
    monkeypatch.undo()
    ana = _as(app, "ana")
    assert ana.post("/logout", data={"csrf_token": csrf_of(ana)}, follow_redirects=False).status_code == 303
    assert ana.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_the_list_explains_each_item_in_words_and_the_csv_has_the_same_rows(world, app):
    sue = _as(app, "sue")
    items = _items(world, "IEX")
    page = sue.get(f"/day/{world.day}/{LANE}/IEX")
    assert page.status_code == 200
    ids = re.findall(r'<tr id="item-([^"]+)"', page.text)
    assert ids == [i["item_id"] for i in items] and len(ids) > 0
    for heading in ("HS6", "Description", "Declared value (USD)", "Weight (kg)", "Origin", "Departure", "Courier",
                    "Seller", "Consignee (pseudonymous key)", "Exploration: drawn at random"):
        assert heading in page.text
    assert not FEATURE_NAME.findall(page.text), FEATURE_NAME.findall(page.text)[:5]
    assert "(typical: median" in page.text
    explored = sue.get(f"/day/{world.day}/{LANE}/IEX", params={"why": "exploration"})
    assert re.findall(r'<tr id="item-([^"]+)"', explored.text) == [i["item_id"] for i in items
                                                                    if i["why"] == "exploration"]
    exported = sue.get(f"/day/{world.day}/{LANE}/IEX.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["item_id"] for r in rows] == ids and rows[0]["HS6"] == items[0]["facts"]["HS6"]
    assert "attachment" in exported.headers["content-disposition"]
    actions = {(e["action"], e["office"]) for e in Store(world.settings.desk_url).audit_entries(lane=LANE)}
    assert {("list_view", "IEX"), ("export", "IEX"), ("sign_in", None)} <= actions


def test_the_item_page_shows_facts_reasons_with_typical_values_history_and_model(world, app):
    ana = _as(app, "ana")
    item = next(i for i in _items(world, "IEX") if i["why"] == "model")
    page = ana.get(f"/items/{LANE}/{item['item_id']}")
    assert page.status_code == 200
    assert f"version {item['model_version']}" in page.text and f"{item['score']:.3f}" in page.text
    assert "History of the parties" in page.text and "Courier" in page.text
    assert item["reasons"] and all(str(escape(r["text"])) in page.text for r in item["reasons"])
    assert not FEATURE_NAME.findall(page.text)
    assert ana.get(f"/items/{LANE}/NO-SUCH-ITEM").status_code == 404


def test_a_republication_on_its_own_publishes_what_the_score_stage_did(world):
    """``customs-risk publish`` reads the selection and the day's feature rows back from the warehouse;
    the items (facts, reasons with their typical values, parties' history) equal the score stage's."""
    from customs_risk import stages

    store = Store(world.settings.desk_url)

    def published():
        offices = [row["office"] for row in store.lists_of_day(world.day) if row["lane"] == LANE]
        rows = [store.item(LANE, i["item_id"]) for o in offices for i in store.list_items(world.day, LANE, o)]
        return {r["item_id"]: {k: r[k] for k in ("office", "rank", "score", "facts", "reasons", "history")}
                for r in rows}

    before = published()
    assert before and any(r["reasons"] for r in before.values())
    assert stages.publish(LANE, world.day, world.settings)["desk_items"] == len(before)
    assert published() == before


def test_an_outcome_and_its_correction_are_both_kept_and_only_the_latest_lands(world, app):
    ana = _as(app, "ana")
    item = _items(world, "IEX")[1]
    url = f"/items/{LANE}/{item['item_id']}/outcome"
    first = {"method": "physical", "result": "seizure", "category": "drugs", "quantity": "1.5",
             "note": "in the sole", "csrf_token": csrf_of(ana)}
    assert ana.post(url, data=first, follow_redirects=False).status_code == 303
    bad = ana.post(url, data={"method": "xray", "result": "no_finding", "category": "drugs",
                              "csrf_token": csrf_of(ana)})
    assert bad.status_code == 422 and "without finding has no category" in bad.text
    fix = {"method": "physical", "result": "irregularity", "category": "undervaluation", "extra_duty_krw": "120000",
           "csrf_token": csrf_of(ana)}
    assert ana.post(url, data=fix, follow_redirects=False).status_code == 303
    history = Store(world.settings.desk_url).outcome_history(LANE, item["item_id"])
    assert [h["result"] for h in history] == ["irregularity", "seizure"] and history[0]["supersedes"] == history[1]["id"]
    page = ana.get(f"/items/{LANE}/{item['item_id']}").text
    assert "superseded" in page and "in the sole" in page
    listed = ana.get(f"/day/{world.day}/{LANE}/IEX").text
    row = re.search(rf'<tr id="item-{item["item_id"]}" class="(\w+)">', listed)
    assert row.group(1) == "done"
    with landing_path(world.settings, LANE, "IEX", world.day).open() as handle:
        records = [r for r in csv.DictReader(handle) if r["item_id"] == item["item_id"]]
    assert len(records) == 1 and records[0]["result"] == "irregularity" and records[0]["selection_reason"] == item["why"]
    assert list(records[0]) == CONTRACTS["inspections"].columns


def test_supervisor_capacity_is_validated_audited_and_reaches_scoring(world, app):
    from customs_risk.desk.capacity import with_desk_capacities

    sue = _as(app, "sue")
    for kind, value in (("share", "1.5"), ("count", "-3"), ("count", "2.5"), ("share", "abc")):
        refused = sue.post("/capacity", data={"office": "PEX", "kind": kind, "value": value,
                                              "csrf_token": csrf_of(sue, "/capacity")})
        assert refused.status_code == 422, (kind, value)
    for office, kind, value in (("PEX", "share", "5%"), ("ISE", "count", "12")):
        assert sue.post("/capacity", data={"office": office, "kind": kind, "value": value,
                                           "csrf_token": csrf_of(sue, "/capacity")},
                        follow_redirects=False).status_code == 303
    tomorrow = world.day + dt.timedelta(days=1)
    merged = with_desk_capacities(world.settings, LANE, tomorrow).office_capacity[LANE]
    assert merged["PEX"] == pytest.approx(0.05) and merged["ISE"] == 12 and isinstance(merged["ISE"], int)
    assert with_desk_capacities(world.settings, LANE, world.day) == world.settings
    logged = [e for e in Store(world.settings.desk_url).audit_entries(lane=LANE) if e["action"] == "capacity"]
    assert {e["office"] for e in logged} >= {"PEX", "ISE"}


def test_the_audit_log_cannot_be_changed(world):
    import sqlalchemy as sa

    store = Store(world.settings.desk_url)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with store.engine.begin() as conn:
            conn.exec_driver_sql("delete from desk_audit")
    assert store.audit_entries()


def _raw_identifiers(settings) -> set[str]:
    """Every raw personal identifier in the landing files (the fields the contracts pseudonymise)."""
    import json

    found = set()
    for contract in CONTRACTS.values():
        personal = [f.name for f in contract.fields if f.pseudonym_as]
        for path in (settings.landing_dir / contract.name).glob(f"*/*.{contract.fmt}"):
            if contract.fmt == "csv":
                rows = csv.DictReader(path.open(encoding="utf-8"))
            else:
                rows = (json.loads(line) for line in path.open(encoding="utf-8") if line.strip())
            found |= {str(row[name]) for row in rows for name in personal if row.get(name)}
    return {value for value in found if len(value) >= 6}


def test_no_raw_personal_identifier_appears_in_any_page(world, app):
    raw = _raw_identifiers(world.settings)
    assert len(raw) > 100
    sue, adm = _as(app, "sue"), _as(app, "adm")
    pages = [sue.get("/").text, sue.get("/audit").text, sue.get("/capacity").text, adm.get("/admin/users").text,
             adm.get("/audit").text]
    for office in ("IEX", "ISE", "PEX", "GEX"):
        pages += [sue.get(f"/day/{world.day}/{LANE}/{office}").text, sue.get(f"/day/{world.day}/{LANE}/{office}.csv").text]
        pages += [sue.get(f"/items/{LANE}/{i['item_id']}").text for i in _items(world, office)]
    text = "\n".join(pages)
    assert len(pages) > 20 and "pseudonymous key" in text
    leaked = [value for value in raw if value in text]
    assert not leaked, leaked[:5]


CHROMIUM = "/usr/bin/chromium"


def test_in_a_browser_sign_in_open_a_list_and_an_item_record_an_outcome_and_export(world, tmp_path):
    """Playwright driving Debian's Chromium against a live ``customs-risk desk``."""
    import os

    from desk_world import running_desk

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") or os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    with running_desk(world.settings.home) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto(f"{url}/")
            expect(page).to_have_url(re.compile(r"/login\?next=/$"))
            page.fill("input[name=username]", "ana")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text(f"Lists for {world.day}")
            page.click(f"a[href='/day/{world.day}/{LANE}/IEX']")
            expect(page.locator("h1")).to_contain_text("list of office IEX")
            row = page.locator("tr.todo").first
            item_id = row.get_attribute("id").removeprefix("item-")
            row.locator("a").first.click()
            expect(page.locator("h1")).to_contain_text(item_id)
            page.select_option("select[name=method]", "physical")
            page.select_option("select[name=result]", "seizure")
            page.select_option("select[name=category]", "drugs")
            page.fill("input[name=quantity]", "2")
            page.click("form.outcome button[type=submit]")
            done = page.locator(f"tr[id='item-{item_id}']")
            expect(done).to_have_class("done")
            expect(done.locator("td.status")).to_have_text("done: seizure (drugs)")
            page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
            with page.expect_download() as download:
                page.click("text=Export CSV")
            exported = (tmp_path / "list.csv")
            download.value.save_as(exported)
            rows = {r["item_id"]: r for r in csv.DictReader(exported.open(encoding="utf-8"))}
            assert rows[item_id]["status"] == "done" and rows[item_id]["result"] == "seizure (drugs)"
        finally:
            browser.close()


def _hammer(url: str, paths: list[str], stop, seen: list) -> None:
    """A signed-in analyst keeps reading pages of the live desk until told to stop."""
    import time

    import httpx

    with httpx.Client(base_url=url, timeout=30) as c:
        assert sign_in(c, "sue").status_code == 303
        while not stop.is_set():
            for path in paths:
                clock = time.perf_counter()
                seen.append((c.get(path).status_code, time.perf_counter() - clock))
            time.sleep(0.05)


def test_outcomes_become_labels_and_a_new_day_loads_while_the_desk_serves(world, app):
    """The loop: outcomes recorded on the desk land as inspection records; simulating, ingesting,
    transforming and scoring the next day while a live desk serves pages; the labels and the
    supervisor's capacity show up in the warehouse and on the next list."""
    import threading

    from customs_risk import stages
    from desk_world import SOURCES, running_desk
    from ml.features import load_features
    from simworld.simulator import simulate_day

    ana, sue = _as(app, "ana"), _as(app, "sue")
    picked = _items(world, "IEX")[2:5]
    results = {picked[0]["item_id"]: "seizure", picked[1]["item_id"]: "no_finding", picked[2]["item_id"]: "irregularity"}
    for item_id, result in results.items():
        data = {"method": "physical", "result": result, "csrf_token": csrf_of(ana)}
        assert ana.post(f"/items/{LANE}/{item_id}/outcome", data=data, follow_redirects=False).status_code == 303
    assert sue.post("/capacity", data={"office": "IEX", "kind": "count", "value": "7",
                                       "csrf_token": csrf_of(sue)}, follow_redirects=False).status_code == 303
    next_day = world.day + dt.timedelta(days=1)
    seen, stop = [], threading.Event()
    with running_desk(world.settings.home) as url:
        reader = threading.Thread(target=_hammer, args=(url, ["/", f"/day/{world.day}/{LANE}/IEX",
                                                              f"/items/{LANE}/{picked[0]['item_id']}"], stop, seen))
        reader.start()
        try:
            simulate_day(next_day, world.settings, scale=0.003)
            for source in SOURCES:
                stages.ingest(source, next_day, world.settings)
            stages.transform(settings=world.settings)
            scored = stages.score(LANE, next_day, world.settings)
        finally:
            stop.set()
            reader.join(timeout=60)
        served_after = len(seen)
    assert served_after > 20 and all(status == 200 for status, _ in seen), seen[:5]

    labels = load_features(LANE, world.settings, labelled_only=True).set_index("item_id")
    for item_id, result in results.items():
        assert labels.loc[item_id, "label"] == (0 if result == "no_finding" else 1)
        assert labels.loc[item_id, "selection_reason"] in ("model", "exploration")
    inspections = Warehouse(world.settings).query_df(
        "select item_id, count(*) as n from marts.fct_inspections where inspection_id like 'DESK%' group by 1")
    assert set(results) <= set(inspections["item_id"]) and (inspections["n"] == 1).all()

    assert scored["desk_items"] == scored["selected"]
    lists = {r["office"]: r for r in Store(world.settings.desk_url).lists_of_day(next_day)}
    assert lists["IEX"]["n_items"] == min(7, lists["IEX"]["traffic"]) and lists["IEX"]["capacity"] == "7 items"
    assert f"Lists for {next_day}" in ana.get("/").text
