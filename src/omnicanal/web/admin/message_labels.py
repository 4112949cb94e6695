"""What the back office's message pages share: the words they say for the engagement
module's codes (English message ids; the French is in
``locale/fr/LC_MESSAGES/messages_admin.po``), a recipient masked for the screen, and an
e-mail's HTML served to the sealed frame that shows it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse

from omnicanal.web.edge import WebEdge
from omnicanal.web.people import BULLETS, mask_email, phone_tail

__all__ = [
    "DELIVERY_OUTCOME_LABELS",
    "FACT_LABELS",
    "KIND_LABELS",
    "MESSAGE_CHANNEL_LABELS",
    "MESSAGE_STATUS_LABELS",
    "PROVIDER_LABELS",
    "PURPOSE_LABELS",
    "STAGE_LABELS",
    "framed_html",
    "masked_recipient",
    "words",
]

FRAMED_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
"""An e-mail's HTML runs nothing, loads nothing from outside (no tracking pixel), submits
nothing, and shows only inside our own pages; its inline styles apply, as in a mailbox."""

MESSAGE_STATUS_LABELS = {
    "scheduled": "Planned",
    "retrying": "Being retried",
    "sent": "Sent",
    "withheld": "Withheld",
    "withdrawn": "Withdrawn",
    "failed": "Failed",
}
KIND_LABELS = {
    "abandoned_cart": "Abandoned cart",
    "pickup_ready": "Ready for pickup",
    "reservation_expiring": "Reservation about to expire",
    "back_in_stock": "Back in stock",
    "order_shipped": "Order on its way",
    "order_delayed": "Order delayed",
    "return_received": "Return received",
    "return_refunded": "Return refunded",
    "review_request": "Request for an opinion",
    "win_back": "Win-back",
}
"""What each kind of trigger reacts to."""
MESSAGE_CHANNEL_LABELS = {
    "email": "E-mail",
    "sms": "Text message",
    "push": "Mobile notification",
    "post": "Letter",
}
PURPOSE_LABELS = {
    "transactional": "Service message",
    "marketing": "Marketing",
    "personalised_offers": "Personalised offers",
    "profiling": "Profiling",
}
PROVIDER_LABELS = {
    "mailbox": "Local mailbox",
    "smtp": "Mail server",
    "brevo": "Brevo",
    "webhook": "Signed webhook",
}
DELIVERY_OUTCOME_LABELS = {
    "accepted": "Accepted by the provider",
    "failed": "Attempt failed",
    "delivered": "Delivered to the person",
    "bounced": "Address bounced",
    "complained": "Reported as unwanted",
}
STAGE_LABELS = {
    "schedule": "When planned",
    "event": "When a fact arrived",
    "send": "At sending time",
}
"""When the policy was asked about a message."""
FACT_LABELS = {
    "returned": "A return",
    "complaint": "A complaint",
    "cancelled": "A cancellation",
    "refused_delivery": "A refused delivery",
}
"""The facts that hold marketing back for a while (the policy's suppression periods)."""


def masked_recipient(channel: str | None, recipient: str | None) -> str:
    """An address as the log shows it: "z•••@exemple.fr", "•••56 78", or a device token's
    first characters."""
    if not recipient:
        return "—"
    if "@" in recipient:
        return mask_email(recipient)
    if channel == "sms" or recipient.lstrip("+").replace(" ", "").isdigit():
        return phone_tail(recipient) or BULLETS
    return f"{recipient[:4]}{BULLETS}"


def words(edge: WebEdge, request: Request) -> dict[str, Callable[[str | None], str]]:
    """The word for each of the module's codes in the reader's language (the code itself
    when it has none)."""
    _ = edge.renderer.translations[edge.renderer.language(request)].gettext

    def of(labels: dict[str, str]) -> Callable[[str | None], str]:
        return lambda code: _(labels[code]) if code in labels else (code or "—")

    return {
        "message_status": of(MESSAGE_STATUS_LABELS),
        "kind_name": of(KIND_LABELS),
        "message_channel": of(MESSAGE_CHANNEL_LABELS),
        "purpose_name": of(PURPOSE_LABELS),
        "provider_name": of(PROVIDER_LABELS),
        "delivery_outcome": of(DELIVERY_OUTCOME_LABELS),
        "stage_name": of(STAGE_LABELS),
    }


def framed_html(html: str) -> HTMLResponse:
    """An e-mail's HTML as the page's ``<iframe sandbox>`` loads it, under its own policy
    (:data:`FRAMED_POLICY`) instead of the pages' (which would drop its inline styles)."""
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": FRAMED_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
        },
    )
