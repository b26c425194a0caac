"""Binance's WebSocket side: the WS API user data stream (``/ws-api/v3``) and market streams (``/ws``).

WS API: a connection sends ``{"id", "method", "params"}`` requests. ``userDataStream.subscribe.signature``
(signed like Binance: params sorted by name) answers ``{"id", "status": 200, "result":
{"subscriptionId": n}}``; from then on every user event of that key arrives as
``{"subscriptionId": n, "event": {...}}``. ``ping``, ``time`` and ``userDataStream.unsubscribe`` are
answered too; errors come back as ``{"id", "status", "error": {"code", "msg"}}``.

Market streams: ``{"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker"], "id": n}`` answers
``{"result": null, "id": n}``, then the touch of each subscribed symbol as a ``bookTicker`` message,
now and whenever the book changes.

User events pass through the fault board first (drop, duplicate, delay, reorder); each connection
has one writer task so events leave in the order they were queued.
"""

import asyncio
import contextlib
import json
from collections import Counter
from typing import Any

from aiohttp import WSMsgType, web

from simex.auth import check_ws
from simex.engine import Exchange
from simex.errors import BinanceError
from simex.faults import FaultBoard
from simex.orders import fmt

__all__ = ["MarketStreams", "UserStreams"]


class _Connection:
    """One WebSocket with an ordered outgoing queue and the subscriptions it holds."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.writer = asyncio.create_task(self._write())
        self.subscriptions: dict[int, str] = {}
        self.topics: set[str] = set()

    def send(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(json.dumps(message))

    async def _write(self) -> None:
        while True:
            text = await self.queue.get()
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, abort: bool) -> None:
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.writer
        if abort and self.transport is not None:
            self.transport.abort()
        else:
            await self.ws.close()


async def _serve(request: web.Request, connections: set[_Connection], on_message: Any) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=None, autoping=True)
    await ws.prepare(request)
    connection = _Connection(ws, request.transport)
    connections.add(connection)
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                payload = json.loads(message.data)
            except ValueError:
                continue
            if isinstance(payload, dict):
                on_message(connection, payload)
    finally:
        connections.discard(connection)
        connection.writer.cancel()
    return ws


class UserStreams:
    """The WS API endpoint and the fan-out of user events to subscribed connections."""

    def __init__(self, exchange: Exchange, faults: FaultBoard) -> None:
        self.exchange = exchange
        self.faults = faults
        self.connections: set[_Connection] = set()
        self.stats: Counter[str] = Counter()
        self._held: dict[str, list[dict[str, Any]]] = {}
        self._hold_target: dict[str, int] = {}
        exchange.listeners.append(self.publish)

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        """``GET /ws-api/v3`` (WebSocket upgrade)."""
        self.stats["connections"] += 1
        return await _serve(request, self.connections, self._request)

    def _request(self, connection: _Connection, payload: dict[str, Any]) -> None:
        request_id = payload.get("id")
        method = payload.get("method")
        params = payload.get("params") or {}
        self.stats[f"method {method}"] += 1
        try:
            if method == "userDataStream.subscribe.signature":
                api_key = check_ws(params, self.exchange.secrets, self.exchange.clock(), self.exchange.config)
                subscription = len(connection.subscriptions)
                connection.subscriptions[subscription] = api_key
                result: Any = {"subscriptionId": subscription}
            elif method == "userDataStream.unsubscribe":
                connection.subscriptions.pop(int(params.get("subscriptionId", -1)), None)
                result = {}
            elif method == "ping":
                result = {}
            elif method == "time":
                result = {"serverTime": self.exchange.clock()}
            else:
                raise BinanceError(-1020, "This operation is not supported.")
        except BinanceError as error:
            connection.send({"id": request_id, "status": error.status, "error": error.body()})
            return
        connection.send({"id": request_id, "status": 200, "result": result})

    # --- user events ---------------------------------------------------------------------------------------

    def publish(self, api_key: str, event: dict[str, Any]) -> None:
        """Engine listener: pass one user event through the fault board to the key's subscribers."""
        held = self._held.get(api_key)
        if held is not None:
            held.append(event)
            if len(held) >= self._hold_target[api_key]:
                self._release(api_key)
            return
        rule = self.faults.stream(api_key, event)
        kind = rule.kind if rule is not None else None
        if kind is not None:
            self.stats[f"fault {kind}"] += 1
        if kind == "drop":
            return
        if kind == "delay":
            assert rule is not None
            asyncio.get_running_loop().call_later(rule.seconds, self._deliver, api_key, event)
            return
        if kind == "reorder":
            assert rule is not None
            self._held[api_key] = [event]
            self._hold_target[api_key] = max(rule.window, 2)
            asyncio.get_running_loop().call_later(max(rule.seconds, 1.0), self._release, api_key)
            return
        self._deliver(api_key, event)
        if kind == "duplicate":
            self._deliver(api_key, event)

    def _release(self, api_key: str) -> None:
        for event in reversed(self._held.pop(api_key, [])):
            self._deliver(api_key, event)

    def _deliver(self, api_key: str, event: dict[str, Any]) -> None:
        self.stats[f"sent {event.get('e')}"] += 1
        for connection in list(self.connections):
            for subscription, key in connection.subscriptions.items():
                if key == api_key:
                    connection.send({"subscriptionId": subscription, "event": event})

    async def close_all(self, abort: bool = True) -> int:
        """Close every WS API connection (``abort``: drop the TCP connection, the client sees 1006)."""
        connections = list(self.connections)
        self.connections.clear()
        for connection in connections:
            await connection.close(abort)
        return len(connections)


class MarketStreams:
    """``/ws`` market streams: ``<symbol>@bookTicker`` subscriptions."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.connections: set[_Connection] = set()
        self._update = 0
        exchange.book_listeners.append(self.on_book)

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        """``GET /ws`` or ``/ws/{stream}`` (WebSocket upgrade)."""
        return await _serve(request, self.connections, self._request)

    def _request(self, connection: _Connection, payload: dict[str, Any]) -> None:
        method = payload.get("method")
        topics = [str(t) for t in payload.get("params") or []]
        if method == "SUBSCRIBE":
            connection.topics.update(topics)
        elif method == "UNSUBSCRIBE":
            connection.topics.difference_update(topics)
        connection.send({"result": None, "id": payload.get("id")})
        for topic in topics if method == "SUBSCRIBE" else []:
            symbol, _, channel = topic.partition("@")
            if channel == "bookTicker" and symbol.upper() in self.exchange.symbols:
                connection.send(self._ticker(symbol.upper()))

    def on_book(self, symbol: str) -> None:
        """Engine listener: the book of ``symbol`` changed."""
        topic = f"{symbol.lower()}@bookTicker"
        message = self._ticker(symbol)
        for connection in list(self.connections):
            if topic in connection.topics:
                connection.send(message)

    def _ticker(self, symbol: str) -> dict[str, Any]:
        self._update += 1
        bid, ask = self.exchange.touch(symbol)
        return {
            "u": self._update,
            "s": symbol,
            "b": fmt(bid[0] if bid else None),
            "B": fmt(bid[1] if bid else None),
            "a": fmt(ask[0] if ask else None),
            "A": fmt(ask[1] if ask else None),
        }

    async def close_all(self) -> None:
        """Close every market stream connection."""
        connections = list(self.connections)
        self.connections.clear()
        for connection in connections:
            await connection.close(abort=True)
