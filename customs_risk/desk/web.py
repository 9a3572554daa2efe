"""What every route shares: the signed-in user from the session (with idle and absolute expiry), the
CSRF check of form posts, the scope check, and rendering a template with the user and token."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates

from customs_risk.desk.auth import User, csrf_ok, new_csrf_token
from customs_risk.desk.store import Store

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
# Session expiry (ASVS 3.3): signed out after this much idle time, and after this long in any case.
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 10 * 60 * 60


class NotSignedIn(Exception):
    """No valid session: the page redirects to /login."""


class Forbidden(Exception):
    """Signed in, but this user may not see or do this (403)."""


def store(request: Request) -> Store:
    return request.app.state.store


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (signed-out sessions get one for the login form)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return token


def current_user(request: Request) -> User:
    """The signed-in user, refreshed from the store so a deactivated account stops at once."""
    session = request.session
    name, since, seen = session.get("user"), session.get("since", 0), session.get("seen", 0)
    clock = time.time()
    if not name:
        raise NotSignedIn()
    if clock - seen > IDLE_SECONDS or clock - since > ABSOLUTE_SECONDS:
        session.clear()
        raise NotSignedIn()
    row = store(request).user(name)
    if row is None or not row["active"]:
        session.clear()
        raise NotSignedIn()
    session["seen"] = int(clock)
    return User(row["username"], row["role"], row["office"], row["lane"])


async def checked_form(request: Request) -> dict:
    """The posted form, after its CSRF token matched the session's (else Forbidden)."""
    form = await request.form()
    if not csrf_ok(request.session.get("csrf"), form.get("csrf_token") or request.headers.get("x-csrf-token")):
        raise Forbidden("the form's security token is missing or stale: reload the page and try again")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def user_of(request: Request, *roles: str) -> User:
    """The signed-in user, who must have one of ``roles``."""
    user = current_user(request)
    require_role(user, *roles)
    return user


async def form_of(request: Request, *roles: str) -> tuple[dict, User]:
    """A form post by a signed-in user of one of ``roles``: (checked form, user)."""
    form = await checked_form(request)
    return form, user_of(request, *roles)


def require_scope(user: User, lane: str, office: str) -> None:
    if not user.may_see(lane, office):
        raise Forbidden(f"{user.username} may not see the {lane} list of office {office}")


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden(f"this page is for {' or '.join(roles)}s")


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise LookupError(f"not a day: {text!r} (YYYY-MM-DD)") from None


def render(request: Request, name: str, user: User | None, status_code: int = 200, **context):
    return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request), **context},
                                      status_code=status_code)


def list_url(day: dt.date, lane: str, office: str) -> str:
    return f"/day/{day.isoformat()}/{quote(lane)}/{quote(office)}"


templates.env.globals["list_url"] = list_url
