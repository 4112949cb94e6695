"""Errors of the webhooks module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "DeliveryNotDead",
    "EndpointDisabled",
    "EndpointNotSigned",
    "InvalidCursor",
    "InvalidEndpointUrl",
    "InvalidWriteKey",
    "NotForwardedToSegment",
    "UnknownEventType",
    "UnknownWebhookDelivery",
    "UnknownWebhookEndpoint",
    "WebhooksForbidden",
]


class UnknownWebhookEndpoint(NotFound):
    code = "unknown_webhook_endpoint"
    title = "Unknown webhook endpoint"


class UnknownWebhookDelivery(NotFound):
    code = "unknown_webhook_delivery"
    title = "Unknown webhook delivery"


class InvalidEndpointUrl(InvalidInput):
    code = "invalid_endpoint_url"
    title = "This address cannot receive webhooks"


class UnknownEventType(InvalidInput):
    code = "unknown_event_type"
    title = "No declared event has this type or prefix"


class InvalidWriteKey(InvalidInput):
    code = "invalid_write_key"
    title = "A Segment endpoint needs a write key, and only it"


class NotForwardedToSegment(InvalidInput):
    code = "event_type_not_forwarded"
    title = "This event is not forwarded to Segment"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "This cursor is not one we gave"


class DeliveryNotDead(Conflict):
    code = "delivery_not_dead"
    title = "Only a delivery in the dead-letter list can be replayed"


class EndpointDisabled(Conflict):
    code = "endpoint_disabled"
    title = "This endpoint is disabled: enable it first"


class EndpointNotSigned(Conflict):
    code = "endpoint_not_signed"
    title = "This endpoint is not signed: it sends with a write key"


class WebhooksForbidden(Forbidden):
    code = "webhooks_forbidden"
    title = "This key cannot manage webhooks"
