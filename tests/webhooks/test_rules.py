"""The pure rules of webhooks: the events an endpoint follows, the addresses that may
receive them, the signature header and when a failed delivery is tried again."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from omnicanal.engagement.delivery.webhook import verify
from omnicanal.webhooks.errors import InvalidEndpointUrl, UnknownEventType
from omnicanal.webhooks.rules import (
    CEILING,
    ceiling,
    check_patterns,
    check_url,
    is_private_host,
    matches,
    new_secret,
    next_attempt,
    signature_header,
)

DECLARED = ("order.placed", "order.cancelled", "return.refunded", "webhook.endpoint_disabled")
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("patterns", "event_type", "followed"),
    [
        (["*"], "order.placed", True),
        (["order.*"], "order.cancelled", True),
        (["order.*"], "return.refunded", False),
        (["order.placed"], "order.placed", True),
        (["order.placed"], "order.placed_again", False),
        (["order"], "order.placed", False),
        (["return.refunded", "order.*"], "order.placed", True),
        ([], "order.placed", False),
    ],
)
def test_an_endpoint_follows_the_types_its_patterns_name(patterns, event_type, followed):
    assert matches(patterns, event_type) is followed


def test_declared_types_prefixes_and_star_are_kept_once_each_in_order():
    given = ["order.*", "*", "return.refunded", "order.*"]

    assert check_patterns(given, DECLARED) == ["order.*", "*", "return.refunded"]


@pytest.mark.parametrize(
    "pattern", ["order.teleported", "nothing.*", "order.**", "*.placed", "order", "", "ORDER.*"]
)
def test_a_pattern_no_declared_event_answers_is_refused_by_name(pattern):
    with pytest.raises(UnknownEventType) as refused:
        check_patterns(["order.*", pattern], DECLARED)
    assert repr(pattern) in refused.value.detail


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("localhost", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("10.20.30.40", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fd00::1", True),
        ("::ffff:192.168.0.1", True),
        ("224.0.0.1", True),
        ("erp", True),
        ("erp.internal", True),
        ("caisse.local", True),
        ("erp.example.com", False),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_local_and_private_hosts_are_told_from_public_ones(host, private):
    assert is_private_host(host) is private


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/omnicanal/events",
        "https://erp.example.com:8443/hooks?source=omnicanal",
        "https://93.184.216.34/hooks",
        "https://erp.example.com/a%20b",
    ],
)
def test_a_public_https_address_is_taken_as_it_is(url):
    assert check_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        ("http://erp.example.com/hooks", False),
        ("http://erp.example.com/hooks", True),
        ("http://127.0.0.1/hooks", False),
        ("https://127.0.0.1/hooks", False),
        ("https://user:secret@erp.example.com/", True),
        ("https://token@erp.example.com/", True),
        ("https://erp.example.com/#part", True),
        ("https://erp.example.com/#", True),
        ("https://erp.example.com:0/", True),
        ("https://erp.example.com:65536/", True),
        ("https://erp..example.com/", True),
        ("https://erp example.com/", True),
        ("https://erp.example.com/\x00", True),
        ("https:///path", True),
        ("file:///etc/passwd", True),
        ("gopher://erp.example.com/", True),
        ("https://" + "a" * 2000 + ".com/", True),
    ],
)
def test_an_address_that_may_not_receive_events_is_refused(url, allow_private):
    with pytest.raises(InvalidEndpointUrl):
        check_url(url, allow_private=allow_private)


def test_http_is_for_local_and_private_addresses_where_the_settings_allow_them():
    assert check_url("http://127.0.0.1:8080/hooks", allow_private=True)
    assert check_url("http://erp.internal/hooks", allow_private=True)


def test_each_secret_signs_and_the_standard_check_takes_either():
    old, new = new_secret(), new_secret()
    body = b'{"id":"evt"}'
    header = signature_header([new, old], webhook_id="msg_1", timestamp=1_765_000_000, body=body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1765000000",
        "webhook-signature": header,
    }
    moment = datetime.fromtimestamp(1_765_000_010, UTC)

    assert len(header.split(" ")) == 2 and all(part.startswith("v1,") for part in header.split())
    assert verify(new, headers, body, now=moment) == verify(old, headers, body, now=moment)
    assert old != new and old.startswith("whsec_")


def test_the_ceiling_doubles_from_thirty_seconds_up_to_an_hour():
    assert [ceiling(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert ceiling(10_000) == CEILING


def test_a_retry_comes_after_a_wait_drawn_below_the_ceiling_never_zero():
    rng = random.Random(3)
    waits = [
        next_attempt(attempts, now=NOW, started_at=NOW, give_up_after=timedelta(hours=24), rng=rng)
        for attempts in range(1, 200)
    ]

    for attempts, again in enumerate(waits, start=1):
        assert again is not None
        assert NOW < again <= NOW + ceiling(attempts)
    assert len({again for again in waits}) > 150  # jitter: not all at the same moment


def test_the_last_retry_falls_at_the_deadline_and_then_the_delivery_is_given_up():
    started = NOW - timedelta(hours=23, minutes=59)
    deadline = started + timedelta(hours=24)

    last = next_attempt(20, now=NOW, started_at=started, give_up_after=timedelta(hours=24))

    assert last is not None and last <= deadline
    assert (
        next_attempt(21, now=deadline, started_at=started, give_up_after=timedelta(hours=24))
        is None
    )
