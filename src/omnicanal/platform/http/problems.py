"""RFC 9457 problem responses: the one place that maps domain errors to HTTP."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException

from omnicanal.platform.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Throttled,
    Unauthenticated,
)

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
    Unauthenticated: 401,
    Throttled: 429,
}


class InvalidField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """A problem detail (RFC 9457) with omnicanal's machine-readable ``code``."""

    type: str = Field(examples=["/problems/insufficient_stock"])
    code: str = Field(examples=["insufficient_stock"])
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[InvalidField] | None = None


def problem_response(
    status: int, code: str, title: str, detail: str, *, challenge: str = "Bearer", **extra: Any
) -> JSONResponse:
    body = {k: v for k, v in extra.items() if v is not None}
    body.update(type=f"/problems/{code}", code=code, title=title, status=status, detail=detail)
    headers = {"WWW-Authenticate": challenge} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(error: DomainError) -> int:
    for family, status in STATUS.items():
        if isinstance(error, family):
            return status
    return 400


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body",)]
    return ".".join(parts) or "body"


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    # Read by the metrics middleware (insufficient stock refusals are counted).
    request.state.problem_code = error.code
    return problem_response(
        status_of(error),
        error.code,
        error.title,
        error.detail,
        challenge=getattr(error, "challenge", "Bearer"),
        field=error.field,
        **error.extra,
    )


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = list(error.errors())
    if any(issue.get("type") == "json_invalid" for issue in issues):
        return problem_response(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON."
        )
    body_refused = any(tuple(issue.get("loc", ()))[:1] == ("body",) for issue in issues)
    if body_refused and not _is_json(request.headers.get("content-type")):
        # The body was not read as JSON at all: say so rather than list its fields as missing.
        return problem_response(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            "Send the request body as JSON with 'Content-Type: application/json'.",
        )
    fields = [
        {"field": _location(tuple(issue.get("loc", ()))), "message": issue.get("msg", "")}
        for issue in issues
    ]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return problem_response(
        422,
        "validation_error",
        "Invalid input",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=fields,
    )


HTTP_CODES = {
    400: ("malformed_json", "Malformed JSON", "The request body could not be parsed as JSON."),
    404: ("not_found", "Not found", "Nothing is found at this address."),
    405: ("method_not_allowed", "Method not allowed", "This address does not take this method."),
    413: ("payload_too_large", "Payload too large", "The request body is over the size limit."),
    415: (
        "unsupported_media_type",
        "Unsupported media type",
        "The request body is not sent in a media type this operation takes.",
    ),
}


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code, title, detail = HTTP_CODES.get(
        error.status_code, ("http_error", str(error.detail), str(error.detail))
    )
    response = problem_response(error.status_code, code, title, detail)
    # 405 answers name the methods that are allowed (Allow), as RFC 9110 asks.
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _out_of_range(_: Request, error: Exception) -> JSONResponse:
    # The last backstop: a value the edge let through that the database cannot store (text
    # with NUL or too long for its column, an integer beyond the column's type). The
    # transaction rolled back, so nothing changed; the bound belongs at the edge.
    log.warning("value refused by the database: %s", error)
    return problem_response(
        422,
        "value_out_of_range",
        "Invalid input",
        "A value is too long, too large or holds characters that cannot be stored.",
    )


async def _statement_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StatementError)
    if isinstance(error, DataError) or isinstance(error.orig, OverflowError | ValueError):
        return await _out_of_range(request, error)
    return await _unexpected(request, error)


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=error)
    return problem_response(
        500, "internal_error", "Internal error", "Something went wrong on our side; it is logged."
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StatementError, _statement_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's problem responses."""
    described = {
        400: "Malformed JSON body",
        401: "Missing or unknown API key",
        403: "The key lacks a scope or acts outside its store",
        404: "Unknown SKU, location or resource",
        405: "Method not allowed here (the Allow header lists those that are)",
        409: "Conflicts with the current state (e.g. insufficient_stock)",
        413: "Request body over the size limit",
        415: "Request body not sent as JSON",
        422: "Invalid input: a field is missing, malformed or out of bounds",
    }
    wanted = sorted({401, 403, 422, *statuses})
    return {
        status: {
            "model": Problem,
            "description": described[status],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in wanted
    }
