"""The OpenAPI 3.1 document, built from the same ``Route`` entries the app serves (so it cannot drift).

Schemas come from the msgspec Structs themselves (``msgspec.json.schema_components``); money fields of
requests accept a decimal string or a JSON number (``MONEY_SCHEMA``), responses carry decimal strings.
"""

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from oms_daemon.http_api.errors import ErrorBody
from oms_daemon.http_api.routing import Route
from oms_daemon.http_api.schema import MONEY_SCHEMA

__all__ = ["aiohttp_path", "build_openapi"]

_REF = "#/components/schemas/{name}"
_PARAM = re.compile(r"\{([A-Za-z_]+)\}")
_STATUS_TEXT = {
    101: "Switching to WebSocket",
    200: "OK",
    201: "Created",
    400: "validation_error (or unknown_symbol): the request is malformed",
    401: "invalid_api_key: missing or unknown x-api-key",
    403: "strategy_not_permitted: the key may not act for this strategy",
    404: "account_not_found, order_not_found, deal_not_found or position_not_found",
    409: "order_not_open, cancel_pending, nothing_to_change or safe_mode",
    422: "insufficient_funds or risk_rejected (with the core reason code)",
    429: "rate_limited: over the key's rate limit (see Retry-After)",
    503: "shutting_down or no_quote",
    504: "timeout: the writer did not answer in time",
}


def _money(node: Any) -> Any:
    """Replace every ``x-money`` marked schema by ``MONEY_SCHEMA``."""
    if isinstance(node, dict):
        if node.get("x-money"):
            return dict(MONEY_SCHEMA)
        return {k: _money(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_money(v) for v in node]
    return node


def _parameters(route: Route, schemas: dict[Any, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{regex}$"}}
        for name, regex in route.path_params.items()
    ]
    if route.query is not None:
        ref = schemas[route.query]["$ref"].rsplit("/", 1)[1]
        properties = components[ref]["properties"]
        for field in msgspec.structs.fields(route.query):
            schema = dict(properties[field.encode_name])
            schema.pop("title", None)
            params.append({"name": field.encode_name, "in": "query", "required": field.required, "schema": schema})
    return params


def _operation(route: Route, schemas: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": _STATUS_TEXT.get(route.status, "OK")}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": schemas[route.response]}}
    elif route.text:
        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
    responses[str(route.status)] = ok
    if route.status == 201:
        responses["200"] = {**ok, "description": "an existing order (repeated idempotency key)"}
    for status in route.errors:
        responses[str(status)] = {
            "description": _STATUS_TEXT[status],
            "content": {"application/json": {"schema": schemas[ErrorBody]}},
        }
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _parameters(route, schemas, components),
        "responses": responses,
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[route.body]}},
        }
    return operation


def build_openapi(routes: Sequence[Route], *, public: Sequence[Route] = (), version: str = "1") -> dict[str, Any]:
    """The document for ``routes`` (need ``x-api-key``) and ``public`` routes (no key)."""
    kinds = [ErrorBody]
    for route in (*routes, *public):
        kinds += [k for k in (route.response, route.query, route.body) if k is not None]
    unique = list(dict.fromkeys(kinds))
    generated, components = msgspec.json.schema_components(unique, ref_template=_REF)
    schemas = dict(zip(unique, generated, strict=True))
    components = _money(components)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas, components)
    for route in public:
        operation = _operation(route, schemas, components)
        operation["security"] = []
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "omsd HTTP API",
            "version": version,
            "description": "OMS commands and reads, the ccxt driver's /ccxt paths and the /paper routes.",
        },
        "servers": [{"url": "/"}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }


def aiohttp_path(route: Route) -> str:
    """The route's path with its parameter patterns, as aiohttp's router takes it."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + ":" + route.path_params[m.group(1)] + "}", route.path)
