"""``GET /oms/ws``: a WebSocket stream of order, deal and position updates (for the ccxt pro driver).

Authenticate with the ``x-api-key`` header on the handshake. Then, client → server (JSON text):

- ``{"op": "subscribe", "channel": "orders" | "deals" | "positions", "account": ..., "strategy": ..., "id": ...}``
  (``account`` / ``strategy`` as in the REST API; answered ``{"type": "subscribed", ...}``)
- ``{"op": "unsubscribe", "channel": ..., "account": ..., "id": ...}`` (answered ``{"type": "unsubscribed"}``)
- ``{"op": "ping", "id": ...}`` (answered ``{"type": "pong"}``)

Server → client: ``{"type": "order" | "deal" | "position", "seq": n, "data": <view>}`` for every update
after the subscription (same views as the REST API), and ``{"type": "error", "id": ..., "error": {...}}``.
``seq`` increases by one per message of the daemon's stream. A client that falls more than
``QUEUE_LIMIT`` messages behind is closed (code 1013) rather than slowing the writer.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Literal

import msgspec
from aiohttp import WSMsgType, web

from oms_daemon import views
from oms_daemon.core.events import Event, FillBooked, OrderUpdated, PositionUpdated
from oms_daemon.core.state import OmsState
from oms_daemon.http_api.auth import Principal, principal_of
from oms_daemon.http_api.errors import ApiError, ErrorCode, ErrorDetail
from oms_daemon.http_api.routing import Route

__all__ = ["QUEUE_LIMIT", "WsHub", "WsMessage"]

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
"""Messages queued for one client before it is dropped as too slow."""

Channel = Literal["orders", "deals", "positions"]
_TYPE: dict[str, str] = {"orders": "order", "deals": "deal", "positions": "position"}


class _Op(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    op: Literal["subscribe", "unsubscribe", "ping"]
    channel: Channel | None = None
    account: str | None = None
    strategy: str | None = None
    id: str | int | None = None


class WsMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One stream message: ``type`` order / deal / position, ``seq`` and the view."""

    type: str
    seq: int
    data: Any


class _Ack(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: str
    id: str | int | None = None
    channel: str | None = None
    account: str | None = None
    strategy: str | None = None
    error: ErrorDetail | None = None


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(_Op).decode


class _Client:
    def __init__(self, ws: web.WebSocketResponse, principal: Principal) -> None:
        self.ws = ws
        self.principal = principal
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.subscriptions: dict[tuple[str, str], str | None] = {}
        """(channel, account) -> strategy filter (None: any)."""

    def wants(self, channel: str, account: str, strategy: str | None) -> bool:
        if (channel, account) not in self.subscriptions:
            return False
        wanted = self.subscriptions[(channel, account)]
        return wanted is None or strategy is None or strategy == wanted

    def put(self, payload: bytes | None) -> bool:
        if self.queue.qsize() >= QUEUE_LIMIT:
            return False
        self.queue.put_nowait(payload)
        return True


class WsHub:
    """Serves ``/oms/ws`` and fans the feed's events out to subscribed clients."""

    def __init__(self, state: Callable[[], OmsState]) -> None:
        self._state = state
        self._clients: set[_Client] = set()
        self._seq = 0

    def on_events(self, events: list[Event]) -> None:
        """Queue the stream messages of one step for every client subscribed to them (loop thread)."""
        if not self._clients:
            return
        state = self._state()
        for event in events:
            match event:
                case OrderUpdated(order=order):
                    item = ("orders", order.account_id, order.strategy_id, lambda o=order: views.order_view(o))
                case FillBooked(fill=fill):
                    item = ("deals", fill.account_id, fill.strategy_id, lambda f=fill: views.fill_view(f))
                case PositionUpdated(position=position):
                    item = ("positions", position.account_id, None, lambda p=position: views.position_view(state, p))
                case _:
                    continue
            channel, account, strategy, view = item
            targets = [c for c in self._clients if c.wants(channel, account, strategy)]
            if not targets:
                continue
            self._seq += 1
            payload = _encode(WsMessage(type=_TYPE[channel], seq=self._seq, data=view()))
            for client in targets:
                if not client.put(payload):
                    log.warning("websocket client too slow: dropped")
                    self._clients.discard(client)
                    client.queue.put_nowait(None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Upgrade, authenticate, then serve subscriptions until either side closes."""
        principal = principal_of(request)
        ws = web.WebSocketResponse(heartbeat=20.0)
        if not ws.can_prepare(request).ok:
            raise ApiError(400, ErrorCode.VALIDATION_ERROR, "this endpoint speaks WebSocket only (send an upgrade)")
        await ws.prepare(request)
        client = _Client(ws, principal)
        self._clients.add(client)
        sender = asyncio.ensure_future(self._send(client))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(client, message.data)
                elif message.type == WSMsgType.BINARY:
                    self._error(client, None, "send JSON text frames")
        finally:
            self._clients.discard(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return ws

    async def _send(self, client: _Client) -> None:
        while True:
            payload = await client.queue.get()
            if payload is None:
                await client.ws.close(code=1013, message=b"too slow")
                return
            try:
                await client.ws.send_str(payload.decode())
            except (ConnectionError, RuntimeError):
                return

    async def _on_text(self, client: _Client, text: str) -> None:
        try:
            op = _decode(text)
        except (msgspec.ValidationError, msgspec.DecodeError) as err:
            self._error(client, None, str(err))
            return
        if op.op == "ping":
            client.put(_encode(_Ack(type="pong", id=op.id)))
            return
        if op.channel is None:
            self._error(client, op.id, "channel is required - at `$.channel`")
            return
        try:
            account = client.principal.account(op.account)
            strategy = None if op.channel == "positions" and op.strategy is None else op.strategy
            if op.channel != "positions" or strategy is not None:
                strategy = client.principal.strategy_filter(strategy)
        except ApiError as error:
            client.put(_encode(_Ack(type="error", id=op.id, error=error.body.error)))
            return
        key = (op.channel, account)
        if op.op == "subscribe":
            client.subscriptions[key] = strategy
        else:
            client.subscriptions.pop(key, None)
        ack = "subscribed" if op.op == "subscribe" else "unsubscribed"
        client.put(_encode(_Ack(type=ack, id=op.id, channel=op.channel, account=account, strategy=strategy)))

    def _error(self, client: _Client, op_id: str | int | None, message: str) -> None:
        detail = ErrorDetail(code=ErrorCode.VALIDATION_ERROR, message=message)
        client.put(_encode(_Ack(type="error", id=op_id, error=detail)))

    async def close(self) -> None:
        """Close every client (on shutdown)."""
        for client in list(self._clients):
            await client.ws.close(code=1001, message=b"omsd stopping")
        self._clients.clear()

    def route(self) -> Route:
        """The route serving this hub."""
        return Route(
            "GET",
            "/oms/ws",
            self.handle,
            "WebSocket stream of order, deal and position updates (subscribe per channel and account)",
            errors=(400, 401, 429),
            status=101,
        )
