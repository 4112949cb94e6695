"""Use cases of the privacy module: find a person, export what omnicanal holds about them,
erase them.

Each module exports and erases its own rows through its own ``privacy`` functions; these use
cases only orchestrate them, in the caller's transaction, as checkout orchestrates pricing,
inventory and orders.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.analytics import facts as kpi_facts
from omnicanal.analytics import surveys
from omnicanal.carts import privacy as carts
from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.service import privacy as people
from omnicanal.engagement import privacy as engagement
from omnicanal.fulfilment import privacy as fulfilment
from omnicanal.inventory import privacy as inventory
from omnicanal.loyalty import privacy as loyalty
from omnicanal.orders import privacy as orders
from omnicanal.platform import erasure as platform
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id
from omnicanal.pricing import privacy as pricing
from omnicanal.privacy.errors import PersonNotDesignated, UnknownExportFormat
from omnicanal.privacy.events import CustomerErased
from omnicanal.privacy.models import Erasure
from omnicanal.returns import privacy as returns
from omnicanal.reviews import privacy as reviews
from omnicanal.tracking import privacy as tracking
from omnicanal.webhooks import privacy as webhooks

__all__ = [
    "ErasureResult",
    "ExportFormat",
    "erase_person",
    "export_csv",
    "export_person",
    "find_person",
    "list_erasures",
]

LOOKUP_KINDS = (
    "profile_id",
    "email",
    "phone",
    "loyalty_card",
    "user_id",
    "external_id",
    "anonymous_id",
    "device_id",
)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def find_person(session: Session, *, given: dict[str, str | None], region: str) -> str:
    """The root profile id of the person designated by exactly one identifier (a phone in any
    usual form, an e-mail, a loyalty card, a login...) or a profile id."""
    designated = {kind: value for kind, value in given.items() if value}
    if len(designated) != 1:
        raise PersonNotDesignated(
            "Designate the person by exactly one of: " + ", ".join(LOOKUP_KINDS) + ".",
            field="query",
        )
    [(kind, value)] = designated.items()
    if kind == "profile_id":
        return customers.profile_root(session, value).id
    if kind not in LOOKUP_KINDS:
        raise PersonNotDesignated(f"{kind!r} does not designate a person.", field=kind)
    profile_id = customers.find_profile_id(
        session, kind=IdentifierKind(kind), value=value, region=region
    )
    return customers.profile_root(session, profile_id).id


def export_person(
    session: Session, *, profile_id: str, now: datetime | None = None
) -> dict[str, Any]:
    """Everything omnicanal holds about the person ``profile_id`` belongs to (art. 15, 20)."""
    person = people.person_of(session, profile_id=profile_id)
    order_ids = orders.orders_of(
        session, customer_refs=person.customer_refs, order_ids=person.order_ids
    )
    cart_rows = carts.export_carts(
        session, customer_refs=person.customer_refs, anonymous_ids=person.identifiers
    )
    references = [*order_ids, *(cart["id"] for cart in cart_rows)]
    return _plain(
        {
            "exported_at": now or utcnow(),
            "person": {"profile_id": person.root_id, "profile_ids": list(person.profile_ids)},
            **people.export_profiles(session, person=person),
            "tracking_messages": tracking.export_messages(session, message_ids=person.timeline_ids),
            "carts": cart_rows,
            "orders": orders.export_orders(session, order_ids=order_ids),
            "returns": returns.export_returns(
                session,
                return_ids=returns.returns_of(
                    session, customer_refs=person.customer_refs, order_ids=order_ids
                ),
            ),
            "store_credit": returns.export_store_credit(
                session, customer_refs=person.customer_refs
            ),
            "reservations": inventory.export_reservations(session, references=references),
            "coupon_redemptions": pricing.export_redemptions(
                session, customer_refs=person.customer_refs
            ),
            "survey_answers": surveys.export_answers(session, customer_refs=person.customer_refs),
            "loyalty_memberships": loyalty.export_memberships(
                session, member_ids=loyalty.members_of(session, profile_ids=person.profile_ids)
            ),
            "product_reviews": reviews.export_reviews(
                session, review_ids=reviews.reviews_of(session, profile_ids=person.profile_ids)
            ),
            # consent_entries, engagement_facts, messages (their decisions and deliveries),
            # stock_watches
            **engagement.export_person_engagement(session, profile_ids=person.profile_ids),
            # The events about them posted to the retailer's systems: to whom, when.
            "webhook_deliveries": webhooks.export_deliveries(
                session,
                selectors=[*person.identifiers, *references],
                subjects=_subjects(session, person.profile_ids),
            ),
        }
    )


def _subjects(session: Session, profile_ids: Sequence[str]) -> list[str]:
    """The event subjects that are about the person: their profiles, reviews and messages."""
    return [
        *(f"profiles/{id_}" for id_ in profile_ids),
        *reviews.review_subjects(reviews.reviews_of(session, profile_ids=profile_ids)),
        *engagement.message_subjects(engagement.messages_of(session, profile_ids=profile_ids)),
    ]


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO 8601 text, bytes left out."""
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


def _tables(export: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One table per kind; a list of records inside a record becomes its own table."""
    tables: dict[str, list[dict[str, Any]]] = {"person": [export["person"]]}
    for kind, rows in export.items():
        if not isinstance(rows, list):
            continue
        tables.setdefault(kind, [])
        for row in rows:
            flat = {}
            for key, value in row.items():
                if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                    child = tables.setdefault(f"{kind}_{key}", [])
                    child.extend({f"{kind}_id": row.get("id"), **item} for item in value)
                else:
                    flat[key] = value
            tables[kind].append(flat)
    return tables


def export_csv(export: dict[str, Any]) -> bytes:
    """The export as a zip of CSV files (UTF-8, one per kind, nested values as JSON)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, rows in _tables(export).items():
            columns = list(dict.fromkeys(key for row in rows for key in row))
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns or ["empty"])
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _cell(value) for key, value in row.items()})
            archive.writestr(f"{kind}.csv", text.getvalue().encode("utf-8-sig"))
    return buffer.getvalue()


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did: its id (in the ``customer.erased`` event), and rows per kind."""

    id: str
    profile_ids: list[str]
    reason: str
    counts: dict[str, int]


def erase_person(
    session: Session,
    *,
    profile_id: str,
    actor: Actor,
    reason: str = "request",
) -> ErasureResult:
    """Erase the person ``profile_id`` belongs to (art. 17), in every module and the event
    log; their orders stay in the accounts without them. Publishes ``customer.erased``."""
    person = people.person_of(session, profile_id=profile_id)
    order_ids = orders.orders_of(
        session, customer_refs=person.customer_refs, order_ids=person.order_ids
    )
    # Values that, found anywhere, point at this person; and every value to blank in their rows.
    personal = [*person.identifiers, *person.personal_values, *person.customer_refs]
    cart_ids = carts.erase_carts(
        session, customer_refs=person.customer_refs, anonymous_ids=person.identifiers
    )
    selectors = [*person.identifiers, *order_ids, *cart_ids]
    review_ids = reviews.reviews_of(session, profile_ids=person.profile_ids)
    message_ids = engagement.messages_of(session, profile_ids=person.profile_ids)
    subjects = [
        *(f"profiles/{id_}" for id_ in person.profile_ids),
        *reviews.review_subjects(review_ids),
        *engagement.message_subjects(message_ids),
    ]
    counts = {
        "tracking_messages": tracking.erase_messages(session, message_ids=person.timeline_ids),
        "carts": len(cart_ids),
        "returns_anonymised": returns.anonymise_returns(
            session,
            return_ids=returns.returns_of(
                session, customer_refs=person.customer_refs, order_ids=order_ids
            ),
            customer_refs=person.customer_refs,
        ),
        "orders_anonymised": orders.anonymise_orders(session, order_ids=order_ids),
        "deliveries_anonymised": fulfilment.anonymise_deliveries(
            session, order_ids=order_ids, keep=orders.anonymised_address
        ),
        "coupon_redemptions": pricing.anonymise_redemptions(
            session, customer_refs=person.customer_refs
        ),
        "survey_answers_anonymised": surveys.anonymise_answers(
            session, customer_refs=person.customer_refs
        ),
        "kpi_orders_anonymised": kpi_facts.forget_customers(
            session, customer_refs=person.customer_refs
        ),
        # Before the outbox is scrubbed: the forfeit's events name the person too.
        "loyalty_members": loyalty.erase_members(
            session,
            member_ids=loyalty.members_of(session, profile_ids=person.profile_ids),
            actor=actor,
        ),
        "product_reviews": reviews.erase_reviews(session, review_ids=review_ids),
        **engagement.erase_person_engagement(session, profile_ids=person.profile_ids),
        "webhook_events": webhooks.erase_payloads(
            session, selectors=selectors, subjects=subjects, personal=personal
        ),
        "customer_rows": people.erase_profiles(session, person=person),
        "outbox_events": platform.scrub_outbox(
            session,
            selectors=selectors,
            subjects=subjects,
            personal=personal,
        ),
        "idempotent_answers": platform.forget_answers(
            session, selectors=[*selectors, *person.customer_refs]
        ),
    }
    erasure = Erasure(
        id=new_id(),
        profile_ids=list(person.profile_ids),
        reason=reason,
        requested_by=actor.label,
        counts=counts,
    )
    session.add(erasure)
    platform.request_bus_erasure(session, erasure_id=erasure.id, selectors=selectors)
    record_event(
        session,
        CustomerErased(erasure_id=erasure.id, profile_ids=list(person.profile_ids), reason=reason),
        actor=actor,
    )
    return ErasureResult(
        id=erasure.id, profile_ids=list(person.profile_ids), reason=reason, counts=counts
    )


def list_erasures(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """The latest erasures, newest first."""
    return [
        _plain(dict(row._mapping))
        for row in session.execute(
            select(Erasure.__table__).order_by(Erasure.erased_at.desc()).limit(limit)
        )
    ]


def export_as(export: dict[str, Any], form: str) -> tuple[bytes, str, str]:
    """The export's bytes, media type and file extension in ``form`` (json or csv)."""
    try:
        chosen = ExportFormat(form)
    except ValueError:
        raise UnknownExportFormat(f"Export as json or csv, not {form!r}.", field="format") from None
    if chosen is ExportFormat.csv:
        return export_csv(export), "application/zip", "zip"
    body = json.dumps(export, ensure_ascii=False, indent=2).encode()
    return body, "application/json", "json"
