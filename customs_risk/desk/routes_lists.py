"""The analyst's pages: the queue, an office's list of a day (and its CSV), an item, its outcome form."""
from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from customs_risk.desk import web
from customs_risk.desk.lanes import VIEWS
from customs_risk.desk.listing import WHY_TEXT, filtered, list_columns, static_rows, with_status
from customs_risk.desk.outcomes import CATEGORIES, METHODS, RESULTS, OutcomeError, clean_outcome, record_outcome

router = APIRouter()


@router.get("/")
def queue(request: Request, day: str | None = None):
    user = web.current_user(request)
    if user.role == "admin":
        return RedirectResponse("/admin/users", status_code=303)
    store = web.store(request)
    lanes = [user.lane] if user.lane else []
    days = store.days(lanes)
    chosen = web.parse_day(day) if day else (days[0] if days else None)
    done = store.done_counts(chosen) if chosen else {}
    mine = [dict(row, done=done.get((row["lane"], row["office"]), 0))
            for row in (store.lists_of_day(chosen) if chosen else []) if user.may_see(row["lane"], row["office"])]
    return web.render(request, "queue.html", user, day=chosen, days=days[:60], lists=mine)


@router.get("/go")
def pick_day(request: Request, day: str, lane: str, office: str):
    """The day picker's form: to the fixed address of that day's list."""
    web.current_user(request)
    return RedirectResponse(web.list_url(web.parse_day(day), lane, office), status_code=303)


def _list(request: Request, day: str, lane: str, office: str):
    user = web.current_user(request)
    web.require_scope(user, lane, office)
    the_day = web.parse_day(day)
    if lane not in VIEWS:
        raise LookupError(f"no lane {lane!r}")
    store = web.store(request)
    info = store.list_info(the_day, lane, office)
    rows = with_status(static_rows(store, info, lane, office), store.latest_outcomes(the_day, lane, office))
    return user, store, the_day, info, rows


@router.get("/day/{day}/{lane}/{office}.csv")
def list_csv(request: Request, day: str, lane: str, office: str):
    user, store, the_day, _, rows = _list(request, day, lane, office)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "item_id", "score", "why_selected", "status", "result", *list_columns(lane), "reasons"])
    for r in rows:
        writer.writerow([r["rank"], r["item_id"], f"{r['score']:.4f}", r["why"], r["status"], r["result"],
                         *r["facts"], " | ".join(r["reasons"])])
    store.log(user.username, "export", lane, office, {"day": the_day.isoformat(), "rows": len(rows)})
    name = f"{lane}_{office}_{the_day.isoformat()}.csv"
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/day/{day}/{lane}/{office}")
def list_page(request: Request, day: str, lane: str, office: str, why: str = "", status: str = "",
              q: str = "", sort: str = "rank"):
    user, store, the_day, info, rows = _list(request, day, lane, office)
    columns = list_columns(lane)
    shown = filtered(rows, why=why, status=status, q=q, sort=sort)
    store.log(user.username, "list_view", lane, office, {"day": the_day.isoformat()})
    return web.render(request, "list.html", user, day=the_day, lane=lane, office=office, columns=columns,
                      rows=shown, total=len(rows), done=sum(r["status"] == "done" for r in rows), info=info,
                      days=store.days([lane])[:60], why_text=WHY_TEXT,
                      filters={"why": why, "status": status, "q": q, "sort": sort})


def _item(request: Request, lane: str, item_id: str):
    user = web.current_user(request)
    item = web.store(request).item(lane, item_id)
    if item is None:
        raise LookupError(f"no published {lane} item {item_id}")
    web.require_scope(user, lane, item["office"])
    return user, item


def _item_page(request: Request, user, item, error: str | None = None, status_code: int = 200):
    history = web.store(request).outcome_history(item["lane"], item["item_id"])
    return web.render(request, "item.html", user, status_code=status_code, item=item, outcomes=history,
                      why_text=WHY_TEXT, methods=METHODS, results=RESULTS, categories=CATEGORIES, error=error)


@router.get("/items/{lane}/{item_id}")
def item_page(request: Request, lane: str, item_id: str):
    user, item = _item(request, lane, item_id)
    web.store(request).log(user.username, "item_view", lane, item["office"], {"item": item_id})
    return _item_page(request, user, item)


@router.post("/items/{lane}/{item_id}/outcome")
async def record(request: Request, lane: str, item_id: str):
    form = await web.checked_form(request)
    user, item = _item(request, lane, item_id)
    try:
        values = clean_outcome(form)
    except OutcomeError as exc:
        return _item_page(request, user, item, error=str(exc), status_code=422)
    store = web.store(request)
    corrects = bool(store.outcome_history(lane, item_id))
    path = record_outcome(store, request.app.state.settings, item, values, user.username)
    store.log(user.username, "outcome", lane, item["office"],
              {"item": item_id, "result": values["result"], "correction": corrects, "file": path.name})
    return RedirectResponse(f"{web.list_url(item['day'], lane, item['office'])}#item-{item_id}", status_code=303)
