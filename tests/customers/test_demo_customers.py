"""The demo's customers: messy French identifiers, households, a shared tablet, all the same
for a seed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from random import Random

from sqlalchemy import func, select

from omnicanal.customers.models import HouseholdMember, ProfileIdentifier
from omnicanal.demo.customers import generate_customers, person_messages, plan_people
from tests.builders import make_location

UNTIL = datetime(2026, 6, 1, tzinfo=UTC)
STORES = ("LYON-01", "PARIS-01")


def _messages(seed: str, count: int = 300):
    rng = Random(seed)
    people = plan_people(rng, count, STORES)
    return people, [m for p in people for m in person_messages(p, rng, until=UNTIL)]


def test_the_same_seed_gives_the_same_people_and_messages():
    assert _messages("a") == _messages("a")
    assert _messages("a")[1] != _messages("b")[1]


def test_phones_are_typed_in_every_french_format():
    _, messages = _messages("formats", 600)
    phones = [m["traits"]["phone"] for _, m in messages if "phone" in m.get("traits", {})]
    shapes = {re.sub(r"\d", "9", phone) for phone in phones}
    assert {"99 99 99 99 99", "99.99.99.99.99", "9999999999", "+99999999999"} <= shapes
    assert len(shapes) >= 7


def test_tills_type_names_in_capitals_without_accents():
    people, messages = _messages("tills", 400)
    till_names = [
        m["traits"]["last_name"]
        for source, m in messages
        if source.startswith("store:") and m["type"] == "identify"
    ]
    assert till_names
    capitals = [name == name.upper() for name in till_names]
    assert sum(capitals) / len(capitals) > 0.9  # now and then a clerk swaps the names
    assert not any(char in "ÉÈÊËÀÂÔÛÜÏÎÇ" for name in till_names for char in name)
    assert any(char in "éèëï" for p in people for char in p.family + p.given)


def test_households_share_an_address_and_a_landline():
    people, _ = _messages("homes", 600)
    homes: dict[int, list] = {}
    for person in people:
        if person.household is not None:
            homes.setdefault(person.household, []).append(person)
    assert homes
    for first, second in homes.values():
        assert first.landline == second.landline
        assert (first.street, first.postcode) == (second.street, second.postcode)
        assert first.landline[:2] in ("01", "02", "03", "04", "05")


def test_the_demo_customers_go_through_tracking_into_one_sane_identity_graph(platform):
    for code in STORES:
        make_location(platform, code)

    with platform.db.transaction() as session:
        sent = generate_customers(session, Random("demo"), count=400, stores=STORES, until=UNTIL)

    assert sent["people"] == 400
    assert sent["rejected"] == 0
    with platform.db.reading() as session:
        shared = dict(
            session.execute(
                select(ProfileIdentifier.kind, func.count())
                .where(ProfileIdentifier.shared.is_(True))
                .group_by(ProfileIdentifier.kind)
            ).all()
        )
        per_profile = session.execute(
            select(ProfileIdentifier.kind, func.count())
            .where(ProfileIdentifier.kind.in_(("user_id", "loyalty_card")))
            .group_by(ProfileIdentifier.profile_id, ProfileIdentifier.kind)
            .having(func.count() > 1)
        ).all()
        households = session.scalar(select(func.count(func.distinct(HouseholdMember.household_id))))
    assert shared.get("device_id", 0) >= 1  # the store tablets
    assert shared.get("phone", 0) >= 1  # household landlines
    assert households >= 1
    assert per_profile == []  # nobody holds two logins or two loyalty cards
