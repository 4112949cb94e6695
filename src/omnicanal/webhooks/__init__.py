"""Signed webhooks out: the retailer's systems (a web shop, an ERP, a marketplace connector)
subscribe an endpoint to the event types they follow; every matching event is posted to it
from the outbox, signed Standard Webhooks style, retried with backoff for hours, kept in a
dead-letter list with replay when it cannot be delivered (ADR 0027)."""
