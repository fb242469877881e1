"""The OpenAPI document says what the API really answers.

FastAPI documents its own 422 body (HTTPValidationError: `loc`, `msg`, `type`) on every route with a
parameter that did not declare its 422; the body we send is ErrorOut (api/errors.py). So the framework's
entry becomes ours (any parameter, the Idempotency-Key header too, can be invalid), and its schemas go.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import documented

_FRAMEWORK_422 = "#/components/schemas/HTTPValidationError"


def _framework_422(answer: dict[str, Any]) -> bool:
    content = answer.get("content", {}).get("application/json", {})
    return bool(content.get("schema", {}).get("$ref") == _FRAMEWORK_422)


def _cleaned(document: dict[str, Any]) -> dict[str, Any]:
    ours = {
        "description": documented(422)[422]["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    items: list[tuple[Any, dict[str, Any] | None]] = [(item, ours) for item in document.get("paths", {}).values()]
    # A webhook's answers are the subscriber's, not ours: there the framework's entry only goes.
    items += [(item, None) for item in document.get("webhooks", {}).values()]
    for path_item, answer in items:
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if _framework_422(responses.get("422", {})):
                if answer is None:
                    del responses["422"]
                else:
                    responses["422"] = answer
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _cleaned(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
