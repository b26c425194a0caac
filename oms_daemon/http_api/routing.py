"""What every route module shares: the route table entry (served and documented from the same entry),
the services handlers reach through the app, and JSON responses encoded by msgspec.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from oms_daemon.core.state import OmsState
from oms_daemon.http_api.brackets import Brackets
from oms_daemon.http_api.commands import Writer
from oms_daemon.http_api.feed import EventFeed

__all__ = ["SERVICES", "Handler", "Route", "Services", "json_response", "services"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class Route:
    """One served operation and what the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    response: Any = None
    query: type | None = None
    body: Any = None
    errors: tuple[int, ...] = ()
    tag: str = "oms"
    path_params: dict[str, str] = field(default_factory=dict)
    """Path parameter name -> regex (also used in the aiohttp route)."""
    status: int = 200
    text: bool = False
    """The answer is plain text (``/metrics``), not JSON."""


@dataclass
class Services:
    """What handlers use: live state (read on the loop thread), the writer, the event feed, brackets."""

    state: Callable[[], OmsState]
    writer: Writer
    feed: EventFeed
    brackets: Brackets
    reply_timeout: float = 5.0


SERVICES: web.AppKey[Services] = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    """The services of the app serving ``request``."""
    return request.app[SERVICES]


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response encoded by msgspec (Decimals as strings, enums as values)."""
    return web.Response(body=_encode(value), status=status, content_type="application/json", headers=headers)
