"""The request body limit of the REST API, answered as a 413 problem."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicanal.platform.http.problems import HTTP_CODES, problem_response


class BodyLimit:
    """Refuse a request body over ``max_bytes`` on the paths ``applies`` to, unread.

    A declared ``Content-Length`` over the limit is answered at once; a streamed body is
    counted as it arrives and stops the request (413) when it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, applies: Callable[[str], bool]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.applies = applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            code, title, detail = HTTP_CODES[413]
            await problem_response(413, code, title, detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route: the exception handlers turn it into a problem.
                    raise HTTPException(413)
            return message

        await self.app(scope, counted, send)
