"""When a failed delivery is tried again: exponential ceilings, full jitter, a last attempt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from omnicanal.engagement.delivery.backoff import CEILING, MAX_ATTEMPTS, ceiling, next_attempt

NOW = datetime(2026, 3, 14, 18, 0, tzinfo=UTC)


def test_the_ceiling_doubles_from_a_minute_up_to_two_hours():
    assert [ceiling(n) for n in range(1, 10)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64, 120, 120)
    ]


@given(
    attempts=st.integers(min_value=1, max_value=MAX_ATTEMPTS - 1),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_next_attempt_comes_after_now_and_within_its_ceiling(attempts, seed):
    later = next_attempt(attempts, now=NOW, rng=random.Random(seed))
    assert later is not None
    assert NOW < later <= NOW + ceiling(attempts)
    assert later - NOW <= CEILING


@given(attempts=st.integers(min_value=MAX_ATTEMPTS, max_value=10**9))
def test_after_the_last_attempt_the_message_is_given_up(attempts):
    assert next_attempt(attempts, now=NOW) is None


@given(
    seeds=st.lists(
        st.integers(min_value=0, max_value=2**32), min_size=MAX_ATTEMPTS, max_size=MAX_ATTEMPTS
    )
)
def test_every_retry_of_one_message_ends_within_about_ten_hours(seeds):
    moment, attempts = NOW, 1
    while (
        later := next_attempt(attempts, now=moment, rng=random.Random(seeds[attempts - 1]))
    ) is not None:
        moment, attempts = later, attempts + 1
    assert attempts == MAX_ATTEMPTS
    assert moment - NOW <= timedelta(minutes=1 + 2 + 4 + 8 + 16 + 32 + 64 + 4 * 120)


def test_jitter_spreads_messages_that_failed_together():
    """A provider's outage: a hundred messages failing at once do not all come back at once."""
    rng = random.Random(7)
    moments = {next_attempt(5, now=NOW, rng=rng) for _ in range(100)}
    assert len(moments) == 100
    assert min(moments) < NOW + ceiling(5) / 4  # type: ignore[operator]
    assert max(moments) > NOW + ceiling(5) * 3 / 4  # type: ignore[operator]
