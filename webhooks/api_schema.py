"""Schema helpers for the typed API: the error answers every /api/v1 route declares, request bodies that a route
reads itself (described from a Pydantic type), and the component schemas those descriptions refer to, which
webhooks/api_docs.py adds to the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from webhooks.api_models import Problem

REF = "#/components/schemas/{model}"
_COMPONENTS: dict[str, dict[str, Any]] = {}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad JSON or bad parameter"), 401: _problem("Missing or invalid API key"),
    403: _problem("The key lacks the scope"), 404: _problem("No such contact or hook"),
    413: _problem("Body too large"), 422: _problem("Invalid input"),
}


def request_body(annotation: Any, description: str) -> dict[str, Any]:
    """`openapi_extra` describing a JSON body of type `annotation` for a route that reads the raw body itself
    (its own 400 for bad JSON, a depth check before parsing); the models it names become components."""
    schema = TypeAdapter(annotation).json_schema(ref_template=REF)
    _COMPONENTS.update(schema.pop("$defs", {}))
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


def add_components(document: dict[str, Any]) -> dict[str, Any]:
    """Put the schemas that `request_body` descriptions refer to into `document` (an OpenAPI dict)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _COMPONENTS.items():
        schemas.setdefault(name, schema)
    return document
