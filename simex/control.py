"""The control API (its own port): the exchange's truth, book moves, faults, stream drops and outages.

Tests read what really happened here (orders by client id, fills, balances, request counts) and
switch faults at run time. JSON in and out; decimals as strings.
"""

from decimal import Decimal
from typing import Any, Protocol

import msgspec
from aiohttp import web

from simex.engine import Exchange
from simex.faults import FaultBoard, Rule
from simex.orders import order_json, trade_json

__all__ = ["ControlApi", "Outages"]


class Outages(Protocol):
    """What the control API needs from the server: outages, stream drops, counters."""

    async def outage(self) -> None:
        """Stop listening and drop every connection."""
        ...

    async def resume(self) -> None:
        """Listen again."""
        ...

    async def close_user_streams(self) -> int:
        """Drop every WS API connection; how many there were."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters of every part."""
        ...


class _Book(msgspec.Struct, frozen=True):
    symbol: str
    bids: list[tuple[Decimal, Decimal]] = []
    asks: list[tuple[Decimal, Decimal]] = []
    last: Decimal | None = None


class _Faults(msgspec.Struct, frozen=True):
    rules: list[Rule]


def _ok(body: Any = None) -> web.Response:
    return web.json_response(body if body is not None else {"ok": True})


class ControlApi:
    """Routes under ``/`` of the control port."""

    def __init__(self, exchange: Exchange, faults: FaultBoard, server: Outages) -> None:
        self.exchange = exchange
        self.faults = faults
        self.server = server

    def routes(self) -> list[web.RouteDef]:
        """Every control endpoint."""
        return [
            web.get("/health", self.health),
            web.get("/orders", self.orders),
            web.get("/trades", self.trades),
            web.get("/balances", self.balances),
            web.get("/stats", self.stats),
            web.post("/book", self.book),
            web.get("/faults", self.get_faults),
            web.post("/faults", self.add_faults),
            web.delete("/faults", self.clear_faults),
            web.post("/streams/close", self.close_streams),
            web.post("/outage", self.outage),
            web.post("/resume", self.resume),
        ]

    async def health(self, request: web.Request) -> web.Response:
        """``GET /health``."""
        return _ok({"ok": True})

    async def orders(self, request: web.Request) -> web.Response:
        """``GET /orders?api_key=&client_order_id=&symbol=``: every order ever accepted, with its trade ids."""
        query = request.query
        found = [
            order_json(o) | {"apiKey": o.api_key, "tradeIds": [t.trade_id for t in o.fills]}
            for o in self.exchange.orders.values()
            if query.get("api_key") in (None, o.api_key)
            and query.get("client_order_id") in (None, o.client_order_id)
            and query.get("symbol") in (None, o.symbol)
        ]
        return _ok(found)

    async def trades(self, request: web.Request) -> web.Response:
        """``GET /trades?api_key=&client_order_id=``: every execution."""
        query = request.query
        found = [
            trade_json(t) | {"apiKey": t.api_key, "clientOrderId": t.client_order_id}
            for t in self.exchange.trades
            if query.get("api_key") in (None, t.api_key) and query.get("client_order_id") in (None, t.client_order_id)
        ]
        return _ok(found)

    async def balances(self, request: web.Request) -> web.Response:
        """``GET /balances?api_key=``: asset -> {free, locked}."""
        api_key = request.query.get("api_key") or next(iter(self.exchange.wallets))
        rows = self.exchange.balance_rows(api_key)
        return _ok({a: {"free": str(free), "locked": str(locked)} for a, free, locked in rows})

    async def stats(self, request: web.Request) -> web.Response:
        """``GET /stats``: request counts, replies per status, faults served, stream counters."""
        return _ok(self.server.stats())

    async def book(self, request: web.Request) -> web.Response:
        """``POST /book {"symbol", "bids": [[p, q]], "asks": [[p, q]], "last"?}``: resting and stop orders react."""
        book = msgspec.json.decode(await request.read(), type=_Book)
        self.exchange.set_book(book.symbol, book.bids, book.asks, book.last)
        return _ok()

    async def get_faults(self, request: web.Request) -> web.Response:
        """``GET /faults``: the armed rules."""
        return _ok(self.faults.active())

    async def add_faults(self, request: web.Request) -> web.Response:
        """``POST /faults {"rules": [...]}``: arm rules (see ``simex.faults``)."""
        self.faults.add(msgspec.json.decode(await request.read(), type=_Faults).rules)
        return _ok(self.faults.active())

    async def clear_faults(self, request: web.Request) -> web.Response:
        """``DELETE /faults``: disarm every rule and lift rate limits and bans."""
        self.faults.clear()
        return _ok()

    async def close_streams(self, request: web.Request) -> web.Response:
        """``POST /streams/close``: drop every WS API connection (the client sees an abnormal close)."""
        return _ok({"closed": await self.server.close_user_streams()})

    async def outage(self, request: web.Request) -> web.Response:
        """``POST /outage``: stop listening and drop every connection (state is kept)."""
        await self.server.outage()
        return _ok()

    async def resume(self, request: web.Request) -> web.Response:
        """``POST /resume``: listen again on the same port."""
        await self.server.resume()
        return _ok()
