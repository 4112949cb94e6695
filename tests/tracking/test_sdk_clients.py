"""The real Segment and RudderStack Python SDKs, pointed at omnicanal, lose nothing."""

from __future__ import annotations

import httpx
import pytest
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics import Client as SegmentClient

from tests.customers.support import make_source, profiles_key

# A loaded machine may take seconds to answer; no test depends on its speed.
TIMEOUT = 60


def _profile(live_server, headers, **identifier):
    response = httpx.get(
        f"{live_server.url}/v1/profiles/lookup", params=identifier, headers=headers, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def _timeline(live_server, headers, profile_id):
    response = httpx.get(
        f"{live_server.url}/v1/profiles/{profile_id}/events",
        params={"limit": 100},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_segment_client_makes_anonymous_and_identified_activity_one_timeline(
    platform, live_server
):
    errors = []
    client = SegmentClient(
        make_source(platform, "web"),
        host=live_server.url,
        sync_mode=True,
        timeout=TIMEOUT,
        on_error=lambda error, batch: errors.append(error),
    )
    client.page(anonymous_id="cookie-seg", name="Accueil", properties={"path": "/"})
    client.track(anonymous_id="cookie-seg", event="Product Viewed", properties={"sku": "R-1"})
    client.identify(
        user_id="login-seg",
        anonymous_id="cookie-seg",
        traits={"email": "Lea.Martin@Example.fr", "first_name": "Léa", "phone": "06 11 22 33 44"},
    )
    client.track(
        user_id="login-seg",
        event="Order Completed",
        properties={"order_id": "W-1", "total": 89.5, "currency": "EUR"},
    )
    client.flush()

    headers = profiles_key(platform)
    by_cookie = _profile(live_server, headers, anonymous_id="cookie-seg")
    by_email = _profile(live_server, headers, email="lea.martin@example.fr")
    by_phone = _profile(live_server, headers, phone="+33 6 11 22 33 44")
    assert errors == []
    assert by_cookie["id"] == by_email["id"] == by_phone["id"]
    assert by_email["recognised"] is True
    events = _timeline(live_server, headers, by_email["id"])
    assert sorted(e["name"] or e["kind"] for e in events) == [
        "Accueil",
        "Order Completed",
        "Product Viewed",
        "identify",
    ]
    assert {t["name"]: t["value"] for t in by_email["traits"]} == {"first_name": "Léa"}
    assert by_email["computed"]["monetary_minor"] == 8950


def test_the_segment_client_batching_in_the_background_with_gzip_loses_nothing(
    platform, live_server
):
    errors = []
    client = SegmentClient(
        make_source(platform, "app"),
        host=live_server.url,
        gzip=True,
        upload_size=25,
        on_error=lambda error, batch: errors.append(error),
    )
    for n in range(60):
        client.screen(anonymous_id="device-cookie", name=f"Écran {n}")
    client.identify(user_id="login-app", anonymous_id="device-cookie", traits={"plan": "gold"})
    client.flush()
    client.join()

    headers = profiles_key(platform)
    profile = _profile(live_server, headers, user_id="login-app")
    assert errors == []
    assert profile["channels"] == [
        {
            "channel": "app",
            "events": 61,
            "first_seen_at": profile["channels"][0]["first_seen_at"],
            "last_seen_at": profile["channels"][0]["last_seen_at"],
        }
    ]


def test_a_repeated_message_id_from_the_segment_client_is_stored_once(platform, live_server):
    client = SegmentClient(
        make_source(platform, "web"), host=live_server.url, sync_mode=True, timeout=TIMEOUT
    )

    for _ in range(3):
        client.track(anonymous_id="c-dup", event="Added To Cart", message_id="msg-fixed-1")
    client.flush()

    headers = profiles_key(platform)
    profile = _profile(live_server, headers, anonymous_id="c-dup")
    assert [e["message_ref"] for e in _timeline(live_server, headers, profile["id"])] == [
        "msg-fixed-1"
    ]


def test_the_rudderstack_client_with_traits_in_context_joins_the_same_person(platform, live_server):
    errors = []
    client = RudderClient(
        make_source(platform, "web"),
        host=live_server.url,
        sync_mode=True,
        timeout=TIMEOUT,
        on_error=lambda error, batch: errors.append(error),
    )
    client.page(anonymous_id="cookie-rudder", name="Robes")
    client.identify(
        user_id="login-rudder",
        anonymous_id="cookie-rudder",
        traits={"email": "paul@example.fr", "loyalty_card": "FID 4242 4242"},
    )
    client.track(user_id="login-rudder", event="Product Added", properties={"sku": "R-2"})
    client.flush()

    headers = profiles_key(platform)
    by_card = _profile(live_server, headers, loyalty_card="fid42424242")
    by_cookie = _profile(live_server, headers, anonymous_id="cookie-rudder")
    assert errors == []
    assert by_card["id"] == by_cookie["id"]
    assert {i["kind"] for i in by_card["identifiers"]} == {
        "anonymous_id",
        "user_id",
        "email",
        "loyalty_card",
    }
    assert len(_timeline(live_server, headers, by_card["id"])) == 3


def test_a_repeated_message_id_from_the_rudderstack_client_is_stored_once(platform, live_server):
    client = RudderClient(
        make_source(platform, "app"), host=live_server.url, sync_mode=True, timeout=TIMEOUT
    )

    client.track(anonymous_id="c-r", event="Opened", message_id="rudder-once")
    client.track(anonymous_id="c-r", event="Opened", message_id="rudder-once")
    client.flush()

    headers = profiles_key(platform)
    profile = _profile(live_server, headers, anonymous_id="c-r")
    assert len(_timeline(live_server, headers, profile["id"])) == 1


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_an_sdk_with_a_wrong_write_key_is_told_so_and_nothing_is_stored(platform, live_server, sdk):
    errors = []
    kind = SegmentClient if sdk == "segment" else RudderClient
    client = kind("wk_web_not-a-key", host=live_server.url, sync_mode=True, timeout=TIMEOUT)

    try:
        client.track(anonymous_id="c-x", event="Opened")
    except Exception as error:  # the SDKs raise their APIError in sync mode
        errors.append(error)

    assert len(errors) == 1
    assert errors[0].status == 401
    assert errors[0].code == "unknown_write_key"
    headers = profiles_key(platform)
    response = httpx.get(
        f"{live_server.url}/v1/profiles/lookup",
        params={"anonymous_id": "c-x"},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 404
