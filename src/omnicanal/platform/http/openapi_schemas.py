"""The OpenAPI's schemas as a client generator needs them.

- One name per schema: two models of one name in two modules (``CancelIn`` of orders and of
  returns) are ``OrdersCancelIn`` and ``ReturnsCancelIn``, not pydantic's module paths, which
  client generators turn into two classes of one name.
- The examples the models declare, as written: FastAPI drops every null from the document
  it builds, the examples' too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

__all__ = ["distinct_schema_names", "restore_example_nulls"]

_SCHEMAS = "#/components/schemas/"


def _refs(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of ``node`` that holds a ``$ref``, however deep."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def distinct_schema_names(document: dict[str, Any]) -> None:
    """Rename the schemas pydantic named by their module path (two models share a class
    name) to the module and class names: ``omnicanal__returns__schemas__CancelIn`` becomes
    ``ReturnsCancelIn``, and ``Page[ReviewOut]`` of it ``Page[ReviewsReviewOut]``."""
    schemas = document.get("components", {}).get("schemas", {})
    renamed: dict[str, str] = {}
    plain = {name: schema for name, schema in schemas.items() if "[" not in schema.get("title", "")}
    for name, schema in plain.items():
        if name.startswith("omnicanal__"):
            parts = name.split("__")
            renamed[name] = parts[1].title().replace("_", "") + parts[-1]
            schema["title"] = renamed[name]
    for name, schema in schemas.items():
        if name.startswith("omnicanal__") and name not in renamed:
            # A generic model of an ambiguous one: name it after its parameters' new names.
            title = schema.get("title", name)
            for ref in _refs(schema):
                old = ref["$ref"].removeprefix(_SCHEMAS)
                if old in renamed:
                    title = re.sub(rf"\b{old.split('__')[-1]}\b", renamed[old], title)
            schema["title"] = title
            renamed[name] = re.sub(r"[^A-Za-z0-9]", "_", title)
    clashes = set(renamed.values()) & (set(schemas) - set(renamed))
    if clashes or len(set(renamed.values())) != len(renamed):
        raise RuntimeError(f"two schemas would share a name: {sorted(clashes) or renamed}")
    for ref in _refs(document):
        old = ref["$ref"].removeprefix(_SCHEMAS)
        if ref["$ref"].startswith(_SCHEMAS) and old in renamed:
            ref["$ref"] = _SCHEMAS + renamed[old]
    for old, new in renamed.items():
        schemas[new] = schemas.pop(old)


def _models(annotation: Any, seen: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model ``annotation`` names, however deep, by class name."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ in seen:
            return
        seen[annotation.__name__] = annotation
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
    for argument in get_args(annotation):
        _models(argument, seen)


def _declared_examples(routes: list[Any]) -> dict[str, list[Any]]:
    """The examples the routes' models declare, by class name, as they are written."""
    models: dict[str, type[BaseModel]] = {}
    for route in routes:
        for field in (route.body_field, route.response_field):
            if field is not None:
                _models(field.field_info.annotation, models)
    found: dict[str, list[Any]] = {}
    for name, model in models.items():
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(examples, list):
            found[name] = examples
    return found


def restore_example_nulls(document: dict[str, Any], routes: list[Any]) -> None:
    """Give the schemas' examples back their null values: FastAPI drops every null from the
    document it builds, and an example without its required nullable fields is wrong."""
    declared = _declared_examples(routes)
    for schema in document.get("components", {}).get("schemas", {}).values():
        if "examples" in schema and schema.get("title") in declared:
            schema["examples"] = declared[schema["title"]]
