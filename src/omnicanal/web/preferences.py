"""The customer's own pages, with no staff sign-in: the preference centre
(``/preferences/{token}``) and one-click unsubscribe (``/unsubscribe/{token}``, RFC 8058),
reached from the signed links every marketing message carries
(:mod:`omnicanal.engagement.links`).

- The preference centre shows what the person accepts, per purpose and channel, and records
  what they change (source ``preference_centre``, the link's id and their browser as the
  proof). Messages about their orders are shown as always sent: they rest on the contract.
- ``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` (what a mail provider
  sends when its reader clicks "unsubscribe") refuses marketing and personalised offers on
  every channel at once and answers 200; ``GET`` only asks the person to confirm with a
  button, so that a mail scanner following links changes nothing.
- A link altered or cut short, expired, or naming a person since erased gets a page saying
  so, in the reader's language, with a 4xx status.

The signed token in the address is what lets a person in, as a sign-in would: there is no
session, hence no session-bound CSRF token. The preference form is refused when the browser
says it was sent from another site (``Sec-Fetch-Site: cross-site``); the one-click POST is
not, since RFC 8058 has mail providers send it from their servers.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import consents, links
from omnicanal.engagement.consent_answers import ConsentAnswer
from omnicanal.engagement.errors import ConsentLinkExpired, InvalidConsentLink
from omnicanal.engagement.models import CHANNELS
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.edge import WebDep, client_address
from omnicanal.web.input import PageInputRefused, parse_fields
from omnicanal.web.people import mask_email

__all__ = ["FORM_VERSION", "SHOWN_PURPOSES", "Choice", "Purpose", "one_click", "router"]

router = APIRouter(include_in_schema=False)

SHOWN_PURPOSES = ("marketing", "personalised_offers", "profiling")
"""The purposes a person turns on and off (transactional messages are always sent)."""
FORM_VERSION = "2026-03"
"""The version of the preference centre's wording, kept in the proof of each answer."""
MAX_FORM_BYTES = 16_384
"""The largest form either page accepts; a larger body is not read."""
ONE_CLICK = ("List-Unsubscribe", "One-Click")


@dataclass(frozen=True)
class Choice:
    """One box of the page: a purpose on a channel, ticked or not, since when."""

    purpose: str
    channel: str
    granted: bool
    since: datetime | None

    @property
    def field(self) -> str:
        return f"{self.purpose}.{self.channel}"

    @property
    def id(self) -> str:
        return f"{self.purpose}-{self.channel}"


@dataclass(frozen=True)
class Purpose:
    """A purpose and its boxes, one per channel."""

    code: str
    choices: list[Choice]

    @property
    def changed_at(self) -> datetime | None:
        moments = [choice.since for choice in self.choices if choice.since is not None]
        return max(moments) if moments else None


class _Refused(Exception):
    """The page cannot go on: ``problem`` says why, ``status`` is the answer's."""

    def __init__(self, problem: str, status: int) -> None:
        self.problem, self.status = problem, status


def _page(
    edge: WebDep,
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """A page of the person's own, kept out of every shared cache (it shows their choices)."""
    response = edge.renderer.render(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _read(platform: PlatformDep, token: str, *, kind: links.LinkKind | None) -> links.LinkToken:
    try:
        return links.read_link(platform.settings, token, now=utcnow(), kind=kind)
    except InvalidConsentLink:
        raise _Refused("forged", 404) from None
    except ConsentLinkExpired:
        raise _Refused("expired", 410) from None


def _refused(request: Request, edge: WebDep, refused: _Refused) -> Response:
    return _page(
        edge,
        request,
        "preferences/problem.html",
        {"problem": refused.problem},
        status_code=refused.status,
    )


def _recipient(session: Session, profile_id: str) -> str:
    """The person's e-mail, masked (``z•••@example.fr``), so they know whose page it is;
    :class:`UnknownProfile` when they are no one (any more)."""
    forms = customers.reference_forms(session, profile_id=profile_id)
    found = next((form for form in forms if form.startswith("email:")), "")
    return mask_email(found.removeprefix("email:"))


def _purposes(session: Session, profile_id: str) -> list[Purpose]:
    states = consents.current_consents(session, profile_id)
    return [
        Purpose(
            code=purpose,
            choices=[
                Choice(
                    purpose,
                    channel,
                    granted=(state := states.get((purpose, channel))) is not None and state.granted,
                    since=state.occurred_at if state is not None else None,
                )
                for channel in CHANNELS
            ],
        )
        for purpose in SHOWN_PURPOSES
    ]


async def _body(request: Request) -> bytes:
    """The request's body, read no further than :data:`MAX_FORM_BYTES`."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _Refused("too_large", 413)
    return body


def one_click(content_type: str, body: bytes) -> bool:
    """Whether a POST body says ``List-Unsubscribe=One-Click`` (RFC 8058), sent as a form
    (``application/x-www-form-urlencoded``) or as ``multipart/form-data``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in parsed.iter_parts() if parsed.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            value = part.get_payload(decode=True)
            if name == ONE_CLICK[0] and isinstance(value, bytes):
                return value.strip() == ONE_CLICK[1].encode()
        return False
    return _field(body, ONE_CLICK[0]) == ONE_CLICK[1]


def _field(body: bytes, name: str) -> str | None:
    """A field of a form body, None when it is absent or the body is not a readable form."""
    try:
        return parse_fields(body).get(name)
    except PageInputRefused:
        return None


# --- the preference centre -------------------------------------------------------------------


@router.get("/preferences/{token}")
def preferences_page(
    request: Request, edge: WebDep, platform: PlatformDep, token: str, saved: str | None = None
) -> Response:
    """What the person accepts, per purpose and channel, with the boxes to change it."""
    try:
        link = _read(platform, token, kind=links.LinkKind.preferences)
        with platform.db.reading() as session:
            try:
                recipient = _recipient(session, link.profile_id)
                purposes = _purposes(session, link.profile_id)
            except UnknownProfile:
                raise _Refused("unknown", 404) from None
    except _Refused as refused:
        return _refused(request, edge, refused)
    return _page(
        edge,
        request,
        "preferences/page.html",
        {
            "token": token,
            "recipient": recipient,
            "purposes": purposes,
            "channels": CHANNELS,
            "saved": saved == "1",
        },
    )


@router.post("/preferences/{token}")
async def save_preferences(
    request: Request, edge: WebDep, platform: PlatformDep, token: str
) -> Response:
    """Record what the person changed (or their unsubscribing from everything), then show
    the page again."""
    language = edge.renderer.language(request)
    now = utcnow()
    try:
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise _Refused("cross_site", 403)
        link = _read(platform, token, kind=links.LinkKind.preferences)
        form = parse_fields(await _body(request))
        user_agent = request.headers.get("user-agent", "")[:300]
        actor = replace(
            consents.PREFERENCE_CENTRE, address=client_address(request), user_agent=user_agent
        )
        proof = {
            "form": "preference_centre",
            "version": FORM_VERSION,
            "token_id": link.token_id,
            "language": language,
            "user_agent": user_agent,
        }
        try:
            with platform.db.transaction() as session:
                if form.get("action") == "unsubscribe":
                    consents.unsubscribe_everywhere(
                        session,
                        profile_id=link.profile_id,
                        source="preference_centre",
                        actor=actor,
                        occurred_at=now,
                        proof=proof,
                    )
                else:
                    _save(session, link.profile_id, form, actor=actor, now=now, proof=proof)
        except UnknownProfile:
            raise _Refused("unknown", 404) from None
    except _Refused as refused:
        return _refused(request, edge, refused)
    return RedirectResponse(f"/preferences/{token}?lang={language}&saved=1", status_code=303)


def _save(
    session: Session,
    profile_id: str,
    form: dict[str, str],
    *,
    actor: Actor,
    now: datetime,
    proof: dict[str, str],
) -> None:
    """Record each box whose state differs from the ledger's (a box never answered counts
    as not ticked): a second click of the same form records nothing more."""
    states = consents.current_consents(session, profile_id)
    answers = []
    for purpose in SHOWN_PURPOSES:
        for channel in CHANNELS:
            wanted = form.get(f"{purpose}.{channel}") == "on"
            state = states.get((purpose, channel))
            if wanted != (state is not None and state.granted):
                answers.append(ConsentAnswer(purpose, channel, wanted))
    if not answers:
        customers.profile_root(session, profile_id)  # still someone: UnknownProfile otherwise
        return
    consents.record_answers(
        session,
        profile_id=profile_id,
        answers=answers,
        source="preference_centre",
        actor=actor,
        occurred_at=now,
        proof=proof,
    )


# --- one-click unsubscribe -------------------------------------------------------------------


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, edge: WebDep, platform: PlatformDep, token: str) -> Response:
    """Ask the person to confirm (a GET changes nothing: mail scanners follow links)."""
    try:
        link = _read(platform, token, kind=None)
        with platform.db.reading() as session:
            try:
                recipient = _recipient(session, link.profile_id)
            except UnknownProfile:
                raise _Refused("unknown", 404) from None
    except _Refused as refused:
        return _refused(request, edge, refused)
    return _page(
        edge, request, "preferences/unsubscribe.html", {"token": token, "recipient": recipient}
    )


@router.post("/unsubscribe/{token}")
async def unsubscribe(
    request: Request, edge: WebDep, platform: PlatformDep, token: str
) -> Response:
    """Unsubscribe the person from marketing and personalised offers on every channel: a
    mail provider's one-click POST (RFC 8058), or the confirmation page's button."""
    try:
        link = _read(platform, token, kind=None)
        body = await _body(request)
        if not one_click(request.headers.get("content-type", ""), body):
            raise _Refused("not_one_click", 400)
        user_agent = request.headers.get("user-agent", "")[:300]
        from_page = _field(body, "confirmed") == "page"
        actor = replace(
            consents.UNSUBSCRIBE_LINK, address=client_address(request), user_agent=user_agent
        )
        try:
            with platform.db.transaction() as session:
                consents.unsubscribe_everywhere(
                    session,
                    profile_id=link.profile_id,
                    source="unsubscribe_link",
                    actor=actor,
                    occurred_at=utcnow(),
                    proof={
                        "form": "unsubscribe_page" if from_page else "one_click",
                        "version": FORM_VERSION,
                        "token_id": link.token_id,
                        "user_agent": user_agent,
                    },
                )
        except UnknownProfile:
            raise _Refused("unknown", 404) from None
    except _Refused as refused:
        return _refused(request, edge, refused)
    return _page(edge, request, "preferences/unsubscribed.html")
