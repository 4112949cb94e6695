"""Wiring of the web edge into the application: state, static files, sign-in guard."""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from omnicanal.api.deps import PlatformDep
from omnicanal.web import staff
from omnicanal.web.rendering import Renderer
from omnicanal.web.sessions import COOKIE, SessionSigner

__all__ = ["Form", "Member", "WebEdge", "install", "read_form", "web_edge"]

STATIC = Path(__file__).with_name("static")


@dataclass
class WebEdge:
    """What every page needs: templates and translations, and the session signer."""

    renderer: Renderer
    signer: SessionSigner


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


def signed_in(request: Request, platform: PlatformDep, edge: WebDep) -> staff.StaffMember:
    """The staff member of the session cookie, or a redirect to the sign-in page."""
    cookie = request.cookies.get(COOKIE)
    staff_id = edge.signer.read(cookie)
    member = None
    if staff_id is not None:
        with platform.db.reading() as session:
            member = staff.get_member(session, staff_id)
    if member is None:
        raise LoginRequired(request.url.path)
    request.state.member = member
    request.state.csrf = edge.signer.csrf_token(cookie or "")
    return member


Member = Annotated[staff.StaffMember, Depends(signed_in)]


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, one value per field (the first)."""
    body = (await request.body()).decode(errors="replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


async def checked_form(request: Request, member: Member) -> dict[str, str]:
    """The posted form of a signed-in member, once its CSRF token is checked."""
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf", ""), request.state.csrf):
        raise FormRejected
    return form


Form = Annotated[dict[str, str], Depends(checked_form)]


def _session_secret() -> bytes:
    # Several processes must share the secret; a single process may make up its own (sessions
    # then end when it restarts).
    configured = os.environ.get("OMNICANAL_WEB_SECRET")
    return configured.encode() if configured else secrets.token_bytes(32)


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the application."""
    from omnicanal.web import admin
    from omnicanal.web.store import router as store

    app.state.web = WebEdge(renderer=Renderer(), signer=SessionSigner(_session_secret()))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(store)
    admin.install(app)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(f"/store/login?next={quote(error.next_path)}", status_code=303)

    @app.exception_handler(FormRejected)
    async def _rejected(request: Request, error: FormRejected) -> Response:
        edge: WebEdge = request.app.state.web
        return edge.renderer.render(
            request, "store/error.html", {"problem": "form_expired"}, status_code=403
        )

    @app.get("/", include_in_schema=False)
    def _home() -> Response:
        return RedirectResponse("/store", status_code=303)
