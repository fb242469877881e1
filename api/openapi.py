"""The OpenAPI document says what the API really answers.

FastAPI documents its own 422 body (HTTPValidationError: `loc`, `msg`, `type`) on every route with a
parameter, whether or not the route can fail validation; ours is ErrorOut (api/errors.py), which each
route declares where it can happen. So the framework's entry is dropped, and with it its schemas.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_FRAMEWORK_422 = "#/components/schemas/HTTPValidationError"


def _framework_422(answer: dict[str, Any]) -> bool:
    content = answer.get("content", {}).get("application/json", {})
    return bool(content.get("schema", {}).get("$ref") == _FRAMEWORK_422)


def _cleaned(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in [*document.get("paths", {}).values(), *document.get("webhooks", {}).values()]:
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if _framework_422(responses.get("422", {})):
                del responses["422"]
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
