"""Managing endpoints over the API: made with a secret shown once, read, changed, removed,
paged; retried writes answer the first answer; hostile input is a 4xx problem that changes
nothing; private addresses only where the settings allow them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from omnicanal.platform import audit
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.builders import auth, snapshot
from tests.conftest import app_for, make_platform
from tests.webhooks.builders import deliveries, head_office_key, make_endpoint, relay, scan

URL = "https://erp.example.com/omnicanal/events"
ENDPOINTS = "/v1/webhooks/endpoints"


@pytest.fixture
def key(platform) -> str:  # type: ignore[no-untyped-def]
    return head_office_key(platform)


@pytest.fixture
def public_only(backend, tmp_path, request, built_apps) -> Iterator[tuple[Platform, TestClient]]:  # type: ignore[no-untyped-def]
    """A platform with the default settings: public https addresses only."""
    platform = make_platform(backend, tmp_path, request)
    with TestClient(app_for(platform, built_apps)) as client:
        yield platform, client
    platform.close()


def test_an_endpoint_is_made_with_a_secret_shown_once_and_audited(platform, client, key):
    made = make_endpoint(client, key, URL, ("order.*", "return.refunded"), description="ERP")

    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["event_types"] == ["order.*", "return.refunded"]
    assert (made["active"], made["pending"], made["dead"], made["failures"]) == (True, 0, 0, 0)
    read = client.get(f"{ENDPOINTS}/{made['id']}", headers=auth(key))
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert {k: v for k, v in read.json().items()} == {
        k: v for k, v in made.items() if k != "secret"
    }
    listed = client.get(ENDPOINTS, headers=auth(key)).json()
    assert [item["id"] for item in listed["items"]] == [made["id"]]
    assert "secret" not in listed["items"][0]
    with platform.db.reading() as session:
        (entry,) = audit.list_entries(session, what="webhook_endpoint")
    assert (entry.resource_id, entry.operation) == (made["id"], "webhook_endpoint")


def test_a_retried_creation_answers_the_first_answer_and_makes_one_endpoint(platform, client, key):
    body = {"url": URL, "event_types": ["*"]}
    headers = auth(key, **{"Idempotency-Key": "erp-endpoint-1"})

    first = client.post(ENDPOINTS, json=body, headers=headers)
    again = client.post(ENDPOINTS, json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get(ENDPOINTS, headers=auth(key)).json()["items"]) == 1


def test_an_endpoint_is_changed_field_by_field(platform, client, key):
    made = make_endpoint(client, key, URL, ("order.*",))

    changed = client.patch(
        f"{ENDPOINTS}/{made['id']}",
        json={"event_types": ["*"], "description": "tout"},
        headers=auth(key),
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["event_types"], changed.json()["description"]) == (["*"], "tout")
    assert changed.json()["url"] == URL


def test_removing_an_endpoint_takes_its_deliveries_with_it(platform, client, key):
    made = make_endpoint(client, key, "http://127.0.0.1:9/hooks", ("test.*",))
    scan(platform, ("P1", 1))
    relay(platform)
    assert len(deliveries(platform)) == 1

    removed = client.delete(f"{ENDPOINTS}/{made['id']}", headers=auth(key))

    assert removed.status_code == 200
    assert removed.json() == {"id": made["id"], "deleted": True}
    assert deliveries(platform) == []
    gone = client.get(f"{ENDPOINTS}/{made['id']}", headers=auth(key))
    assert (gone.status_code, gone.json()["code"]) == (404, "unknown_webhook_endpoint")


def test_the_event_types_an_endpoint_may_follow_are_listed(client, key):
    answer = client.get("/v1/webhooks/event-types", headers=auth(key)).json()

    assert {"order.placed", "webhook.endpoint_disabled", "customer.erased"} <= set(answer["types"])
    assert {"order.*", "webhook.*", "return.*"} <= set(answer["prefixes"])


def test_endpoints_are_paged_newest_first_with_a_cursor(platform, client, key):
    made = [make_endpoint(client, key, f"{URL}/{n}", ("*",))["id"] for n in range(3)]

    first = client.get(ENDPOINTS, params={"limit": 2}, headers=auth(key)).json()
    rest = client.get(
        ENDPOINTS, params={"limit": 2, "starting_after": first["next_cursor"]}, headers=auth(key)
    ).json()

    assert [item["id"] for item in first["items"]] == made[::-1][:2]
    assert first["has_more"] is True
    assert [item["id"] for item in rest["items"]] == [made[0]]
    assert (rest["has_more"], rest["next_cursor"]) == (False, None)
    unknown = client.get(ENDPOINTS, params={"starting_after": "0" * 26}, headers=auth(key))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid_cursor")


def test_only_a_dead_delivery_is_replayed(platform, client, key):
    made = make_endpoint(client, key, "http://127.0.0.1:9/hooks", ("test.*",))
    scan(platform, ("P1", 1))
    relay(platform)
    (delivery,) = deliveries(platform)

    pending = client.post(f"/v1/webhooks/deliveries/{delivery.id}/replay", headers=auth(key))
    unknown = client.post("/v1/webhooks/deliveries/NOPE/replay", headers=auth(key))

    assert (pending.status_code, pending.json()["code"]) == (409, "delivery_not_dead")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_webhook_delivery")
    nothing = client.post(
        f"{ENDPOINTS}/{made['id']}/replay",
        json={"since": (utcnow() - timedelta(hours=1)).isoformat()},
        headers=auth(key),
    )
    assert nothing.json() == {"replayed": 0}


LONG = "https://erp.example.com/" + "a" * 2000


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "http://erp.example.com/hooks", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp:pw@erp.example.com/h", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://@erp.example.com/h", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "ftp://erp.example.com/hooks", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "javascript:alert(1)", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp example.com/", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://érp.example.com/", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp.example.com/#x", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp.example.com:99999/", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp.example.com:0/", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https:///hooks", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": "https://erp_x.example.com/", "event_types": ["*"]}, "invalid_endpoint_url"),
        ({"url": LONG, "event_types": ["*"]}, "validation_error"),
        ({"url": "", "event_types": ["*"]}, "validation_error"),
        ({"url": URL, "event_types": []}, "validation_error"),
        ({"url": URL, "event_types": ["order.teleported"]}, "unknown_event_type"),
        ({"url": URL, "event_types": ["nothing.*"]}, "unknown_event_type"),
        ({"url": URL, "event_types": ["order.**"]}, "unknown_event_type"),
        ({"url": URL, "event_types": ["*"] * 101}, "validation_error"),
        ({"url": URL, "event_types": ["x" * 101]}, "validation_error"),
        ({"url": URL, "event_types": "*"}, "validation_error"),
        ({"url": URL, "event_types": ["*"], "description": "a\x00b"}, "validation_error"),
        ({"url": URL, "event_types": ["*"], "description": "d" * 501}, "validation_error"),
        ({"url": URL, "event_types": ["*"], "secret": "whsec_mine"}, "validation_error"),
    ],
)
def test_a_refused_endpoint_is_a_4xx_problem_and_changes_nothing(public_only, body, code):
    platform, client = public_only
    key = head_office_key(platform)
    before = snapshot(platform)

    response = client.post(ENDPOINTS, json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert snapshot(platform) == before


def test_a_lone_surrogate_in_the_description_is_a_422(platform, client, key):
    """It could not be stored as UTF-8 nor sent back."""
    before = snapshot(platform)
    body = '{"url": "' + URL + '", "event_types": ["*"], "description": "ERP \\ud800"}'

    response = client.post(
        ENDPOINTS,
        content=body.encode(),
        headers=auth(key, **{"Content-Type": "application/json"}),
    )

    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://erp.internal/hooks",
        "https://erp/hooks",
        "http://127.0.0.1:8080/hooks",
    ],
)
def test_a_local_or_private_address_is_refused_unless_the_settings_allow_it(
    public_only, platform, client, key, url
):
    refused_platform, refused_client = public_only
    refused = refused_client.post(
        ENDPOINTS,
        json={"url": url, "event_types": ["*"]},
        headers=auth(head_office_key(refused_platform)),
    )
    allowed = client.post(ENDPOINTS, json={"url": url, "event_types": ["*"]}, headers=auth(key))

    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_endpoint_url")
    assert "OMNICANAL_WEBHOOKS_ALLOW_PRIVATE_URLS" in refused.json()["detail"]
    assert allowed.status_code == 201, allowed.text


def test_http_to_a_public_address_is_refused_even_where_private_ones_are_allowed(client, key):
    response = client.post(
        ENDPOINTS, json={"url": "http://erp.example.com/h", "event_types": ["*"]}, headers=auth(key)
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_endpoint_url")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "{endpoint}", {}),
        ("patch", "{endpoint}", {"url": None}),
        ("patch", "{endpoint}", {"active": "maybe"}),
        ("patch", "{endpoint}", {"url": "http://erp.example.com/x"}),
        ("patch", "{endpoint}", {"event_types": ["order.teleported"]}),
        ("post", "{endpoint}/secret", {"overlap_hours": 169}),
        ("post", "{endpoint}/secret", {"overlap_hours": -1}),
        ("post", "{endpoint}/replay", {"since": "9999-01-01T00:00:00Z"}),
        ("post", "{endpoint}/replay", {"since": "hier"}),
        ("post", "{endpoint}/replay", {}),
        ("get", "{endpoint}/deliveries?status=lost", None),
        ("get", "{endpoint}/deliveries?limit=0", None),
        ("get", "{endpoint}/deliveries?limit=101", None),
        ("get", "{endpoint}/deliveries?starting_after=NOPE", None),
        ("get", "?limit=1000", None),
    ],
)
def test_a_refused_change_is_a_422_and_changes_nothing(platform, client, key, method, path, body):
    made = make_endpoint(client, key, "https://127.0.0.1/hooks", ("order.*",))
    before = snapshot(platform)
    url = ENDPOINTS + path.format(endpoint=f"/{made['id']}") if path else ENDPOINTS

    response = client.request(method.upper(), url, json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert response.json()["code"] in (
        "validation_error",
        "invalid_endpoint_url",
        "unknown_event_type",
        "invalid_cursor",
    )
    assert snapshot(platform) == before


def test_an_unknown_endpoint_is_a_404_everywhere(client, key):
    for method, path, body in [
        ("get", "/NOPE", None),
        ("patch", "/NOPE", {"description": "x"}),
        ("delete", "/NOPE", None),
        ("post", "/NOPE/secret", {}),
        ("get", "/NOPE/deliveries", None),
        ("post", "/NOPE/replay", {"since": "2026-01-01T00:00:00Z"}),
    ]:
        response = client.request(method.upper(), ENDPOINTS + path, json=body, headers=auth(key))
        assert (response.status_code, response.json()["code"]) == (404, "unknown_webhook_endpoint")
