"""The desk's application factory: FastAPI, server-rendered Jinja2 pages, signed session cookies."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from core.settings import Settings, get_settings
from customs_risk.desk import web
from customs_risk.desk.auth import session_secret
from customs_risk.desk.store import Store

# No page loads anything from elsewhere (the network is closed, and it keeps pages self-contained).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    from customs_risk.desk import routes_auth, routes_lists, routes_manage

    settings = settings or get_settings()
    app = FastAPI(title="customs-risk desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.store = Store(settings.desk_url)
    # HttpOnly is always set by SessionMiddleware; SameSite=Lax keeps shared links working while the
    # CSRF token guards every post. CUSTOMS_RISK_DESK_SECRET signs the cookie.
    app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="desk_session",
                       max_age=web.ABSOLUTE_SECONDS, same_site="lax", https_only=False)
    app.mount("/static", StaticFiles(directory=str(web.HERE / "static")), name="static")
    for module in (routes_auth, routes_lists, routes_manage):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(web.NotSignedIn)
    async def to_login(request: Request, _exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(web.Forbidden)
    async def forbidden(request: Request, exc):
        return web.render(request, "error.html", None, status_code=403, title="Not allowed", message=str(exc))

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc):
        return web.render(request, "error.html", None, status_code=404, title="Not found",
                          message=str(exc).strip("'\""))

    return app
