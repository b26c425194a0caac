"""Build the aiohttp application the daemon serves: /metrics, /openapi.json, /oms, /ccxt and /paper.

Every route is a ``Route`` entry: the router serves it and the OpenAPI document describes it, from
the same entry. Errors leave as JSON ``{"error": {"code", ...}}`` (see ``errors``), whatever raised them.
"""

import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from oms_daemon.config import DaemonConfig
from oms_daemon.core.events import Event
from oms_daemon.gateway import Gateway
from oms_daemon.http_api import ccxt_routes, oms, paper
from oms_daemon.http_api.auth import KeyRing, auth_middleware
from oms_daemon.http_api.brackets import Brackets
from oms_daemon.http_api.commands import Writer
from oms_daemon.http_api.errors import ApiError, ErrorBody, ErrorCode, ErrorDetail
from oms_daemon.http_api.feed import EventFeed
from oms_daemon.http_api.openapi import aiohttp_path, build_openapi
from oms_daemon.http_api.routing import SERVICES, Handler, Route, Services, json_response
from oms_daemon.http_api.ws import WsHub
from oms_daemon.metrics import Metrics, metrics_handler

__all__ = ["PROTECTED", "HttpHost", "build_app"]

log = logging.getLogger(__name__)

PROTECTED = ("/oms", "/ccxt", "/paper")
"""Path prefixes that need an ``x-api-key``."""

MAX_BODY = 64 * 1024


class HttpHost(Gateway, Protocol):
    """What the HTTP layer needs from the daemon: the gateway, its config and metrics, and its event feed."""

    config: DaemonConfig
    metrics: Metrics

    def add_publisher(self, publish: Callable[[list[Event]], None]) -> None:
        """Also hand every step's events to ``publish`` (after the journal append)."""
        ...


def _error(status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(ErrorBody(error=ErrorDetail(code=code, message=message)), status, headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal and failure as a JSON error body with a stable code."""
    try:
        return await handler(request)
    except ApiError as error:
        return json_response(error.body, error.status, error.headers)
    except web.HTTPNotFound:
        return _error(404, ErrorCode.NOT_FOUND, f"no route {request.path}")
    except web.HTTPMethodNotAllowed as error:
        allowed = ", ".join(sorted(error.allowed_methods))
        return _error(405, ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} not allowed", {"Allow": allowed})
    except web.HTTPException as error:
        return _error(error.status, ErrorCode.VALIDATION_ERROR, error.reason)
    except Exception:
        log.exception("http handler failed: %s %s", request.method, request.path)
        return _error(500, ErrorCode.INTERNAL_ERROR, "internal error")


def _public_routes(metrics: Metrics, document: Callable[[], dict[str, Any]]) -> tuple[Route, ...]:
    async def openapi_document(_request: web.Request) -> web.Response:
        return json_response(document())

    async def metrics_text(request: web.Request) -> web.StreamResponse:
        return await metrics_handler(metrics)(request)

    return (
        Route("GET", "/openapi.json", openapi_document, "This OpenAPI document", dict[str, Any], tag="meta"),
        Route("GET", "/metrics", metrics_text, "Prometheus metrics (text exposition format)", tag="meta", text=True),
    )


def build_app(host: HttpHost) -> web.Application:
    """The HTTP application of ``host`` (registers its event publisher on ``host``)."""
    ring = KeyRing(host.config.api_keys)
    app = web.Application(middlewares=[error_middleware, auth_middleware(ring, PROTECTED)], client_max_size=MAX_BODY)
    feed = EventFeed(lambda: host.state)
    writer = Writer(host)
    brackets = Brackets(lambda: host.state, writer, feed)
    hub = WsHub(lambda: host.state)
    feed.listen(hub.on_events)
    feed.listen(brackets.on_events)
    host.add_publisher(feed.publish)
    app[SERVICES] = Services(state=lambda: host.state, writer=writer, feed=feed, brackets=brackets)
    routes = (*oms.ROUTES, hub.route(), *ccxt_routes.ROUTES, *paper.ROUTES)
    document: dict[str, Any] = {}
    public = _public_routes(host.metrics, lambda: document)
    document.update(build_openapi(routes, public=public))
    for route in (*routes, *public):
        app.router.add_route(route.method, aiohttp_path(route), route.handler)

    async def on_startup(_app: web.Application) -> None:
        brackets.recover()

    async def on_shutdown(_app: web.Application) -> None:
        await hub.close()
        await brackets.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app
