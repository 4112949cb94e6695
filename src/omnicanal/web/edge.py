"""Wiring of the web edge into the application: state, static files, sign-in guard."""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff import service as staff
from omnicanal.staff import sessions
from omnicanal.web.input import PageInputRefused, address_is_clean, parse_fields
from omnicanal.web.rendering import Renderer
from omnicanal.web.sessions import COOKIE

__all__ = [
    "Form",
    "Member",
    "WebEdge",
    "client_address",
    "install",
    "read_form",
    "safe_next",
    "web_edge",
]

STATIC = Path(__file__).with_name("static")


class CleanAddresses:
    """Every page's path and query string pass here first (the API has its own bounds); a
    plain ASGI middleware, so that the API's requests cost nothing more than this check."""

    def __init__(
        self, app: ASGIApp, *, refuse: Callable[[Request, PageInputRefused], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode()
            page = raw_path.startswith((b"/store", b"/admin"))
            if page and not address_is_clean(raw_path, scope.get("query_string", b"")):
                response = await self.refuse(Request(scope, receive), PageInputRefused())
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass
class WebEdge:
    """What every page needs: templates and translations."""

    renderer: Renderer


class LoginRequired(Exception):
    """No valid session: the page sends the reader to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def web_edge(request: Request) -> WebEdge:
    edge: WebEdge = request.app.state.web
    return edge


WebDep = Annotated[WebEdge, Depends(web_edge)]


class FormRejected(Exception):
    """A form posted without this session's CSRF token (or from another site)."""


def client_address(request: Request) -> str:
    """The address the request comes from (the proxy's, unless uvicorn is told to trust it)."""
    return request.client.host if request.client else ""


def safe_next(value: str | None, default: str = "/store") -> str:
    """A path of our own pages to go on to after signing in, never another site's."""
    if not value or value.startswith("//") or "\\" in value:
        return default
    if any(ord(char) < 32 for char in value):
        return default
    for root in ("/store", "/admin"):
        if value == root or value.startswith((f"{root}/", f"{root}?")):
            return value
    return default


def signed_in(request: Request, platform: PlatformDep) -> staff.StaffMember:
    """The staff member of the session cookie, or a redirect to the sign-in page."""
    with platform.db.reading() as session:
        opened = sessions.read_session(
            session,
            request.cookies.get(COOKIE),
            address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    if opened is None:
        path = request.url.path
        raise LoginRequired(f"{path}?{request.url.query}" if request.url.query else path)
    request.state.member = opened.member
    request.state.csrf = opened.csrf_token
    return opened.member


Member = Annotated[staff.StaffMember, Depends(signed_in)]


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, one value per field (the first);
    :class:`PageInputRefused` (a 400 page) when it holds a NUL or bytes that are not UTF-8."""
    return parse_fields(await request.body())


async def checked_form(request: Request, member: Member) -> dict[str, str]:
    """The posted form of a signed-in member, once its CSRF token is checked."""
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf", ""), request.state.csrf):
        raise FormRejected
    return form


Form = Annotated[dict[str, str], Depends(checked_form)]


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the application."""
    from omnicanal.web import admin
    from omnicanal.web.preferences import router as preferences
    from omnicanal.web.store import router as store

    app.state.web = WebEdge(renderer=Renderer())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(store)
    app.include_router(preferences)
    admin.install(app)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(f"/store/login?next={quote(error.next_path)}", status_code=303)

    @app.exception_handler(PageInputRefused)
    async def _bad_characters(request: Request, error: PageInputRefused) -> Response:
        edge: WebEdge = request.app.state.web
        return edge.renderer.render(
            request, "store/error.html", {"problem": "bad_characters"}, status_code=400
        )

    app.add_middleware(CleanAddresses, refuse=_bad_characters)

    api_http_error = app.exception_handlers.get(HTTPException)

    @app.exception_handler(HTTPException)
    async def _unknown_page(request: Request, error: HTTPException) -> Response:
        # A page address that leads nowhere answers a page in the reader's language; the
        # API's addresses keep their problem+json answer.
        path = request.url.path
        on_pages = path.startswith(("/store/", "/admin/")) or path in ("/store", "/admin")
        if error.status_code == 404 and on_pages:
            edge: WebEdge = request.app.state.web
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_page"}, status_code=404
            )
        if api_http_error is None:
            raise error
        answer = api_http_error(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    @app.exception_handler(FormRejected)
    async def _rejected(request: Request, error: FormRejected) -> Response:
        edge: WebEdge = request.app.state.web
        return edge.renderer.render(
            request, "store/error.html", {"problem": "form_expired"}, status_code=403
        )

    @app.get("/", include_in_schema=False)
    def _home() -> Response:
        return RedirectResponse("/store", status_code=303)
