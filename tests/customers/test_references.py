"""Customer references (an order's or a cart's ``customer_ref``) read one by one and many at
once name the same people: a consumer that resolves a whole batch's references in one go
must not find anyone the one-by-one reading would not."""

from __future__ import annotations

from sqlalchemy import event, select

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.models import Profile
from tests.customers.support import make_source, send


def _people(platform, client) -> list[str]:  # type: ignore[no-untyped-def]
    """Jean at the till, then on the web and in the app (one person, several profiles
    merged), and Anne and Luc sharing a landline; every profile id."""
    till, web, app = (make_source(platform, kind) for kind in ("store", "web", "app"))
    send(
        client,
        till,
        {
            "type": "identify",
            "anonymousId": "till-session-1",
            "traits": {"customer_number": "POS-000123", "phone": "06 12 34 56 78"},
        },
        {
            "type": "identify",
            "anonymousId": "t1",
            "traits": {"customer_number": "POS-1", "phone": "04 78 12 34 56"},
        },
        {
            "type": "identify",
            "anonymousId": "t2",
            "traits": {"customer_number": "POS-2", "phone": "0478123456"},
        },
    )
    send(
        client,
        web,
        {
            "type": "identify",
            "userId": "jdupont",
            "anonymousId": "cookie-77",
            "traits": {"email": "Jean.Dupont@example.fr", "phone": "+33 6 12 34 56 78"},
        },
    )
    send(
        client,
        app,
        {
            "type": "identify",
            "anonymousId": "app-install-5",
            "traits": {"loyalty_card": "FID 7777 0001", "email": "jean.dupont@example.fr"},
        },
    )
    with platform.db.reading() as session:
        return list(session.scalars(select(Profile.id).order_by(Profile.id)))


def test_references_read_together_name_whom_each_names_alone(platform, client):
    profile_ids = _people(platform, client)
    references = [
        *profile_ids,
        *(f"profile:{profile_id}" for profile_id in profile_ids),
        "email:jean.dupont@example.fr",
        "Jean.Dupont@example.fr",
        "jdupont",
        "user_id:jdupont",
        "loyalty_card:FID77770001",
        "phone:06 12 34 56 78",
        "phone:04 78 12 34 56",  # shared by Anne and Luc: nobody
        "external_id:POS-1",
        "POS-2",
        "nobody@example.fr",
        "email:nobody@example.fr",
        "phone:abc",
        "email:",
        "profile:",
        "profile:no-such-profile",
        "  ",
        "",
    ]
    statements: list[str] = []

    def count(*_args) -> None:  # type: ignore[no-untyped-def]
        statements.append("")

    with platform.db.reading() as session:
        alone = {
            reference: customers.referenced_profile_id(session, customer_ref=reference, region="FR")
            for reference in references
        }
        event.listen(platform.db.read_engine, "before_cursor_execute", count)
        try:
            together = customers.referenced_profile_ids(
                session, customer_refs=references, region="FR"
            )
        finally:
            event.remove(platform.db.read_engine, "before_cursor_execute", count)

    assert together == alone
    named = {person for person in alone.values() if person is not None}
    assert len(named) == 3  # Jean, Anne, Luc
    assert alone["phone:04 78 12 34 56"] is None
    jean = {
        alone[reference]
        for reference in ("jdupont", "loyalty_card:FID77770001", "phone:06 12 34 56 78")
    }
    assert jean == {alone["Jean.Dupont@example.fr"]}
    assert all(alone[p] == alone[f"profile:{p}"] is not None for p in profile_ids)
    assert len(statements) == 2  # the profiles by id, the identifiers


def test_own_identifiers_read_together_are_those_read_alone(platform, client):
    """Where each person can be reached, read for many profiles at once (Jean's profiles,
    people sharing a landline, which is nobody's own, an unknown id) is what each profile's
    own reading says, in one statement."""
    profile_ids = [*_people(platform, client), "no-such-profile"]
    kinds = [IdentifierKind.email, IdentifierKind.phone, IdentifierKind.loyalty_card]
    statements: list[str] = []

    def count(*_args) -> None:  # type: ignore[no-untyped-def]
        statements.append("")

    with platform.db.reading() as session:
        alone = {
            profile_id: customers.own_identifiers(session, profile_id=profile_id, kinds=kinds)
            for profile_id in profile_ids
        }
        event.listen(platform.db.read_engine, "before_cursor_execute", count)
        try:
            together = customers.own_identifiers_of(
                session, profile_ids=[*profile_ids, *profile_ids], kinds=kinds
            )
        finally:
            event.remove(platform.db.read_engine, "before_cursor_execute", count)

    assert together == alone
    assert alone["no-such-profile"] == {}
    reached = [found for found in alone.values() if found.get("email")]
    assert {found["email"] for found in reached} == {"jean.dupont@example.fr"}
    assert not any(
        "phone" in found and found["phone"].endswith("478123456") for found in alone.values()
    )
    assert len(statements) == 1
