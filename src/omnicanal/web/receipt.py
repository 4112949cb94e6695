"""The receipt of a sale at the counter (``/store/orders/{id}/receipt``): printable (its own
print stylesheet), and e-mailed to the customer who gives an address.

The time is the store's own (its location's timezone), written the way the reader's language
writes it (Babel). A QR code holding ``omnicanal:order:<order id>`` (drawn here as inline SVG,
no request elsewhere) is what the customer shows at any counter for a return or an exchange.
The e-mail goes through the SMTP relay of ``OMNICANAL_SMTP_URL`` after the sale has
committed; without a relay the page says no e-mail was sent.
"""

from __future__ import annotations

import logging
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from babel.dates import format_datetime
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.customers.identifiers import InvalidIdentifier, normalise_email
from omnicanal.loyalty import service as loyalty
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.orders import service as orders
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.schemas import OrderOut
from omnicanal.platform.clock import as_utc
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.mail import Mail, MailNotSent, mail_sender
from omnicanal.platform.wiring import Platform
from omnicanal.staff import service as staff
from omnicanal.web.edge import Form, Member, WebDep, WebEdge

__all__ = [
    "RETURN_CODE_PREFIX",
    "EmailOutcome",
    "receipt_context",
    "return_code",
    "return_code_svg",
    "router",
    "send_receipt",
]

router = APIRouter()  # included by the store router, under /store

log = logging.getLogger("omnicanal.web.receipt")

EmailOutcome = Literal["sent", "failed", "off"]
OUTCOMES = ("sent", "failed", "off", "invalid")
RETURN_CODE_PREFIX = "omnicanal:order:"


def return_code(order_id: str) -> str:
    """What the receipt's QR code holds: the order a return or an exchange starts from."""
    return f"{RETURN_CODE_PREFIX}{order_id}"


def return_code_svg(order_id: str) -> Markup:
    """The receipt's QR code as inline SVG (3 pixels a module, the standard quiet zone: about
    3 cm wide, readable by a counter's scanner once printed)."""
    code = segno.make(return_code(order_id), error="m", micro=False)
    # Markup: segno's SVG of the code is paths only, no text of anyone's to escape.
    # The figure around it says what it is (role="img" and its label): the drawing itself is
    # hidden from screen readers.
    svg = code.svg_inline(scale=3, svgclass="return-code-qr")
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def may_read(member: staff.StaffMember, order: OrderOut) -> bool:
    """A store's staff read the receipts of their store's sales; head office, every one."""
    return member.role == staff.Role.head_office or (
        member.location_code is not None and order.location == member.location_code
    )


def _zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def receipt_context(
    session: Session,
    *,
    order: OrderOut,
    language: str,
    fallback_zone: ZoneInfo,
    region: str = "FR",
) -> dict[str, Any]:
    """What the receipt shows: the order, its items' names, the store, the local time, the
    loyalty points it used and earns."""
    store = None
    if order.location:
        try:
            store = network.get_location(session, order.location)
        except UnknownLocation:
            store = None
    zone = _zone(store.timezone, fallback_zone) if store else fallback_zone
    pickup = {f.location for f in order.fulfilments if f.location}
    places = network.locations_by_code(session, pickup)
    return {
        "order": order,
        "product_names": catalog.product_names(session, [line.sku for line in order.lines]),
        "store": store,
        "store_names": {code: place.name for code, place in places.items()},
        "placed_local": format_datetime(
            as_utc(order.placed_at), "medium", tzinfo=zone, locale=language
        ),
        "time_zone": zone.key,
        "return_code_svg": return_code_svg(order.id),
        "points": loyalty.points_of_sale(session, order_id=order.id, region=region),
    }


def _read(
    platform: Platform, member: staff.StaffMember, order_id: str, language: str
) -> dict[str, Any] | str:
    """The receipt's context, or the problem that stops the reader seeing it."""
    with platform.db.reading() as session:
        try:
            order = orders.get_order(session, order_id=order_id)
        except UnknownOrder:
            return "unknown_order"
        if not may_read(member, order):
            return "receipt_forbidden"
        return receipt_context(
            session,
            order=order,
            language=language,
            fallback_zone=platform.settings.business_zone,
            region=platform.settings.phone_region,
        )


@router.get("/orders/{order_id}/receipt")
def receipt_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    order_id: str,
    email: str = "",
) -> Response:
    """The receipt, to print or to e-mail."""
    context = _read(platform, member, order_id, edge.renderer.language(request))
    if isinstance(context, str):
        status = 404 if context == "unknown_order" else 403
        return edge.renderer.render(
            request, "store/error.html", {"problem": context}, status_code=status
        )
    context["email_outcome"] = email if email in OUTCOMES else ""
    context["mail_enabled"] = bool(platform.settings.smtp_url)
    return edge.renderer.render(request, "store/receipt.html", context)


def send_receipt(
    request: Request, edge: WebEdge, platform: Platform, order_id: str, to: str
) -> EmailOutcome:
    """E-mail the receipt of ``order_id`` to ``to`` in the reader's language: "sent",
    "failed" (the relay refused or could not be reached), or "off" (no relay configured)."""
    sender = mail_sender(platform.settings.smtp_url, sender=platform.settings.smtp_from)
    if sender is None:
        return "off"
    language = edge.renderer.language(request)
    with platform.db.reading() as session:
        order = orders.get_order(session, order_id=order_id)
        context = receipt_context(
            session,
            order=order,
            language=language,
            fallback_zone=platform.settings.business_zone,
            region=platform.settings.phone_region,
        )
    _ = edge.renderer.translations[language].gettext
    store = context["store"].name if context["store"] else ""
    subject = _("Your receipt %(order)s, %(store)s") % {"order": order.id, "store": store}
    text = edge.renderer.text(request, "store/receipt_mail.txt", context, language=language)
    try:
        sender.send(Mail(to=to, subject=subject, text=text))
    except MailNotSent as error:
        log.warning("receipt of order %s not e-mailed: %s", order_id, error)
        return "failed"
    return "sent"


@router.post("/orders/{order_id}/receipt/email")
def email_receipt(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    order_id: str,
) -> Response:
    """E-mail the receipt to the address the customer gives."""
    context = _read(platform, member, order_id, edge.renderer.language(request))
    if isinstance(context, str):
        status = 404 if context == "unknown_order" else 403
        return edge.renderer.render(
            request, "store/error.html", {"problem": context}, status_code=status
        )
    try:
        address = normalise_email(form.get("email", ""))
    except InvalidIdentifier:
        context.update(
            {
                "email_outcome": "invalid",
                "mail_enabled": bool(platform.settings.smtp_url),
                "email": form.get("email", ""),
            }
        )
        return edge.renderer.render(request, "store/receipt.html", context, status_code=422)
    outcome = send_receipt(request, edge, platform, order_id, address)
    return RedirectResponse(f"/store/orders/{order_id}/receipt?email={outcome}", status_code=303)
