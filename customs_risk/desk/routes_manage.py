"""Supervisors' and admins' pages: the audit log, tomorrow's capacities, user management."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from core.contracts import OFFICES
from customs_risk.desk import web
from customs_risk.desk.auth import ROLES, UserError, add_user
from customs_risk.desk.capacity import CapacityError, parse_capacity

router = APIRouter()


@router.get("/audit")
def audit_page(request: Request):
    user = web.user_of(request, "supervisor", "admin")
    entries = web.store(request).audit_entries(lane=user.lane if user.role == "supervisor" else None)
    return web.render(request, "audit.html", user, entries=entries)


def _capacity_day(request: Request, lane: str) -> dt.date:
    """Tomorrow: the day after the newest published list of the lane (or after today without one)."""
    days = web.store(request).days([lane])
    return (days[0] if days else dt.date.today()) + dt.timedelta(days=1)


def _offices(request: Request, lane: str) -> list[str]:
    store = web.store(request)
    days = store.days([lane])
    seen = {r["office"] for r in store.lists_of_day(days[0]) if r["lane"] == lane} if days else set()
    return sorted(set(OFFICES.get(lane, ())) | seen)


def _capacity_page(request: Request, user, error: str | None = None, status_code: int = 200):
    day = _capacity_day(request, user.lane)
    entries = web.store(request).capacities_for(user.lane, day)
    return web.render(request, "capacity.html", user, status_code=status_code, day=day,
                      offices=_offices(request, user.lane), entries=entries, error=error,
                      default=request.app.state.settings.capacity_share[user.lane],
                      configured=request.app.state.settings.office_capacity.get(user.lane, {}))


@router.get("/capacity")
def capacity_page(request: Request):
    user = web.user_of(request, "supervisor")
    return _capacity_page(request, user)


@router.post("/capacity")
async def set_capacity(request: Request):
    form, user = await web.form_of(request, "supervisor")
    office, kind = form.get("office", ""), form.get("kind", "")
    try:
        if office not in _offices(request, user.lane):
            raise CapacityError(f"no office {office!r} in the {user.lane} lane")
        value = parse_capacity(kind, form.get("value", ""))
    except CapacityError as exc:
        return _capacity_page(request, user, error=str(exc), status_code=422)
    day = _capacity_day(request, user.lane)
    store = web.store(request)
    store.set_capacity(user.lane, office, day, kind, value, user.username)
    store.log(user.username, "capacity", user.lane, office, {"day": day.isoformat(), "kind": kind, "value": value})
    return RedirectResponse("/capacity", status_code=303)


@router.get("/admin/users")
def users_page(request: Request):
    user = web.user_of(request, "admin")
    return _users_page(request, user)


def _users_page(request: Request, user, error: str | None = None, status_code: int = 200):
    return web.render(request, "users.html", user, status_code=status_code, users=web.store(request).all_users(),
                      roles=ROLES, lanes=list(OFFICES), error=error)


@router.post("/admin/users")
async def users_add(request: Request):
    form, user = await web.form_of(request, "admin")
    try:
        add_user(web.store(request), form.get("username", "").strip().lower(), form.get("role", ""),
                 form.get("office") or None, form.get("lane") or None, form.get("password", ""), by=user.username)
    except UserError as exc:
        return _users_page(request, user, error=str(exc), status_code=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/active")
async def users_active(request: Request, username: str):
    form, user = await web.form_of(request, "admin")
    if web.store(request).user(username) is None:
        raise LookupError(f"no user {username!r}")
    active = form.get("active") == "1"
    web.store(request).set_active(username, active)
    web.store(request).log(user.username, "user_enabled" if active else "user_disabled", detail={"user": username})
    return RedirectResponse("/admin/users", status_code=303)
