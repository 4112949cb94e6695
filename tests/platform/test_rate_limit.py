"""Requests per minute per API key: a burst, then 429 with Retry-After, and nothing done."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app as cli
from omnicanal.platform import migrate
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.auth import ApiKey, create_api_key
from omnicanal.platform.config import Settings
from omnicanal.platform.http.ratelimit import SECOND, Allowance, RateLimiter
from tests.builders import auth, make_key, make_location, make_product, receive, snapshot


class Clock:
    """A monotonic clock in nanoseconds that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000 * SECOND

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * SECOND)


def taken(limiter: RateLimiter, key_id: str, own: int | None = None) -> Allowance:
    allowance = limiter.take(key_id, own)
    assert allowance is not None
    return allowance


def test_a_key_gets_its_burst_then_one_request_per_interval():
    """60 a minute: ten at once, then one a second; what a refusal says and that it costs
    nothing."""
    clock = Clock()
    limiter = RateLimiter(default_per_minute=0, clock=clock)

    burst = [taken(limiter, "slow", 60) for _ in range(10)]
    refused = taken(limiter, "slow", 60)
    refused_again = taken(limiter, "slow", 60)
    clock.advance(1)
    after_a_second = taken(limiter, "slow", 60)

    assert all(a.admitted and a.limit == 10 for a in burst)
    assert [a.remaining for a in burst] == list(range(9, -1, -1))
    assert [a.reset_seconds for a in burst] == list(range(1, 11))
    assert (refused.admitted, refused.remaining, refused.retry_after_seconds) == (False, 0, 1)
    assert refused.reset_seconds == 10
    assert refused_again.retry_after_seconds == 1
    assert (after_a_second.admitted, after_a_second.remaining) == (True, 0)
    assert limiter.take("anyone") is None  # the default 0 is no limit
    assert limiter.take("slow", 0) is None  # nor is a key's own 0


def test_a_bucket_refills_at_the_rate_and_says_at_least_one_second_to_wait():
    """6,000 a minute: a burst of 1,000, refilled at one per 10 ms."""
    clock = Clock()
    limiter = RateLimiter(default_per_minute=6000, clock=clock)
    admitted = sum(taken(limiter, "busy").admitted for _ in range(1000))

    refused = taken(limiter, "busy")
    clock.advance(5)
    half_way = taken(limiter, "busy")
    clock.advance(60)
    rested = taken(limiter, "busy")

    assert admitted == 1000
    assert not refused.admitted
    assert refused.retry_after_seconds == 1  # 10 ms, rounded up to a whole second
    assert (half_way.remaining, half_way.reset_seconds) == (499, 6)
    assert (rested.limit, rested.remaining) == (1000, 999)


def test_threads_racing_on_one_key_are_admitted_exactly_one_burst():
    clock = Clock()
    limiter = RateLimiter(default_per_minute=600, clock=clock)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: taken(limiter, "shared").admitted, range(400)))

    assert answers.count(True) == 100


def test_a_key_past_its_rate_is_refused_with_retry_after_and_nothing_is_reserved(platform):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "PARKA-SOL")
    receive(platform, sku, "LYON-01", 5)
    with platform.db.transaction() as session:
        _, slow = create_api_key(
            session, channel=ChannelKind.web, name="sync loop", requests_per_minute=60
        )
        _, unlimited = create_api_key(
            session, channel=ChannelKind.web, name="warehouse", requests_per_minute=0
        )
    other = make_key(platform, "web")
    clock = Clock()
    reserve = auth(slow, **{"Idempotency-Key": "cart-1"})
    api = create_app(platform, background=False)
    api.state.rate_limiter = RateLimiter(default_per_minute=600, clock=clock)
    with TestClient(api) as client:
        answers = [client.get("/v1/locations/LYON-01", headers=auth(slow)) for _ in range(9)]
        missing = client.get("/v1/locations/NOWHERE", headers=auth(slow))
        before = snapshot(platform)

        refused = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=reserve)

        after = snapshot(platform)
        others = client.get("/v1/locations/LYON-01", headers=auth(other))
        free = client.get("/v1/locations/LYON-01", headers=auth(unlimited))
        clock.advance(1)
        retried = client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=reserve)

    assert [a.status_code for a in answers] == [200] * 9
    assert [a.headers["RateLimit-Remaining"] for a in answers] == [str(n) for n in range(9, 0, -1)]
    assert [a.headers["RateLimit-Reset"] for a in answers] == [str(n) for n in range(1, 10)]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {"10"}
    assert missing.status_code == 404
    assert (missing.headers["RateLimit-Limit"], missing.headers["RateLimit-Remaining"]) == (
        "10",
        "0",
    )
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["code"], problem["status"], problem["retry_after"]) == ("rate_limited", 429, 1)
    assert "try again in 1 second" in problem["detail"]
    assert refused.headers["Retry-After"] == "1"
    assert (refused.headers["RateLimit-Limit"], refused.headers["RateLimit-Remaining"]) == (
        "10",
        "0",
    )
    assert refused.headers["RateLimit-Reset"] == "10"
    assert after == before
    # Another key counts on its own, at the platform's default (600 a minute: bursts of 100).
    assert others.status_code == 200
    assert (others.headers["RateLimit-Limit"], others.headers["RateLimit-Remaining"]) == (
        "100",
        "99",
    )
    assert free.status_code == 200 and "RateLimit-Limit" not in free.headers
    # The refusal was not remembered as the answer to its Idempotency-Key.
    assert retried.status_code == 201, retried.text
    assert "Retry-After" not in retried.headers
    assert snapshot(platform)["stock"] != before["stock"]


def test_the_cli_sets_shows_and_keeps_a_keys_rate(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"OMNICANAL_DATABASE_URL": url, "OMNICANAL_RATE_LIMIT_PER_MINUTE": "6000"}
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    runner = CliRunner()

    created = runner.invoke(cli, ["keys", "create", "--channel", "web", "--rate", "120"], env=env)
    found = re.search(r"key id\s*│?\s*([0-9A-Z]{26})", created.output)
    assert created.exit_code == 0 and found is not None, created.output
    key_id = found.group(1)
    listed = runner.invoke(cli, ["keys", "list"], env={**env, "COLUMNS": "250"})
    to_default = runner.invoke(cli, ["keys", "rate", key_id, "default"], env=env)
    listed_default = runner.invoke(cli, ["keys", "list"], env={**env, "COLUMNS": "250"})
    nonsense = runner.invoke(cli, ["keys", "rate", key_id, "lots"], env=env)
    to_thirty = runner.invoke(cli, ["keys", "rate", key_id, "30"], env=env)
    rotated = runner.invoke(cli, ["keys", "rotate", key_id], env=env)

    assert "120/min" in created.output
    assert listed.exit_code == 0 and "120/min" in listed.output, listed.output
    assert to_default.exit_code == 0 and "6000/min (default)" in to_default.output
    assert "6000/min (default)" in listed_default.output
    assert nonsense.exit_code == 2 and "invalid_input" in nonsense.output
    assert to_thirty.exit_code == 0 and "30/min" in to_thirty.output
    assert rotated.exit_code == 0, rotated.output
    with platform.db.reading() as session:
        rates = {
            key_id: rate
            for key_id, rate in session.execute(select(ApiKey.id, ApiKey.requests_per_minute))
        }
    assert rates[key_id] == 30
    assert list(rates.values()) == [30, 30]  # the replacement keeps the rate
    platform.close()
