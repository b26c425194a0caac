"""Binance spot REST (``/api/v3``) over the engine, with the fault middleware in front of it."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from simex.auth import check_rest
from simex.engine import Exchange
from simex.errors import BinanceError
from simex.faults import FaultBoard, Rule
from simex.orders import SimOrder, fmt, order_json, trade_json
from simex.params import integer, new_order, required

__all__ = ["RestApi"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
_HTTP_REASONS = {
    429: (-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE."),
    418: (-1003, "Way too much request weight used; IP banned until now. Please use WebSocket Streams."),
}
_5XX_BODY = (-1001, "Internal error; unable to process your request. Please try again.")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


class RestApi:
    """The ``/api/v3`` routes; ``stats`` counts requests per route and replies per status."""

    def __init__(self, exchange: Exchange, faults: FaultBoard) -> None:
        self.exchange = exchange
        self.faults = faults
        self.stats: Counter[str] = Counter()

    def routes(self) -> list[web.RouteDef]:
        """Every endpoint the simulated exchange serves."""
        return [
            web.get("/api/v3/ping", self.ping),
            web.get("/api/v3/time", self.time),
            web.get("/api/v3/exchangeInfo", self.exchange_info),
            web.get("/api/v3/ticker/bookTicker", self.book_ticker),
            web.get("/api/v3/depth", self.depth),
            web.post("/api/v3/order", self.post_order),
            web.get("/api/v3/order", self.get_order),
            web.delete("/api/v3/order", self.delete_order),
            web.post("/api/v3/order/cancelReplace", self.cancel_replace),
            web.get("/api/v3/openOrders", self.open_orders),
            web.get("/api/v3/allOrders", self.all_orders),
            web.get("/api/v3/account", self.account),
            web.get("/api/v3/myTrades", self.my_trades),
        ]

    # --- middleware: faults and error replies -------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request, apply a REST fault if one matches, render ``BinanceError`` as Binance does.

        ``stats["in_flight"]`` counts the requests being handled (held by a fault, say), even for a gone client."""
        self.stats[f"{request.method} {request.path}"] += 1
        self.stats["in_flight"] += 1
        try:
            return await self._faulted(request, handler)
        finally:
            self.stats["in_flight"] -= 1

    async def _faulted(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        rule = self.faults.rest(request.method, request.path, request.headers.get("X-MBX-APIKEY"))
        if rule is not None and rule.kind == "http_error":
            return self._count(self._http_error(rule))
        if rule is not None and rule.kind in ("stall", "blackhole"):
            await asyncio.sleep(rule.seconds)
            if rule.kind == "blackhole":
                return self._drop(request)
        response = await self._handle(request, handler)
        if rule is not None and rule.kind == "accept_then_timeout":
            await asyncio.sleep(rule.seconds)
        if rule is not None and rule.kind == "reset":
            return self._drop(request)
        return self._count(response)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        """Abort the connection: the client sees it reset, without a reply."""
        self.stats["dropped"] += 1
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BinanceError as error:
            body: dict[str, Any] = error.body()
            data = _replace_data(error)
            if data is not None:
                body["data"] = data
            return _json(body, status=error.status)

    def _count(self, response: web.StreamResponse) -> web.StreamResponse:
        self.stats[f"status {response.status}"] += 1
        return response

    @staticmethod
    def _http_error(rule: Rule) -> web.Response:
        code, msg = _HTTP_REASONS.get(rule.status, _5XX_BODY)
        headers = {"Retry-After": str(rule.retry_after)} if rule.status in (418, 429) else None
        return _json({"code": code, "msg": msg}, status=rule.status, headers=headers)

    async def _signed(self, request: web.Request) -> tuple[str, dict[str, str]]:
        body = await request.text() if request.can_read_body else ""
        return check_rest(
            request.headers.get("X-MBX-APIKEY"),
            request.query_string,
            body,
            self.exchange.secrets,
            self.exchange.clock(),
            self.exchange.config,
        )

    # --- public ---------------------------------------------------------------------------------------------

    async def ping(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ping``."""
        return _json({})

    async def time(self, request: web.Request) -> web.Response:
        """``GET /api/v3/time``."""
        return _json({"serverTime": self.exchange.clock()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        """``GET /api/v3/exchangeInfo``: every symbol with its PRICE_FILTER, LOT_SIZE and NOTIONAL filters."""
        symbols = []
        for s in self.exchange.symbols.values():
            symbols.append(
                {
                    "symbol": s.symbol,
                    "status": "TRADING",
                    "baseAsset": s.base,
                    "baseAssetPrecision": 8,
                    "quoteAsset": s.quote,
                    "quotePrecision": 8,
                    "quoteAssetPrecision": 8,
                    "baseCommissionPrecision": 8,
                    "quoteCommissionPrecision": 8,
                    "orderTypes": _ORDER_TYPES,
                    "icebergAllowed": False,
                    "ocoAllowed": False,
                    "quoteOrderQtyMarketAllowed": False,
                    "allowTrailingStop": False,
                    "cancelReplaceAllowed": True,
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "filters": [
                        {
                            "filterType": "PRICE_FILTER",
                            "minPrice": fmt(s.min_price),
                            "maxPrice": fmt(s.max_price),
                            "tickSize": fmt(s.tick_size),
                        },
                        {
                            "filterType": "LOT_SIZE",
                            "minQty": fmt(s.min_qty),
                            "maxQty": fmt(s.max_qty),
                            "stepSize": fmt(s.step_size),
                        },
                        {
                            "filterType": "NOTIONAL",
                            "minNotional": fmt(s.min_notional),
                            "applyMinToMarket": True,
                            "maxNotional": fmt(Decimal("9000000")),
                            "applyMaxToMarket": False,
                            "avgPriceMins": 5,
                        },
                    ],
                    "permissions": [],
                    "permissionSets": [["SPOT"]],
                    "defaultSelfTradePreventionMode": "NONE",
                    "allowedSelfTradePreventionModes": ["NONE"],
                }
            )
        return _json(
            {
                "timezone": "UTC",
                "serverTime": self.exchange.clock(),
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                ],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    async def book_ticker(self, request: web.Request) -> web.Response:
        """``GET /api/v3/ticker/bookTicker?symbol=``."""
        symbol = required(request.query, "symbol")
        bid, ask = self.exchange.touch(symbol)
        return _json(
            {
                "symbol": symbol,
                "bidPrice": fmt(bid[0] if bid else None),
                "bidQty": fmt(bid[1] if bid else None),
                "askPrice": fmt(ask[0] if ask else None),
                "askQty": fmt(ask[1] if ask else None),
            }
        )

    async def depth(self, request: web.Request) -> web.Response:
        """``GET /api/v3/depth?symbol=&limit=``."""
        symbol = required(request.query, "symbol")
        self.exchange.touch(symbol)
        book = self.exchange.books[symbol]
        limit = integer(request.query, "limit") or 100
        return _json(
            {
                "lastUpdateId": self.exchange.clock(),
                "bids": [[fmt(p), fmt(q)] for p, q in book.bids[:limit]],
                "asks": [[fmt(p), fmt(q)] for p, q in book.asks[:limit]],
            }
        )

    # --- trading ---------------------------------------------------------------------------------------------

    async def post_order(self, request: web.Request) -> web.Response:
        """``POST /api/v3/order``: place a new order."""
        api_key, params = await self._signed(request)
        parsed = new_order(params)
        order = self.exchange.new_order(api_key, parsed)
        return _json(order_json(order, parsed.response_type, self.exchange.clock()))

    async def get_order(self, request: web.Request) -> web.Response:
        """``GET /api/v3/order``: one order by ``orderId`` or ``origClientOrderId``."""
        api_key, params = await self._signed(request)
        order = self.exchange.find(
            api_key, required(params, "symbol"), integer(params, "orderId"), params.get("origClientOrderId")
        )
        return _json(order_json(order))

    async def delete_order(self, request: web.Request) -> web.Response:
        """``DELETE /api/v3/order``: cancel by ``orderId`` or ``origClientOrderId``."""
        api_key, params = await self._signed(request)
        order = self.exchange.cancel(
            api_key,
            required(params, "symbol"),
            integer(params, "orderId"),
            params.get("origClientOrderId"),
            params.get("newClientOrderId"),
        )
        return _json(_cancel_json(order, self.exchange.clock()))

    async def cancel_replace(self, request: web.Request) -> web.Response:
        """``POST /api/v3/order/cancelReplace`` (both modes act as STOP_ON_FAILURE)."""
        api_key, params = await self._signed(request)
        required(params, "cancelReplaceMode")
        parsed = new_order(params)
        canceled, placed = self.exchange.cancel_replace(
            api_key,
            parsed.symbol,
            integer(params, "cancelOrderId"),
            params.get("cancelOrigClientOrderId"),
            params.get("cancelNewClientOrderId"),
            parsed,
        )
        now = self.exchange.clock()
        return _json(
            {
                "cancelResult": "SUCCESS",
                "newOrderResult": "SUCCESS",
                "cancelResponse": _cancel_json(canceled, now),
                "newOrderResponse": order_json(placed, parsed.response_type, now),
            }
        )

    async def open_orders(self, request: web.Request) -> web.Response:
        """``GET /api/v3/openOrders`` (of one symbol or all)."""
        api_key, params = await self._signed(request)
        return _json([order_json(o) for o in self.exchange.open_orders(api_key, params.get("symbol") or None)])

    async def all_orders(self, request: web.Request) -> web.Response:
        """``GET /api/v3/allOrders?symbol=`` with ``orderId`` / ``startTime`` / ``endTime`` / ``limit``."""
        api_key, params = await self._signed(request)
        symbol = required(params, "symbol")
        self.exchange.touch(symbol)
        first, start, end = integer(params, "orderId"), integer(params, "startTime"), integer(params, "endTime")
        orders = [
            o
            for o in self.exchange.account_orders(api_key, symbol)
            if (first is None or o.order_id >= first)
            and (start is None or o.created_ms >= start)
            and (end is None or o.created_ms <= end)
        ]
        return _json([order_json(o) for o in _limited(orders, params, from_start=first is not None)])

    async def account(self, request: web.Request) -> web.Response:
        """``GET /api/v3/account``: commissions, permissions and balances."""
        api_key, _ = await self._signed(request)
        now = self.exchange.clock()
        return _json(
            {
                "makerCommission": int(self.exchange.config.maker_fee_bps),
                "takerCommission": int(self.exchange.config.taker_fee_bps),
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": now,
                "accountType": "SPOT",
                "balances": [
                    {"asset": a, "free": fmt(free), "locked": fmt(locked)}
                    for a, free, locked in self.exchange.balance_rows(api_key)
                ],
                "permissions": ["SPOT"],
                "uid": 1,
            }
        )

    async def my_trades(self, request: web.Request) -> web.Response:
        """``GET /api/v3/myTrades?symbol=`` with ``orderId`` / ``fromId`` / ``startTime`` / ``endTime`` / ``limit``."""
        api_key, params = await self._signed(request)
        symbol = required(params, "symbol")
        self.exchange.touch(symbol)
        order_id, from_id = integer(params, "orderId"), integer(params, "fromId")
        start, end = integer(params, "startTime"), integer(params, "endTime")
        trades = [
            t
            for t in self.exchange.account_trades(api_key, symbol)
            if (order_id is None or t.order_id == order_id)
            and (from_id is None or t.trade_id >= from_id)
            and (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
        ]
        return _json([trade_json(t) for t in _limited(trades, params, from_start=from_id is not None)])


def _limited(items: list[Any], params: dict[str, str], from_start: bool) -> list[Any]:
    """Binance's ``limit`` (default 500, at most 1000): the first ones from an id, else the most recent."""
    limit = min(integer(params, "limit") or 500, 1000)
    return items[:limit] if from_start else items[-limit:]


def _cancel_json(order: SimOrder, now: int) -> dict[str, Any]:
    body = order_json(order, "RESULT", now)
    body.pop("workingTime", None)
    return body | {"origClientOrderId": order.client_order_id, "clientOrderId": order.cancel_client_order_id}


def _replace_data(error: BinanceError) -> dict[str, Any] | None:
    """The ``data`` of a failed cancel-replace: both halves' outcomes, as Binance reports them."""
    cancel_error = getattr(error, "cancel_error", None)
    canceled = getattr(error, "canceled", None)
    new_error = getattr(error, "new_error", None)
    if cancel_error is None and canceled is None:
        return None
    return {
        "cancelResult": "FAILURE" if cancel_error is not None else "SUCCESS",
        "newOrderResult": "NOT_ATTEMPTED" if cancel_error is not None else "FAILURE",
        "cancelResponse": cancel_error.body() if cancel_error is not None else _cancel_json(canceled, 0),
        "newOrderResponse": new_error.body() if new_error is not None else None,
    }
