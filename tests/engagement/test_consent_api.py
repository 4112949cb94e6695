"""``/v1/profiles/{id}/consents``: who reads and records a person's consent (the matrix both
ways), what the API answers, idempotent writes, and hostile input refused with nothing
written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_location, snapshot
from tests.engagement.consent_builders import answer, ledger_rows, make_person, states_of

NOBODY = "01JQ7Z000000000000000NOBODY"


@pytest.fixture
def world(platform, client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Lyon and Paris; Zoé (login ``zoe``) and Inès (login ``ines``); a key per channel."""
    make_location(platform, "LYON")
    make_location(platform, "PARIS")
    return {
        "zoe": make_person(platform, client),
        "ines": make_person(platform, client, user_id="ines", email="ines@example.fr"),
        "web": make_key(platform, "web"),
        "app": make_key(platform, "app"),
        "store": make_key(platform, "store", location="LYON"),
        "call_centre": make_key(platform, "call_centre"),
        "marketplace": make_key(
            platform, "marketplace", scopes=["consents:read", "consents:write"]
        ),
        "unscoped": make_key(platform, "call_centre", scopes=["profiles:read"]),
    }


def nested(levels: int) -> Any:
    """A value nested ``levels`` lists deep."""
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def marketing(granted: bool = True, channel: str = "email", **more: Any) -> dict[str, Any]:
    return {"answers": [{"purpose": "marketing", "channel": channel, "granted": granted}], **more}


def post(client, token: str, profile_id: str, body: dict[str, Any], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/profiles/{profile_id}/consents", json=body, headers=auth(token, **headers)
    )


def get(client, token: str, profile_id: str, **params: Any):  # type: ignore[no-untyped-def]
    return client.get(f"/v1/profiles/{profile_id}/consents", params=params, headers=auth(token))


# --- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["store", "call_centre"])
def test_a_till_and_the_call_centre_read_and_record_anyones_consent(world, client, key):
    recorded = post(client, world[key], world["zoe"], marketing(channel="sms"))
    read = get(client, world[key], world["zoe"])

    assert recorded.status_code == 201, recorded.text
    [entry] = recorded.json()["recorded"]
    assert (entry["source"], entry["location"]) == (
        ("till", "LYON") if key == "store" else ("call_centre", None)
    )
    assert read.status_code == 200
    assert read.json()["current"] == recorded.json()["current"]
    assert [line["id"] for line in read.json()["ledger"]] == [entry["id"]]


def test_a_store_key_records_at_its_own_store_only(world, platform, client):
    before = snapshot(platform)

    elsewhere = post(client, world["store"], world["zoe"], marketing(location="PARIS"))
    own = post(client, world["store"], world["zoe"], marketing(location="LYON"))

    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "location_forbidden"
    assert own.status_code == 201
    assert snapshot(platform)["consent_entries"] == before["consent_entries"] + 1


def test_the_call_centre_names_an_existing_store_or_none(world, client):
    unknown = post(client, world["call_centre"], world["zoe"], marketing(location="NANTES"))
    known = post(client, world["call_centre"], world["zoe"], marketing(location="PARIS"))

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_location"
    assert known.json()["recorded"][0]["location"] == "PARIS"


@pytest.mark.parametrize("key", ["web", "app"])
def test_the_shop_and_the_app_act_for_their_logged_in_customer_named_by_login(
    world, platform, client, key
):
    source = {"web": "web_form", "app": "app"}[key]
    recorded = post(client, world[key], world["zoe"], marketing(customer_ref="user_id:zoe"))
    read = get(client, world[key], world["zoe"], customer_ref="user_id:zoe")
    bare = get(client, world[key], world["zoe"], customer_ref="zoe")

    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded"][0]["source"] == source
    assert read.status_code == bare.status_code == 200
    assert read.json()["current"][0]["granted"] is True
    assert states_of(platform, world["zoe"]) == {("marketing", "email"): True}


@pytest.mark.parametrize("key", ["web", "app"])
@pytest.mark.parametrize(
    "customer_ref",
    [None, "user_id:ines", "ines", "email:zoe@example.fr", "zoe@example.fr", "user_id:"],
)
def test_a_profile_id_alone_or_another_login_never_opens_consent_to_the_shop_or_app(
    world, platform, client, key, customer_ref
):
    before = snapshot(platform)
    more = {"customer_ref": customer_ref} if customer_ref else {}

    recorded = post(client, world[key], world["zoe"], marketing(granted=False, **more))
    read = get(client, world[key], world["zoe"], **more)

    for response in (recorded, read):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "consent_forbidden"
    assert snapshot(platform) == before


def test_the_shop_learns_nothing_of_a_profile_that_does_not_exist(world, client):
    """The same 403 for nobody as for someone else: the profile's existence is not told."""
    for_nobody = get(client, world["web"], NOBODY, customer_ref="user_id:zoe")
    for_ines = get(client, world["web"], world["ines"], customer_ref="user_id:zoe")

    assert for_nobody.status_code == for_ines.status_code == 403
    assert for_nobody.json()["detail"] == for_ines.json()["detail"]


def test_a_store_key_is_told_of_an_unknown_profile(world, client):
    response = get(client, world["store"], NOBODY)

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_profile"


def test_a_marketplace_key_reads_and_records_no_consent_whatever_its_scopes(
    world, platform, client
):
    before = snapshot(platform)

    recorded = post(client, world["marketplace"], world["zoe"], marketing())
    read = get(client, world["marketplace"], world["zoe"])

    for response in (recorded, read):
        assert response.status_code == 403
        assert response.json()["code"] == "consent_forbidden"
    assert snapshot(platform) == before


def test_a_key_without_the_consent_scopes_is_refused(world, client):
    recorded = post(client, world["unscoped"], world["zoe"], marketing())
    read = get(client, world["unscoped"], world["zoe"])

    assert recorded.status_code == read.status_code == 403
    assert recorded.json()["required_scope"] == "consents:write"
    assert read.json()["required_scope"] == "consents:read"


# --- what it answers -------------------------------------------------------------------------


def test_several_answers_at_once_with_their_proof_and_basis(world, client):
    body = {
        "answers": [
            {"purpose": "marketing", "channel": "email", "granted": True},
            {"purpose": "marketing", "channel": "sms", "granted": False},
            {
                "purpose": "transactional",
                "channel": "sms",
                "granted": True,
                "lawful_basis": "contract",
                "proof": {"clause": "CGV 4.2"},
            },
        ],
        "proof": {"form": "signup", "version": "2026-02"},
    }

    response = post(client, world["call_centre"], world["zoe"], body)

    assert response.status_code == 201, response.text
    recorded = {(e["purpose"], e["channel"]): e for e in response.json()["recorded"]}
    assert recorded[("transactional", "sms")]["lawful_basis"] == "contract"
    assert recorded[("transactional", "sms")]["proof"] == {
        "form": "signup",
        "version": "2026-02",
        "clause": "CGV 4.2",
    }
    assert recorded[("marketing", "sms")]["granted"] is False
    current = {(s["purpose"], s["channel"]): s["granted"] for s in response.json()["current"]}
    assert current == {
        ("marketing", "email"): True,
        ("marketing", "sms"): False,
        ("transactional", "sms"): True,
    }
    assert response.json()["profile_id"] == world["zoe"]


def test_the_current_state_as_of_a_moment_and_the_ledger_a_page_at_a_time(world, platform, client):
    now = utcnow()
    for days in (5, 4, 3):
        answer(platform, world["zoe"], granted=days != 4, at=now - timedelta(days=days))

    then = get(client, world["store"], world["zoe"], at=(now - timedelta(days=4)).isoformat())
    first = get(client, world["store"], world["zoe"], limit=2)
    cursor = first.json()["next_cursor"]
    second = get(client, world["store"], world["zoe"], limit=2, starting_after=cursor)
    by_alias = get(client, world["store"], world["zoe"], limit=2, cursor=cursor)
    forged = get(client, world["store"], world["zoe"], starting_after="bm90IG91cnM=")

    assert then.json()["current"][0]["granted"] is False
    assert first.json()["current"][0]["granted"] is True
    assert len(first.json()["ledger"]) == 2
    assert len(second.json()["ledger"]) == 1
    assert first.json()["has_more"] is True
    assert (second.json()["has_more"], second.json()["next_cursor"]) == (False, None)
    assert by_alias.json() == second.json()
    assert forged.status_code == 422
    assert forged.json()["code"] == "invalid_cursor"


def test_a_retried_write_with_its_key_records_once(world, platform, client):
    first = post(client, world["store"], world["zoe"], marketing(), **{"Idempotency-Key": "k-1"})
    again = post(client, world["store"], world["zoe"], marketing(), **{"Idempotency-Key": "k-1"})
    other = post(
        client, world["store"], world["zoe"], marketing(False), **{"Idempotency-Key": "k-1"}
    )

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 409
    assert len(ledger_rows(platform)) == 1


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"answers": []},
        {"answers": [{"purpose": "newsletter", "channel": "email", "granted": True}]},
        {"answers": [{"purpose": "marketing", "channel": "fax", "granted": True}]},
        {"answers": [{"purpose": "marketing", "channel": "email", "granted": "yes"}]},
        {"answers": [{"purpose": "marketing", "channel": "email", "granted": 1}]},
        {"answers": [{"purpose": "marketing", "channel": "email"}]},
        {"answers": [{"purpose": "marketing", "channel": "email", "granted": True, "basis": "x"}]},
        {
            "answers": [
                {
                    "purpose": "marketing",
                    "channel": "email",
                    "granted": True,
                    "lawful_basis": "whim",
                }
            ]
        },
        marketing(occurred_at="3000-01-01T00:00:00Z"),
        marketing(occurred_at="0001-01-01T00:00:00+01:00"),
        marketing(location="L\x00YON"),
        marketing(proof={"scan": "x" * 5000}),
        marketing(proof={"deep": nested(40)}),
        {"answers": [marketing()["answers"][0]] * 2},
        {
            "answers": [
                {"purpose": p, "channel": c, "granted": True}
                for p in ("transactional", "marketing", "personalised_offers", "profiling", "x")
                for c in ("email", "sms", "push", "post")
            ]
        },
        {"answers": "marketing"},
        {**marketing(), "unknown": True},
    ],
)
def test_a_hostile_body_is_a_422_and_writes_nothing(world, platform, client, body):
    before = snapshot(platform)

    response = post(client, world["call_centre"], world["zoe"], body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("validation_error", "invalid_consent")
    assert snapshot(platform) == before


def test_an_answer_dated_far_ahead_is_recorded_as_now(world, client):
    before = utcnow()
    response = post(
        client,
        world["call_centre"],
        world["zoe"],
        marketing(occurred_at=(before + timedelta(days=30)).isoformat()),
    )

    assert response.status_code == 201
    recorded_at = datetime.fromisoformat(response.json()["recorded"][0]["occurred_at"])
    assert before <= recorded_at <= utcnow()


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1000},
        {"at": "not a date"},
        {"at": "2500-01-01T00:00:00Z"},
        {"customer_ref": "x" * 300},
        {"starting_after": "x" * 500},
        {"cursor": "x" * 500},
    ],
)
def test_hostile_query_parameters_are_a_422(world, client, params):
    response = get(client, world["store"], world["zoe"], **params)

    assert response.status_code == 422, response.text
