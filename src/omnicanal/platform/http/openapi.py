"""The OpenAPI document tells the truth about what the edge enforces for every operation.

Each operation already lists its domain problems (``problems.responses``). What the edge adds
for every route of a router (the parameter bounds of ``deps.bounded_parameters``, the body
size limit, JSON parsing) is stated here once, from the routes themselves, so an operation
added later is described too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from omnicanal.platform.bounds import MAX_PARAMETER_LENGTH
from omnicanal.platform.http.deps import bounded_parameters
from omnicanal.platform.http.problems import MEDIA_TYPE, responses


def _problem(status: int) -> dict[str, Any]:
    entry = responses(status)[status]
    return {"description": entry["description"], "content": entry["content"]}


def _bound_text(schema: dict[str, Any]) -> None:
    """Give every string in a parameter's schema the enforced maximum length."""
    for option in schema.get("anyOf", []):
        _bound_text(option)
    if schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema:
        schema["maxLength"] = MAX_PARAMETER_LENGTH
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _bound_text(schema["items"])


def _describe_operation(route: Any, operation: dict[str, Any], *, body_limited: bool) -> None:
    answers = operation.setdefault("responses", {})
    bounded = any(
        dependency.call is bounded_parameters for dependency in route.dependant.dependencies
    )
    parameters = operation.get("parameters", [])
    if bounded:
        for parameter in parameters:
            if parameter.get("in") in ("path", "query"):
                _bound_text(parameter.get("schema", {}))
        answers.setdefault("422", _problem(422))
    if any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
        answers.setdefault("409", _problem(409))  # the key was used for another request
    if route.body_field is not None:
        answers.setdefault("400", _problem(400))
        answers.setdefault("415", _problem(415))
        answers.setdefault("422", _problem(422))
        if body_limited:
            answers.setdefault("413", _problem(413))
    for answer in answers.values():
        content = answer.get("content", {})
        # A problem is application/problem+json only, never plain application/json.
        if MEDIA_TYPE in content and "application/json" in content:
            schema = content["application/json"].get("schema", {})
            if schema.get("$ref", "").endswith("/Problem"):
                del content["application/json"]


def install(app: FastAPI, *, body_limited: Callable[[str], bool]) -> None:
    """Make ``app.openapi()`` describe the edge's own answers on every operation.

    ``body_limited`` tells the paths whose request bodies the body limit (413) applies to.
    """
    generate = app.openapi

    def described() -> dict[str, Any]:
        document = generate()  # cached by FastAPI; describing it again changes nothing
        paths = document.get("paths", {})
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            # An APIRoute always has both; the route context types them as optional.
            path, methods = route.path_format, route.methods
            if path is None or methods is None:
                continue
            for method in methods:
                operation = paths.get(path, {}).get(method.lower())
                if operation is not None:
                    limited = body_limited(path)
                    _describe_operation(route, operation, body_limited=limited)
        return document

    app.openapi = described  # type: ignore[method-assign]
