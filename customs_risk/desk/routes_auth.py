"""Sign-in and sign-out. Failed sign-ins are counted per name and lock it (``auth.MAX_FAILURES``)."""
from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from customs_risk.desk import web
from customs_risk.desk.auth import LOCKOUT, authenticate, new_csrf_token

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host or scheme): no open redirect after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return web.render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login")
async def login(request: Request):
    form = await web.checked_form(request)
    username = (form.get("username") or "").strip().lower()[:64]
    user, why = authenticate(web.store(request), username, form.get("password") or "")
    target = _safe_next(form.get("next"))
    if user is None:
        web.store(request).log(username or None, "sign_in_failed", detail={"why": why})
        error = (f"Too many failed sign-ins: this account is locked for {LOCKOUT.seconds // 60} minutes."
                 if why == "locked" else "Wrong user name or password.")
        return web.render(request, "login.html", None, status_code=401, next=target, error=error)
    request.session.clear()   # a fresh session (and token) for the signed-in user: no fixation
    clock = int(time.time())
    request.session.update(user=user.username, since=clock, seen=clock, csrf=new_csrf_token())
    web.store(request).log(user.username, "sign_in", user.lane, user.office)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request):
    await web.checked_form(request)
    name = request.session.get("user")
    request.session.clear()
    if name:
        web.store(request).log(name, "sign_out")
    return RedirectResponse("/login", status_code=303)
