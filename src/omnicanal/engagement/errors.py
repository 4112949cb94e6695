"""Errors of the engagement module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "ConsentForbidden",
    "ConsentLinkExpired",
    "EngagementForbidden",
    "InvalidConsent",
    "InvalidConsentLink",
    "InvalidCursor",
    "InvalidTrigger",
    "TriggerExists",
    "UnknownCustomer",
    "UnknownMessage",
    "UnknownSegment",
    "UnknownStockWatch",
    "UnknownTrigger",
]


class UnknownTrigger(NotFound):
    code = "unknown_trigger"
    title = "Unknown message trigger"


class UnknownMessage(NotFound):
    code = "unknown_message"
    title = "Unknown message"


class UnknownStockWatch(NotFound):
    code = "unknown_stock_watch"
    title = "Unknown stock watch"


class TriggerExists(Conflict):
    code = "trigger_exists"
    title = "A message trigger already has this code"


class InvalidTrigger(InvalidInput):
    code = "invalid_trigger"
    title = "The trigger's settings do not fit its kind"


class UnknownSegment(InvalidInput):
    code = "unknown_segment"
    title = "No segment has this code"


class UnknownCustomer(InvalidInput):
    code = "unknown_customer"
    title = "The request names no known customer: give a profile or a customer reference"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "This cursor is not one we gave"


class EngagementForbidden(Forbidden):
    code = "engagement_forbidden"
    title = "This key cannot act on messages or alerts"


# --- consent (the ledger, its API and the customer's links) ----------------------------------


class InvalidConsent(InvalidInput):
    code = "invalid_consent"
    title = "This consent answer names an unknown purpose, channel, lawful basis or source"


class ConsentForbidden(Forbidden):
    code = "consent_forbidden"
    title = "This key cannot read or record this person's consent"


class InvalidConsentLink(InvalidInput):
    code = "invalid_consent_link"
    title = "This link is not one of ours (altered, or cut short)"


class ConsentLinkExpired(Conflict):
    code = "consent_link_expired"
    title = "This link has expired"
