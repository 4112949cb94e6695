"""The real-time matcher keeps its candidates' records between batches and reads a candidate
again only when its profile has changed; it links a group of housemates as one household in
one go, and writes nothing when they are linked already."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from omnicanal.customers.matching import MatchScore
from omnicanal.customers.models import HouseholdMember, Profile
from omnicanal.customers.service import matching, realtime
from omnicanal.customers.service.realtime import MATCHER_ACTOR, Matchers
from tests.customers.support import make_source, profile_by, profiles_key, send


def _identify(user: str, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "traits": traits}


def test_a_candidate_is_read_again_only_when_its_profile_has_changed(platform, client, monkeypatch):
    web = make_source(platform, "web", trust="app_login")
    send(
        client,
        web,
        _identify("c-1", first_name="Anne", last_name="Garnier", zip="69003"),
        _identify("c-2", first_name="Luc", last_name="Garnier", zip="69003"),
    )
    headers = profiles_key(platform)
    anne = profile_by(client, headers, user_id="c-1")["id"]
    luc = profile_by(client, headers, user_id="c-2")["id"]
    read: list[list[str]] = []
    real = realtime.person_records

    def counted(session: Any, *, profile_ids: Any = None) -> Any:
        read.append(sorted(profile_ids))
        return real(session, profile_ids=profile_ids)

    monkeypatch.setattr(realtime, "person_records", counted)
    matchers = Matchers()

    with platform.db.reading() as session:
        first = matchers.records(session, [anne, luc])
    with platform.db.reading() as session:
        again = matchers.records(session, [luc, anne])
    assert read == [sorted([anne, luc])]
    assert again == first

    send(client, web, _identify("c-1", birthday="1980-05-04", postcode="69007"))
    with platform.db.reading() as session:
        changed = {r.record_id: r for r in matchers.records(session, [anne, luc])}

    assert read[1:] == [[anne]]
    assert changed[anne].birth_date.isoformat() == "1980-05-04"
    assert changed[luc] == {r.record_id: r for r in first}[luc]


def test_a_merged_candidate_is_read_as_the_profile_it_is_now_part_of(platform, client):
    web = make_source(platform, "web", trust="app_login")
    send(client, web, _identify("c-1", first_name="Anne", email="anne@exemple.fr"))
    visit = {"first_name": "Anne", "last_name": "Garnier", "zip": "69003"}
    send(client, web, {"type": "identify", "anonymousId": "visit-2", "traits": visit})
    headers = profiles_key(platform)
    absorbed = profile_by(client, headers, anonymous_id="visit-2")["id"]
    matchers = Matchers()
    with platform.db.reading() as session:
        [before] = matchers.records(session, [absorbed])

    # The visitor logs in: the visit joins Anne's profile.
    send(client, web, {"type": "identify", "userId": "c-1", "anonymousId": "visit-2"})
    survivor = profile_by(client, headers, anonymous_id="visit-2")
    with platform.db.reading() as session:
        [after] = matchers.records(session, [absorbed])

    assert survivor["id"] != absorbed
    assert absorbed in survivor["merged_profile_ids"]
    assert before.record_id == absorbed
    assert after.record_id == survivor["id"]
    assert after.email == "anne@exemple.fr"


def test_housemates_found_in_pairs_are_one_household_linked_once(platform, client):
    store = make_source(platform, "store")
    send(
        client,
        store,
        *[
            _identify(f"m-{name}", first_name=name, last_name="Morin", zip="21000")
            for name in ("Cédric", "Grégoire", "Inès")
        ],
    )
    headers = profiles_key(platform)
    ids = [
        profile_by(client, headers, user_id=f"m-{n}")["id"] for n in ("Cédric", "Grégoire", "Inès")
    ]
    with platform.db.reading() as session:
        records = {r.record_id: r for r in matching.person_records(session, profile_ids=ids)}
    home = MatchScore(weight=9.0, probability=0.1, decision="household")
    pairs = [(records[ids[0]], records[ids[1]], home), (records[ids[1]], records[ids[2]], home)]

    with platform.db.transaction() as session:
        run = matching.apply_matches(session, matches=pairs, actor=MATCHER_ACTOR)
    assert run.households == 2
    with platform.db.reading() as session:
        households = session.scalars(
            select(HouseholdMember.household_id).where(HouseholdMember.profile_id.in_(ids))
        ).all()
        changed = dict(session.execute(select(Profile.id, Profile.updated_at)).tuples().all())
    assert len(households) == 3 and len(set(households)) == 1

    with platform.db.transaction() as session:
        matching.apply_matches(session, matches=pairs, actor=MATCHER_ACTOR)
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(HouseholdMember)) == 3
        assert dict(session.execute(select(Profile.id, Profile.updated_at)).tuples().all()) == (
            changed
        )
