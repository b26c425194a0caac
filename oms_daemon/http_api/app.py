"""Build the aiohttp application the daemon serves."""

from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from oms_daemon.config import DaemonConfig
from oms_daemon.core.events import Event
from oms_daemon.gateway import Gateway
from oms_daemon.metrics import Metrics, metrics_handler

__all__ = ["HttpHost", "build_app"]


class HttpHost(Gateway, Protocol):
    """What the HTTP layer needs from the daemon: the gateway, its config and metrics, and its event feed."""

    config: DaemonConfig
    metrics: Metrics

    def add_publisher(self, publish: Callable[[list[Event]], None]) -> None:
        """Also hand every step's events to ``publish`` (after the journal append)."""
        ...


def build_app(host: HttpHost) -> web.Application:
    """The HTTP application: /metrics."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(host.metrics))
    return app
