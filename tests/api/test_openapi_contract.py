"""The OpenAPI contract a client is generated from: operation ids, tags, credentials, every
problem with its example, bounds, body examples, and the documentation pages served from
this installation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from omnicanal.api.app import create_app
from omnicanal.api.tags import TAGS
from omnicanal.bootstrap import build_platform
from omnicanal.catalog.schemas import ProductIn, ProductOut
from omnicanal.inventory.schemas import MovementIn, MovementOut, ReservationIn, ReservationOut
from omnicanal.network.schemas import LocationIn, LocationOut
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.config import Settings
from omnicanal.platform.http.docs import STATIC_PATH

CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
PUBLIC = {("get", "/healthz")}
RATE_LIMIT = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
EXAMPLE_MODELS: list[type[BaseModel]] = [
    LocationIn,
    LocationOut,
    ProductIn,
    ProductOut,
    MovementIn,
    MovementOut,
    ReservationIn,
    ReservationOut,
    CheckoutIn,
    OrderOut,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The application over a database it never opens: its document and pages need none."""
    folder = tmp_path_factory.mktemp("contract")
    platform = build_platform(
        Settings(database_url=f"sqlite:///{folder}/omnicanal.db", data_dir=folder)
    )
    yield create_app(platform, background=False)
    platform.close()


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return TestClient(app).get("/openapi.json").json()


def _resolved(spec: dict[str, Any], node: dict[str, Any]) -> Any:
    """``node``, or what its ``$ref`` (``#/components/…``) points at."""
    if "$ref" not in node:
        return node
    found: Any = spec
    for part in node["$ref"].removeprefix("#/").split("/"):
        found = found[part]
    return found


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_has_a_unique_camel_case_id_one_known_tag_and_a_description(spec):
    """What a generated client names its functions and modules after reads well and is
    unique; every operation sits under one described domain tag and says what it does."""
    operations = _operations(spec)
    known = {tag["name"] for tag in spec["tags"]}
    ids = [operation["operationId"] for _, _, operation in operations]

    assert len(ids) == len(set(ids)) >= 150
    assert [tag["name"] for tag in TAGS] == [tag["name"] for tag in spec["tags"]]
    assert all(tag["description"] for tag in spec["tags"])
    for method, path, operation in operations:
        where = (method, path, operation["operationId"])
        assert CAMEL_CASE.match(operation["operationId"]), where
        assert len(operation["tags"]) == 1 and operation["tags"][0] in known, where
        assert operation.get("summary") and operation.get("description"), where
    by_id = {operation["operationId"]: path for _, path, operation in operations}
    assert by_id["reserveStock"] == "/v1/reservations"
    assert by_id["getSkuStock"] == "/v1/inventory/{sku}"
    assert by_id["getSku"] == "/v1/skus/{code}"


def test_every_operation_but_the_health_check_states_its_credentials(spec):
    """An API key (bearerKey, with the scopes the route demands) on every REST operation, a
    write key on the tracking ones; 401 and 403 as problems; 429 with Retry-After and the
    RateLimit headers, also on the successful answers, wherever a key's rate counts."""
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {**schemes["bearerKey"], "type": "http", "scheme": "bearer"}
    assert schemes["trackingWriteKey"]["scheme"] == "basic"
    for method, path, operation in _operations(spec):
        where = (method, path)
        if (method, path) in PUBLIC:
            assert "security" not in operation, where
            continue
        requirements = operation["security"]
        assert requirements and all(set(r) <= set(schemes) for r in requirements), where
        answers = operation["responses"]
        assert "application/problem+json" in answers["401"]["content"], where
        if len(requirements) == 1 and set(requirements[0]) == {"bearerKey"}:
            scopes = requirements[0]["bearerKey"]
            assert scopes, where
            forbidden = answers["403"]["content"]["application/problem+json"]["examples"]
            missing_scope = _resolved(spec, forbidden["missing_scope"])
            assert missing_scope["value"]["required_scope"] == scopes[0], where
            assert set(answers["429"]["headers"]) == {"Retry-After", *RATE_LIMIT}, where
            success = [answer for status, answer in answers.items() if status.startswith("2")]
            assert all(set(answer.get("headers", {})) >= RATE_LIMIT for answer in success)
    reserve = spec["paths"]["/v1/reservations"]["post"]
    assert reserve["security"] == [{"bearerKey": ["reservations:write"]}]
    assert spec["paths"]["/v1/batch"]["post"]["security"] == [
        {"trackingWriteKey": []},
        {"bearerKey": ["tracking:write"]},
    ]
    assert not any(
        parameter["name"].lower() == "authorization"
        for _, _, operation in _operations(spec)
        for parameter in operation.get("parameters", [])
    )


def test_every_problem_answer_carries_examples_of_its_own_status(spec):
    """Each documented problem shows what comes back: a realistic code per status, the
    reused Idempotency-Key where one is taken, the tracking API's own codes."""
    for method, path, operation in _operations(spec):
        for status, answer in operation["responses"].items():
            problem = answer.get("content", {}).get("application/problem+json")
            if problem is None:
                continue
            assert "application/json" not in answer["content"], (method, path, status)
            examples = problem["examples"]
            assert examples, (method, path, status)
            for example in examples.values():
                value = _resolved(spec, example)["value"]
                assert value["status"] == int(status), (method, path, status)
                assert value["type"] == f"/problems/{value['code']}"
    reserve = spec["paths"]["/v1/reservations"]["post"]["responses"]
    assert {"conflict", "idempotency_key_reused"} <= set(
        reserve["409"]["content"]["application/problem+json"]["examples"]
    )
    invalid = reserve["422"]["content"]["application/problem+json"]["examples"]
    assert _resolved(spec, invalid["validation_error"])["value"]["errors"][0]["field"] == (
        "quantity"
    )
    limited = _resolved(spec, reserve["429"]["headers"]["Retry-After"])
    assert limited["schema"] == {"type": "integer", "minimum": 1}
    track = spec["paths"]["/v1/track"]["post"]["responses"]
    assert "unknown_write_key" in track["401"]["content"]["application/problem+json"]["examples"]
    assert "batch_too_large" in track["413"]["content"]["application/problem+json"]["examples"]


def _body_schemas(spec: dict[str, Any]) -> set[str]:
    """The names of every schema a request body holds, however deep."""
    schemas = spec["components"]["schemas"]
    found: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("$ref", "").removeprefix("#/components/schemas/")
            if name in schemas and name not in found:
                found.add(name)
                visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for _, _, operation in _operations(spec):
        visit(operation.get("requestBody", {}))
    return found


def test_bounds_and_body_examples_are_in_the_schema(spec):
    """Every whole number a request body holds, quantities first, and the Idempotency-Key
    carry their bounds; the main bodies an example that their own model accepts; schemas
    keep one name each (no module paths)."""
    schemas = spec["components"]["schemas"]
    unbounded = [
        (name, field)
        for name in _body_schemas(spec)
        for field, schema in schemas[name].get("properties", {}).items()
        for option in schema.get("anyOf", [schema])
        if option.get("type") == "integer" and "maximum" not in option
    ]
    assert unbounded == []
    quantity = schemas["ReservationIn"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 100_000)
    movement = schemas["MovementIn"]["properties"]["quantity"]
    assert (movement["minimum"], movement["maximum"]) == (-100_000, 100_000)
    key = next(
        parameter
        for parameter in spec["paths"]["/v1/orders"]["post"]["parameters"]
        if parameter["name"] == "Idempotency-Key"
    )
    text = key["schema"]["anyOf"][0]
    assert (text["maxLength"], text["pattern"]) == (200, r"^[!-~]+$")
    for model in EXAMPLE_MODELS:
        (example,) = schemas[model.__name__]["examples"]
        model.model_validate(example)
    identify = spec["paths"]["/v1/identify"]["post"]["requestBody"]["content"]
    assert identify["application/json"]["schema"]["examples"][0]["type"] == "identify"
    assert not [name for name in schemas if "__" in name]
    assert {"OrdersCancelIn", "ReturnsCancelIn"} <= set(schemas)


def test_the_documentation_pages_load_nothing_from_another_host(app):
    """Swagger UI and ReDoc come with their scripts from this server, under a policy that
    names no other origin; the assets are served."""
    client = TestClient(app)
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        response = client.get(page)
        assert response.status_code == 200
        assert f'src="{STATIC_PATH}/{asset}"' in response.text
        assert "http://" not in response.text and "https://" not in response.text
        policy = response.headers["content-security-policy"]
        assert "http" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
        script = client.get(f"{STATIC_PATH}/{asset}")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
    assert client.get(f"{STATIC_PATH}/swagger-ui.css").status_code == 200
    assert client.get(f"{STATIC_PATH}/favicon.png").status_code == 200
