"""Erasure reaches the NATS JetStream stream: the messages naming the person are deleted,
the ``customer.erased`` event stays for every consumer to act on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.api.app import create_app
from omnicanal.platform.config import Settings
from omnicanal.platform.erasure import BusErasure
from tests.builders import auth
from tests.platform.test_nats import Message, _with_js, nats_platform  # noqa: F401
from tests.privacy.test_rights import ZOE_NEEDLES, build_scene, hits, mentions


def stream_messages(settings: Settings) -> list[Message]:
    """Every message still in the stream (deleted ones leave gaps in the sequence)."""

    async def read(js: Any) -> list[Message]:
        state = (await js.stream_info(settings.nats_stream)).state
        found = await asyncio.gather(
            *(
                js.get_msg(settings.nats_stream, seq)
                for seq in range(state.first_seq, state.last_seq + 1)
            ),
            return_exceptions=True,
        )
        return [
            Message(raw.seq, raw.subject, raw.headers["Nats-Msg-Id"], json.loads(raw.data))
            for raw in found
            if not isinstance(raw, BaseException)
        ]

    return list(asyncio.run(_with_js(read)))


def _mentions(body: dict, needles: tuple[str, ...]) -> list[str]:  # type: ignore[type-arg]
    return mentions(json.dumps(body, ensure_ascii=False), needles)


def test_after_an_erasure_no_message_left_in_the_stream_names_her(nats_platform):  # noqa: F811
    """Every message left in the stream is read: none holds one of her identifiers or names."""
    platform = nats_platform
    with TestClient(create_app(platform, background=False)) as client:
        scene = build_scene(platform, client)
        assert any(_mentions(m.body, ZOE_NEEDLES) for m in stream_messages(platform.settings))
        before = len(stream_messages(platform.settings))

        response = client.post(f"/v1/profiles/{scene.zoe}/erase", headers=auth(scene.privacy))
        platform.relay().drain()
        deleted = platform.erase_from_bus()

    assert response.status_code == 200, response.text
    left = stream_messages(platform.settings)
    assert [m.body["id"] for m in left if _mentions(m.body, ZOE_NEEDLES)] == []
    assert 0 < deleted < before
    erased = [m.body for m in left if m.body["type"] == "customer.erased"]
    assert [event["data"]["erasure_id"] for event in erased] == [response.json()["id"]]
    assert hits(platform, ZOE_NEEDLES) == []
    with platform.db.reading() as session:
        # The values searched for are kept only until the stream is clean.
        assert session.scalar(select(func.count()).select_from(BusErasure)) == 0
