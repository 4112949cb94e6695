"""The tracking API's answers: what it stores, what it refuses, and that a refusal stores
nothing."""

from __future__ import annotations

import gzip
import json

import pytest

from omnicanal.tracking import service as tracking
from tests.builders import make_location, snapshot
from tests.customers.support import basic, make_source, profile_by, profiles_key, send

PAGE = {"type": "page", "anonymousId": "c-1", "name": "Accueil"}


def test_a_batch_with_some_invalid_messages_stores_the_valid_ones_and_names_the_others(
    platform, client
):
    key = make_source(platform)

    answer = send(
        client,
        key,
        {**PAGE, "messageId": "ok-1"},
        {"type": "identify", "userId": "u-1\x07", "traits": {"phone": "0"}, "messageId": "bad-1"},
        {"type": "track", "anonymousId": "c-1", "event": "Viewed", "messageId": "ok-2"},
        {"type": "track", "anonymousId": "c-1", "messageId": "bad-2"},
    )

    assert answer["accepted"] == 2
    assert answer["duplicates"] == 0
    assert answer["rejected"] == [
        {
            "index": 1,
            "messageId": "bad-1",
            "code": "invalid_user_id",
            "field": "userId",
            "reason": "userId: the user_id contains control characters",
        },
        {
            "index": 3,
            "messageId": "bad-2",
            "code": "missing_event",
            "field": "event",
            "reason": "a track message needs an event name",
        },
    ]
    counts = snapshot(platform)
    assert counts["tracking_messages"] == 2
    assert counts["profile_events"] == 2
    assert counts["profile_identifiers"] == 1  # the cookie; u-1 was refused with its message


def test_a_message_id_repeated_in_one_batch_and_across_batches_is_stored_once(platform, client):
    key = make_source(platform)

    first = send(client, key, {**PAGE, "messageId": "m-1"}, {**PAGE, "messageId": "m-1"})
    again = send(client, key, {**PAGE, "messageId": "m-1"})

    assert (first["accepted"], first["duplicates"]) == (1, 1)
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    assert snapshot(platform)["profile_events"] == 1


def test_the_same_message_id_from_two_sources_is_two_messages(platform, client):
    send(client, make_source(platform, "web"), {**PAGE, "messageId": "same"})
    send(client, make_source(platform, "app"), {**PAGE, "messageId": "same"})

    assert snapshot(platform)["tracking_messages"] == 2


def test_a_gzipped_batch_is_read(platform, client):
    key = make_source(platform)
    body = gzip.compress(json.dumps({"batch": [PAGE]}).encode())

    response = client.post(
        "/v1/batch", content=body, headers={**basic(key), "Content-Encoding": "gzip"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


def test_the_write_key_may_come_in_the_body(platform, client):
    key = make_source(platform)

    response = client.post("/v1/batch", json={"batch": [PAGE], "writeKey": key})

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/identify", {"userId": "u", "traits": {"email": "a@example.fr"}}),
        ("/v1/track", {"anonymousId": "c", "event": "Opened"}),
        ("/v1/page", {"anonymousId": "c", "name": "Accueil"}),
        ("/v1/screen", {"anonymousId": "c", "name": "Home"}),
        ("/v1/alias", {"previousId": "c", "userId": "u"}),
        ("/v1/group", {"anonymousId": "c", "groupId": "famille-martin"}),
    ],
)
def test_each_single_message_route_stores_its_message(platform, client, path, message):
    key = make_source(platform)

    response = client.post(path, json=message, headers=basic(key))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "accepted": 1,
        "duplicates": 0,
        "rejected": [],
        "warnings": [],
    }
    assert snapshot(platform)["profile_events"] == 1


def test_the_batch_context_applies_to_every_message(platform, client):
    key = make_source(platform, "store")
    headers = profiles_key(platform)

    client.post(
        "/v1/batch",
        json={
            "batch": [{"type": "track", "event": "Till Sale", "userId": "u-9"}],
            "context": {"traits": {"email": "nina@example.fr"}},
        },
        headers=basic(key),
    )

    assert profile_by(client, headers, email="nina@example.fr")["channels"][0]["channel"] == (
        "store"
    )


def _unchanged(platform, response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    return body


def test_malformed_json_is_a_400_and_stores_nothing(platform, client):
    key = make_source(platform)
    before = snapshot(platform)

    response = client.post("/v1/batch", content=b'{"batch": [', headers=basic(key))

    _unchanged(platform, response, 400, "malformed_json")
    assert snapshot(platform) == before


def test_a_wrong_or_missing_write_key_is_a_401_and_stores_nothing(platform, client):
    make_source(platform)
    before = snapshot(platform)

    wrong = client.post("/v1/batch", json={"batch": [PAGE]}, headers=basic("wk_web_nope"))
    missing = client.post("/v1/batch", json={"batch": [PAGE]})

    assert _unchanged(platform, wrong, 401, "unknown_write_key")["message"] == ("invalid write key")
    _unchanged(platform, missing, 401, "unknown_write_key")
    assert snapshot(platform) == before
    # The challenge names the credentials the tracking API takes: the write key, Basic auth.
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="omnicanal tracking"'
    assert missing.headers["WWW-Authenticate"] == 'Basic realm="omnicanal tracking"'


def test_a_revoked_write_key_is_refused(platform, client):
    key = make_source(platform)
    with platform.db.transaction() as session:
        [source] = tracking.list_sources(session)
        tracking.revoke_source(session, source_id=source["id"])

    response = client.post("/v1/batch", json={"batch": [PAGE]}, headers=basic(key))

    _unchanged(platform, response, 401, "unknown_write_key")


def test_an_oversized_batch_is_a_413_and_stores_nothing(platform, client):
    key = make_source(platform)
    before = snapshot(platform)
    limit = platform.settings.tracking_max_batch_bytes
    big = {"batch": [{**PAGE, "properties": {"blob": "x" * 1000}}] * (limit // 1000 + 10)}

    response = client.post("/v1/batch", json=big, headers=basic(key))

    _unchanged(platform, response, 413, "batch_too_large")
    assert snapshot(platform) == before


def test_a_small_gzip_body_that_inflates_past_the_limit_is_a_413(platform, client):
    key = make_source(platform)
    before = snapshot(platform)
    limit = platform.settings.tracking_max_batch_bytes
    bomb = gzip.compress(b'{"batch": [' + b" " * (limit + 10) + b"]}")
    assert len(bomb) < limit // 100

    response = client.post(
        "/v1/batch", content=bomb, headers={**basic(key), "Content-Encoding": "gzip"}
    )

    _unchanged(platform, response, 413, "batch_too_large")
    assert snapshot(platform) == before


def test_a_body_that_is_not_gzip_though_it_says_so_is_a_400(platform, client):
    key = make_source(platform)

    response = client.post(
        "/v1/batch",
        content=json.dumps({"batch": [PAGE]}).encode(),
        headers={**basic(key), "Content-Encoding": "gzip"},
    )

    _unchanged(platform, response, 400, "malformed_body")


def test_an_unknown_content_encoding_is_a_415(platform, client):
    key = make_source(platform)

    response = client.post(
        "/v1/batch", content=b"{}", headers={**basic(key), "Content-Encoding": "br"}
    )

    _unchanged(platform, response, 415, "unsupported_encoding")


@pytest.mark.parametrize("body", [{"batch": "no"}, {"batch": []}, {"messages": []}, [PAGE]])
def test_a_body_without_a_list_of_messages_is_a_400(platform, client, body):
    key = make_source(platform)

    response = client.post("/v1/batch", json=body, headers=basic(key))

    _unchanged(platform, response, 400, "invalid_batch")


def test_a_batch_of_only_invalid_messages_is_a_400_that_lists_them_and_stores_nothing(
    platform, client
):
    key = make_source(platform)
    before = snapshot(platform)

    response = client.post(
        "/v1/batch",
        json={
            "batch": [
                {"type": "identify", "traits": {"email": "jean@"}},
                {"type": "page"},
            ]
        },
        headers=basic(key),
    )

    body = _unchanged(platform, response, 400, "invalid_messages")
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (0, "missing_id"),
        (1, "missing_id"),
    ]
    assert body["detail"] == "message 0: a message needs a userId or an anonymousId"
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("traits", "code"),
    [({"email": "jean.dupont"}, "unverified_email"), ({"phone": "+33 6"}, "unverified_phone")],
)
def test_an_identify_with_an_invalid_email_or_phone_is_stored_with_a_warning(
    platform, client, traits, code
):
    """Like Segment, an invalid identifier does not refuse its identify (it used to)."""
    key = make_source(platform)

    response = client.post(
        "/v1/identify", json={"userId": "u-1", "traits": traits}, headers=basic(key)
    )

    assert response.status_code == 200, response.text
    assert [(w["code"], w["field"]) for w in response.json()["warnings"]] == [
        (code, f"traits.{next(iter(traits))}")
    ]
    assert snapshot(platform)["profile_identifiers"] == 1  # u-1 only


def test_an_api_key_with_the_tracking_scope_sends_as_its_own_source(platform, client):
    from tests.builders import auth, make_key

    make_location(platform, "LYON-01")
    token = make_key(platform, "store", location="LYON-01", scopes=["tracking:write"])
    headers = profiles_key(platform)

    for _ in range(2):
        response = client.post(
            "/v1/identify",
            json={"anonymousId": "till-9", "traits": {"customer_number": "POS-9"}},
            headers=auth(token),
        )
        assert response.status_code == 200, response.text

    profile = profile_by(client, headers, external_id="POS-9")
    assert profile["identifiers"][0]["source"].startswith("store/API key")
    with platform.db.reading() as session:
        assert len(tracking.list_sources(session)) == 1


def test_an_api_key_without_the_tracking_scope_is_a_403(platform, client):
    from tests.builders import auth, make_key

    token = make_key(platform, "web", scopes=["catalog:read"])
    before = snapshot(platform)

    response = client.post(
        "/v1/track", json={"anonymousId": "c", "event": "E"}, headers=auth(token)
    )

    assert response.status_code == 403
    assert snapshot(platform) == before
