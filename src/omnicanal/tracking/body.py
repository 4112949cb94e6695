"""Reading a tracking request: its write key, its (possibly gzipped) body, its JSON.

The size limit applies to what arrives and to what it inflates to, so a small gzip bomb
is refused like a large body, before anything is parsed or stored. Nesting is measured
before the JSON parser runs (it recurses once per level), and ``NaN``/``Infinity``, which
are not JSON, are refused like any malformed body.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from omnicanal.platform.http.problems import problem_response

__all__ = ["MAX_BODY_DEPTH", "BodyRefused", "basic_user", "read_json"]

MAX_BODY_DEPTH = 64
"""Levels of objects and lists a body may nest; a message inside it is held to fewer."""
# A JSON string, skipped whole, escapes included: the brackets inside it are text.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class BodyRefused(Exception):
    """A request body we do not read: too large, badly encoded, not JSON."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail

    def response(self) -> JSONResponse:
        return problem_response(
            self.status, self.code, self.title, self.detail, message=self.detail
        )


def _too_large(limit: int) -> BodyRefused:
    return BodyRefused(
        413,
        "batch_too_large",
        "Request body too large",
        f"The body is over {limit} bytes (after decompression); send smaller batches.",
    )


def basic_user(authorization: str | None) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (the write key), if any."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


def _inflate(data: bytes, encoding: str, limit: int) -> bytes:
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
    if encoding not in wbits:
        raise BodyRefused(
            415,
            "unsupported_encoding",
            "Unsupported Content-Encoding",
            f"Content-Encoding '{encoding}' is not supported; send gzip, deflate or none.",
        )
    inflater = zlib.decompressobj(wbits[encoding])
    try:
        inflated = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise BodyRefused(
            400, "malformed_body", "Malformed body", f"The body is not valid {encoding} data."
        ) from None
    if len(inflated) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    return inflated


def _too_deep(data: bytes) -> bool:
    """Whether the JSON text nests deeper than MAX_BODY_DEPTH (brackets inside strings aside)."""
    if data.count(b"[") + data.count(b"{") <= MAX_BODY_DEPTH:
        return False
    # The brackets outside strings, found by the regex engine and bytes.translate, then
    # counted: a batch holds thousands of strings and a few hundred brackets.
    depth = 0
    for token in _STRING.sub(b"", data).translate(None, _NOT_A_BRACKET):
        if token in b"[{":
            depth += 1
            if depth > MAX_BODY_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


async def read_json(request: Request, *, limit: int) -> tuple[Any, int]:
    """The request's JSON, decompressed, and its size in bytes; :class:`BodyRefused` when
    it cannot be read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        data = _inflate(data, encoding, limit)
    if _too_deep(data):
        raise BodyRefused(
            400,
            "json_too_deep",
            "JSON nested too deep",
            f"The body nests objects and lists over {MAX_BODY_DEPTH} levels deep.",
        )
    try:
        return json.loads(data, parse_constant=_not_json), len(data)
    except (UnicodeDecodeError, ValueError):
        raise BodyRefused(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON."
        ) from None
