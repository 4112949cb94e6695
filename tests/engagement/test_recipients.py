"""Whom a message reaches: the person a customer reference names, remembered for a
transaction (the journeys' consumer hears a checkout's several events in one) and read
afresh in the next, merges followed."""

from __future__ import annotations

from sqlalchemy import event

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.engagement.recipients import person_named, reachable_person
from omnicanal.platform.actors import OPERATOR
from tests.customers.support import make_source, send


def _identify(client, write_key, user_id, traits):  # type: ignore[no-untyped-def]
    send(
        client,
        write_key,
        {
            "type": "identify",
            "userId": user_id,
            "traits": traits,
            "timestamp": "2026-02-02T11:00:00Z",
        },
    )


def _profile_of(platform, user_id):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return customers.find_profile_id(
            session, kind=IdentifierKind.user_id, value=user_id, region="FR"
        )


def test_a_reference_names_the_person_a_merge_made_after_an_earlier_reading(platform, client):
    web = make_source(platform, "web")
    _identify(client, web, "u-paul", {"email": "paul.durand@exemple.fr"})
    _identify(client, web, "u-pol", {"first_name": "Pol"})
    paul, pol = _profile_of(platform, "u-paul"), _profile_of(platform, "u-pol")
    with platform.db.reading() as session:
        before = person_named(session, "user_id:u-pol", region="FR")
        unreachable = reachable_person(session, "user_id:u-pol", region="FR")

    with platform.db.transaction() as session:
        customers.merge_profiles(session, profile_ids=(pol, paul), rule="manual", actor=OPERATOR)
    with platform.db.reading() as session:
        roots = {customers.profile_root(session, pol).id, customers.profile_root(session, paul).id}
        after = person_named(session, "user_id:u-pol", region="FR")
        reachable = reachable_person(session, "user_id:u-pol", region="FR")

    assert before == pol
    assert unreachable is None  # no e-mail, no phone: nobody to write to
    assert len(roots) == 1  # one person now
    assert after == reachable == roots.pop()  # Paul's e-mail reaches the person now


def test_a_reference_is_read_once_in_a_transaction(platform, client):
    web = make_source(platform, "web")
    _identify(client, web, "u-zoe", {"email": "zoe@exemple.fr"})
    zoe = _profile_of(platform, "u-zoe")
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engines = {platform.db.write_engine, platform.db.read_engine}
    with platform.db.transaction() as session:
        for engine in engines:
            event.listen(engine, "before_cursor_execute", note)
        try:
            found = [person_named(session, "email:zoe@exemple.fr", region="FR") for _ in range(3)]
            read = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            unknown = person_named(session, "email:nobody@exemple.fr", region="FR")
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", note)

    assert found == [zoe] * 3
    assert len(read) == 1, read
    assert unknown is None
