"""The aiohttp application: middlewares (errors, sessions and CSRF, security headers), the
templates (Jinja2, autoescaped) and the routes of every page."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import jinja2
from aiohttp import web

from forumbot.services.errors import (
    NotFound,
    PermissionDenied,
    UserFacingError,
    database_unavailable,
)
from forumbot.web.context import WebContext
from forumbot.web.pages import archive, auth, cases, guild, queue, rules, settings
from forumbot.web.sessions import SESSION_COOKIE
from forumbot.web.views import CONTEXT_KEY, JINJA_KEY, SESSION_KEY, ctx, render

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HERE = Path(__file__).parent
# Room for the largest upload the CLI accepts, plus the form around it.
FORM_OVERHEAD = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Paths a form may be posted to without a session (none today: sign-in is a GET redirect).
NO_CSRF: frozenset[str] = frozenset()
STATIC_PREFIX = "/static/"


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type != "text/plain":
            raise
        return render(request, "error.html", status=exc.status, error=exc.text or exc.reason)
    except (NotFound, PermissionDenied, UserFacingError) as exc:
        status = (
            404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 400
        )
        return render(request, "error.html", status=status, error=str(exc))
    except Exception as exc:
        # A database that is restarting is an outage, not a bug: say so (503, try again) and log
        # one line instead of a traceback per page.
        if (outage := database_unavailable(exc)) is not None:
            log.warning("dashboard page failed: database unavailable (%s)", type(exc).__name__)
            return render(request, "error.html", status=503, error=outage)
        log.exception("dashboard page failed", extra={"path": request.path})
        return render(request, "error.html", status=500, error="Something went wrong on our side.")


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    context = ctx(request)
    # Static files are the same for everyone: reading the session (a database query) for each
    # stylesheet or script would only cost time.
    static = request.path.startswith(STATIC_PREFIX) and request.method in ("GET", "HEAD")
    session = None if static else await context.sessions.load(request.cookies.get(SESSION_COOKIE))
    request[SESSION_KEY] = session
    if request.method not in ("GET", "HEAD") and request.path not in NO_CSRF:
        if session is None:
            raise web.HTTPForbidden(text="Sign in first.")
        data = await request.post()
        token = data.get("csrf") or request.headers.get("X-CSRF-Token")
        if not context.signer.check_csrf(session, token if isinstance(token, str) else None):
            raise web.HTTPForbidden(
                text="This form expired or did not come from this dashboard; reload and retry."
            )
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if session is not None:
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def create_app(context: WebContext) -> web.Application:
    app = web.Application(
        middlewares=[errors_middleware, session_middleware],
        # The confirm form carries the previewed file back in base64 (4/3 of its size).
        client_max_size=2 * context.settings.max_file_bytes + FORM_OVERHEAD,
    )
    app[CONTEXT_KEY] = context
    app[JINJA_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.router.add_static(STATIC_PREFIX, HERE / "static", append_version=True)
    for module in (auth, guild, queue, cases, rules, archive, settings):
        module.add_routes(app.router)
    return app


__all__ = ["WebContext", "create_app"]
