"""The OpenAPI document tells the truth about what the edge enforces for every operation.

Each operation already lists its domain problems (``problems.responses``). What the edge adds
for every route of a router is stated here once, from the routes themselves, so an operation
added later is described too:

- who may call: an operation that depends on ``deps.get_actor`` needs an API key
  (``bearerKey``, with the scopes its ``deps.scope`` dependencies demand), answers 401 without
  one, 403 without the scope, and 429 past the key's rate, with the RateLimit headers on its
  answers; an operation that takes other credentials (a tracking write key, a provider's
  token) says so itself in its ``openapi_extra`` with one of :data:`SECURITY_SCHEMES`;
- the parameter bounds of ``deps.bounded_parameters``, the body size limit, JSON parsing;
- an example of each problem an operation answers, with a realistic ``code``;
- one name per schema, and the schemas' examples as written (``openapi_schemas``).

A generated client reads it: the operation ids (:func:`operation_id`, the endpoint's name in
camelCase) become its function names, the security schemes its credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from omnicanal.platform.bounds import MAX_PARAMETER_LENGTH
from omnicanal.platform.http.deps import bounded_parameters, get_actor
from omnicanal.platform.http.openapi_schemas import distinct_schema_names, restore_example_nulls
from omnicanal.platform.http.problems import MEDIA_TYPE, responses

__all__ = [
    "BEARER_KEY",
    "FEEDBACK_TOKEN",
    "SECURITY_SCHEMES",
    "TRACKING_WRITE_KEY",
    "WEBHOOK_SIGNATURE",
    "install",
    "operation_id",
    "problem_example",
]

BEARER_KEY = "bearerKey"
TRACKING_WRITE_KEY = "trackingWriteKey"
FEEDBACK_TOKEN = "deliveryFeedbackToken"
WEBHOOK_SIGNATURE = "webhookSignature"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key made by `omnicanal keys create`, sent as "
        "`Authorization: Bearer <key>`. It speaks for one channel, holds scopes (each "
        "operation names those it needs) and may be bound to one store.",
    },
    TRACKING_WRITE_KEY: {
        "type": "http",
        "scheme": "basic",
        "description": "A tracking source's write key (`omnicanal tracking keys create`) as "
        "the user name and an empty password, as Segment's and RudderStack's SDKs send it; "
        "or in the body's `writeKey`. An API key with `tracking:write` may be sent instead.",
    },
    FEEDBACK_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "description": "The delivery feedback token (`OMNICANAL_DELIVERY_FEEDBACK_TOKEN`) that "
        "Brevo presents, as a bearer token or the `token` query parameter.",
    },
    WEBHOOK_SIGNATURE: {
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
        "description": "A Standard Webhooks signature of the report (`webhook-id`, "
        "`webhook-timestamp`, `webhook-signature`) with the messages' webhook secret "
        "(`OMNICANAL_MESSAGE_WEBHOOK_SECRET`).",
    },
}
HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {
        "description": "The most requests this key may send at once (its burst). Absent when "
        "the key has no limit.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "How many requests the key may still send at once.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the key may send a whole burst again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "Seconds to wait before the same request is admitted.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "WWW-Authenticate": {
        "description": "The credentials to send: `Bearer` (an API key), or `Basic` for a "
        "tracking write key.",
        "schema": {"type": "string"},
    },
}
"""The headers the edge sets, described once in the document's components."""
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
RATE_LIMITED = "Over this API key's rate: nothing was done; send again after Retry-After"


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its name in camelCase (``reserve_stock`` → ``reserveStock``).

    The name is the endpoint function's unless the route was given one."""
    first, *rest = route.name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def problem_example(status: int, code: str, title: str, detail: str, **extra: Any) -> Any:
    """An OpenAPI example of the problem document an operation answers."""
    value = {"type": f"/problems/{code}", "code": code, "title": title, "status": status}
    return {"summary": title, "value": {**value, "detail": detail, **extra}}


EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "malformed_json": problem_example(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON."
        )
    },
    401: {
        "unauthenticated": problem_example(
            401,
            "unauthenticated",
            "Missing or unknown credentials",
            "Send an API key as 'Authorization: Bearer <key>'.",
        )
    },
    403: {
        "forbidden": problem_example(
            403,
            "forbidden",
            "Not allowed for this caller",
            "This key belongs to store LYON-01 and cannot act for PARIS-01.",
            field="location",
        )
    },
    404: {
        "not_found": problem_example(
            404, "not_found", "Not found", "No location has the code LYON-99.", field="code"
        )
    },
    405: {
        "method_not_allowed": problem_example(
            405,
            "method_not_allowed",
            "Method not allowed",
            "This address does not take this method.",
        )
    },
    409: {
        "conflict": problem_example(
            409,
            "conflict",
            "Conflicts with the current state",
            "The resource changed in a way that no longer allows this.",
        )
    },
    413: {
        "payload_too_large": problem_example(
            413,
            "payload_too_large",
            "Payload too large",
            "The request body is over the size limit.",
        )
    },
    415: {
        "unsupported_media_type": problem_example(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            "Send the request body as JSON with 'Content-Type: application/json'.",
        )
    },
    422: {
        "validation_error": problem_example(
            422,
            "validation_error",
            "Invalid input",
            "quantity: Input should be less than or equal to 100000",
            field="quantity",
            errors=[
                {"field": "quantity", "message": "Input should be less than or equal to 100000"}
            ],
        )
    },
    429: {
        "rate_limited": problem_example(
            429,
            "rate_limited",
            "Too many requests for this API key",
            "This API key may send 6000 requests a minute, in bursts of at most 1000; try "
            "again in 2 seconds.",
            retry_after=2,
        )
    },
}
IDEMPOTENCY_KEY_REUSED = problem_example(
    409,
    "idempotency_key_reused",
    "Idempotency key already used for another request",
    "This Idempotency-Key was sent with another request; use a new key for a new request.",
)


def _missing_scope(needed: str) -> Any:
    return problem_example(
        403,
        "forbidden",
        "Not allowed for this caller",
        f"This key lacks the '{needed}' scope.",
        required_scope=needed,
    )


def _problem(status: int) -> dict[str, Any]:
    entry = responses(status)[status]
    return {"description": entry["description"], "content": entry["content"]}


def _calls(dependant: Dependant) -> list[Any]:
    """Every dependency callable of a route, however deep."""
    found = []
    for dependency in dependant.dependencies:
        found.append(dependency.call)
        found.extend(_calls(dependency))
    return found


def _bound_text(schema: dict[str, Any]) -> None:
    """Give every string in a parameter's schema the enforced maximum length."""
    for option in schema.get("anyOf", []):
        _bound_text(option)
    if schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema:
        schema["maxLength"] = MAX_PARAMETER_LENGTH
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _bound_text(schema["items"])


def _with_examples(answer: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    """``answer`` (a new dict: FastAPI may share its parts between operations) with the
    problem ``examples`` it does not name already."""
    content = dict(answer.get("content", {}))
    media = dict(content.get(MEDIA_TYPE, {}))
    media["examples"] = {**examples, **media.get("examples", {})}
    content[MEDIA_TYPE] = media
    return {**answer, "content": content}


def _shared(shared: dict[str, Any], name: str, example: Any) -> dict[str, str]:
    """A reference to ``example``, kept once under ``name`` in the document's components
    (the same examples on every operation would double the document's size)."""
    shared.setdefault(name, example)
    return {"$ref": f"#/components/examples/{name}"}


def _problem_examples(
    status: str,
    answer: dict[str, Any],
    shared: dict[str, Any],
    *,
    scopes: list[str],
    idempotent: bool,
) -> dict[str, Any]:
    """The examples a problem answer gets: the generic one of its status unless the route
    gave its own, and those its dependencies tell (the scope it needs, a reused key)."""
    own = answer["content"][MEDIA_TYPE].get("examples")
    generic = {} if own else EXAMPLES.get(int(status), {})
    examples = {name: _shared(shared, name, example) for name, example in generic.items()}
    if status == "403" and scopes:
        name = "missing_scope_" + re.sub(r"[^A-Za-z0-9]", "_", scopes[0])
        examples = {"missing_scope": _shared(shared, name, _missing_scope(scopes[0]))}
    if status == "409" and idempotent:
        examples["idempotency_key_reused"] = _shared(
            shared, "idempotency_key_reused", IDEMPOTENCY_KEY_REUSED
        )
    return examples


def _with_headers(answer: dict[str, Any], *names: str) -> dict[str, Any]:
    """``answer`` (a new dict) with references to the edge's ``names`` headers."""
    headers = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    return {**answer, "headers": {**headers, **answer.get("headers", {})}}


def _describe_security(
    calls: list[Any], operation: dict[str, Any], answers: dict[str, Any]
) -> list[str]:
    """State the credentials an operation takes; the scopes it needs (an API key's)."""
    scopes = sorted({call.required_scope for call in calls if hasattr(call, "required_scope")})
    if get_actor in calls:
        operation.setdefault("security", [{BEARER_KEY: scopes}])
        if scopes:
            answers.setdefault("403", _problem(403))
        answers.setdefault("429", _rate_limited())
        answers["429"] = _with_headers(answers["429"], "Retry-After")
        for status, answer in list(answers.items()):
            if status.startswith("2") or status == "429":
                answers[status] = _with_headers(answer, *RATE_LIMIT_HEADERS)
    if operation.get("security"):
        answers.setdefault("401", _problem(401))
        answers["401"] = _with_headers(answers["401"], "WWW-Authenticate")
    return scopes


def _rate_limited() -> dict[str, Any]:
    return {
        "description": RATE_LIMITED,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _describe_operation(
    route: Any, operation: dict[str, Any], shared: dict[str, Any], *, body_limited: bool
) -> None:
    """Describe what the edge adds to one operation; ``shared``: the document's examples."""
    answers = operation.setdefault("responses", {})
    calls = _calls(route.dependant)
    scopes = _describe_security(calls, operation, answers)
    parameters = operation.get("parameters", [])
    if bounded_parameters in calls:
        for parameter in parameters:
            if parameter.get("in") in ("path", "query"):
                _bound_text(parameter.get("schema", {}))
        answers.setdefault("422", _problem(422))
    idempotent = any(parameter.get("name") == "Idempotency-Key" for parameter in parameters)
    if idempotent:
        answers.setdefault("409", _problem(409))  # the key was used for another request
    if route.body_field is not None:
        answers.setdefault("400", _problem(400))
        answers.setdefault("415", _problem(415))
        answers.setdefault("422", _problem(422))
        if body_limited:
            answers.setdefault("413", _problem(413))
    for status, answer in list(answers.items()):
        content = answer.get("content", {})
        # A problem is application/problem+json only, never plain application/json.
        if MEDIA_TYPE in content and "application/json" in content:
            schema = content["application/json"].get("schema", {})
            if schema.get("$ref", "").endswith("/Problem"):
                content = {k: v for k, v in content.items() if k != "application/json"}
                answers[status] = answer = {**answer, "content": content}
        if MEDIA_TYPE not in content or not status.isdigit():
            continue
        examples = _problem_examples(status, answer, shared, scopes=scopes, idempotent=idempotent)
        if examples:
            answers[status] = _with_examples(answer, examples)


def install(app: FastAPI, *, body_limited: Callable[[str], bool]) -> None:
    """Make ``app.openapi()`` describe the edge's own answers on every operation.

    ``body_limited`` tells the paths whose request bodies the body limit (413) applies to.
    """
    generate = app.openapi
    last: dict[str, Any] | None = None

    def described() -> dict[str, Any]:
        nonlocal last
        document = generate()  # cached by FastAPI: described once
        if document is last:
            return document
        distinct_schema_names(document)
        components = document.setdefault("components", {})
        components["securitySchemes"] = {
            **SECURITY_SCHEMES,
            **components.get("securitySchemes", {}),
        }
        components["headers"] = {**HEADERS, **components.get("headers", {})}
        shared = components.setdefault("examples", {})
        paths = document.get("paths", {})
        routes = []
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            # An APIRoute always has both; the route context types them as optional.
            path, methods = route.path_format, route.methods
            if path is None or methods is None:
                continue
            routes.append(route)
            for method in methods:
                operation = paths.get(path, {}).get(method.lower())
                if operation is not None:
                    limited = body_limited(path)
                    _describe_operation(route, operation, shared, body_limited=limited)
        restore_example_nulls(document, routes)
        last = document
        return document

    app.openapi = described  # type: ignore[method-assign]
