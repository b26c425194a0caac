"""What the sync, async and pro drivers share: ``describe``, endpoints, ``sign``, ``handle_errors`` and the
flows of every unified method (request building and parsing; see ``flows``).

Configuration (seed 004): ``apiKey`` (sent as ``x-api-key``), ``options.account_id`` (required),
``options.strategy_id`` (default strategy; ``params.strategy_id`` overrides it per call) and
``hostname`` (``host:port`` of omsd's HTTP API, default ``127.0.0.1:8080``).
"""

from typing import Any

from ccxt.base.decimal_to_precision import TICK_SIZE
from ccxt.base.errors import ArgumentsRequired, BaseError, NetworkError, RateLimitExceeded
from ccxt.base.types import Entry

from ccxt_driver.errors import exception_for
from ccxt_driver.flows import LOAD_MARKETS, Flow
from ccxt_driver.mappers import OmsMappers

__all__ = ["OmsBase", "OmsEndpoints"]

_SAFE = {"cost": 1, "safe": True}
_WRITE = {"cost": 1}
Dict = dict[str, Any]


class OmsEndpoints:
    """omsd's HTTP endpoints as ccxt implicit-API methods (``safe`` ones are reads: retried with backoff)."""

    private_post_oms_commands = privatePostOmsCommands = Entry("oms/commands", ["private"], "POST", _WRITE)
    private_get_oms_orders_ids = privateGetOmsOrdersIds = Entry("oms/orders/{ids}", ["private"], "GET", _SAFE)
    private_get_oms_orders_open = privateGetOmsOrdersOpen = Entry("oms/orders/open", ["private"], "GET", _SAFE)
    private_get_oms_orders_history = privateGetOmsOrdersHistory = Entry("oms/orders/history", ["private"], "GET", _SAFE)
    private_get_oms_deals = privateGetOmsDeals = Entry("oms/deals", ["private"], "GET", _SAFE)
    private_get_oms_deals_ids = privateGetOmsDealsIds = Entry("oms/deals/{ids}", ["private"], "GET", _SAFE)
    private_get_oms_positions_open = privateGetOmsPositionsOpen = Entry("oms/positions/open", ["private"], "GET", _SAFE)
    private_get_oms_positions_history = privateGetOmsPositionsHistory = Entry(
        "oms/positions/history", ["private"], "GET", _SAFE
    )
    private_get_oms_positions_ids = privateGetOmsPositionsIds = Entry("oms/positions/{ids}", ["private"], "GET", _SAFE)
    private_get_oms_markets = privateGetOmsMarkets = Entry("oms/markets", ["private"], "GET", _SAFE)
    private_post_ccxt_core_account_id_fetch_balance = privatePostCcxtCoreAccountIdFetchBalance = Entry(
        "ccxt/core/{account_id}/fetch_balance", ["private"], "POST", _SAFE
    )
    private_post_ccxt_account_id_fetch_ticker = privatePostCcxtAccountIdFetchTicker = Entry(
        "ccxt/{account_id}/fetch_ticker", ["private"], "POST", _SAFE
    )


class OmsBase(OmsMappers, OmsEndpoints):
    """The driver's shared half; combine with a ccxt ``Exchange`` (sync or async_support)."""

    def describe(self: Any) -> Any:
        """ccxt metadata: capabilities, URLs, credentials, defaults (timeouts, retries, ticker cache)."""
        return self.deep_extend(
            super().describe(),  # type: ignore[misc]
            {
                "id": "omsd",
                "name": "omsd",
                "countries": [],
                "version": "v1",
                "pro": True,
                "enableRateLimit": False,
                "rateLimit": 0,
                "timeout": 10000,
                "hostname": "127.0.0.1:8080",
                "urls": {
                    "api": {"rest": "http://{hostname}", "ws": "ws://{hostname}/oms/ws"},
                    "www": "http://{hostname}/openapi.json",
                    "doc": ["http://{hostname}/openapi.json"],
                },
                "requiredCredentials": {"apiKey": True, "secret": False},
                "precisionMode": TICK_SIZE,
                "has": {
                    "CORS": None,
                    "spot": True,
                    "margin": True,
                    "swap": False,
                    "future": False,
                    "option": False,
                    "cancelOrder": True,
                    "createOrder": True,
                    "editOrder": True,
                    "fetchBalance": True,
                    "fetchClosedOrders": True,
                    "fetchMarkets": True,
                    "fetchMyTrades": True,
                    "fetchOpenOrders": True,
                    "fetchOrder": True,
                    "fetchOrdersByIds": True,
                    "fetchPositions": True,
                    "fetchTicker": True,
                    "fetchCurrencies": False,
                },
                "options": {
                    "account_id": None,
                    "strategy_id": None,
                    "tickerCacheMs": 250,
                    "waitForVenue": True,
                    "maxRetries": 3,
                    "retryDelayMs": 100,
                },
            },
        )

    # --- transport ---------------------------------------------------------------------------------------

    def sign(
        self: Any,
        path: str,
        api: Any = "private",
        method: str = "GET",
        params: Dict | None = None,
        headers: Any = None,
        body: Any = None,
    ) -> Dict:
        """The URL, headers (``x-api-key``) and JSON body of one call."""
        params = params or {}
        self.check_required_credentials()
        url = self.implode_hostname(self.urls["api"]["rest"]) + "/" + self.implode_params(path, params)
        query = self.omit(params, self.extract_params(path))
        headers = {"x-api-key": self.apiKey}
        if method == "GET":
            if query:
                url += "?" + self.urlencode({k: _text(v) for k, v in query.items() if v is not None})
        else:
            body = self.json(query)
            headers["Content-Type"] = "application/json"
        return {"url": url, "method": method, "body": body, "headers": headers}

    def handle_errors(
        self: Any,
        code: int,
        reason: str,
        url: str,
        method: str,
        headers: Any,
        body: str,
        response: Any,
        request_headers: Any,
        request_body: Any,
    ) -> None:
        """Raise the ccxt exception for an omsd error body (``{"error": {"code", "reason", ...}}``)."""
        error = response.get("error") if isinstance(response, dict) else None
        if not isinstance(error, dict):
            return None
        kind = exception_for(error.get("code"), error.get("reason"))
        reason = f" ({error['reason']})" if error.get("reason") else ""
        details = f" {self.json(error['details'])}" if error.get("details") else ""
        raise kind(f"{self.id} {error.get('code')}{reason}: {error.get('message')}{details}")

    def retry_delay_ms(self: Any, attempt: int, error: BaseError) -> float:
        """Backoff before retry ``attempt`` (1, 2, …) of a read: doubling from ``retryDelayMs``."""
        delay = float(self.options["retryDelayMs"]) * 2 ** (attempt - 1)
        return max(delay, 1000.0) if isinstance(error, RateLimitExceeded) else delay

    def retries_for(self: Any, config: Dict) -> int:
        """How many times a failed call may be retried: ``maxRetries`` for safe (read) endpoints, else none."""
        return int(self.options["maxRetries"]) if config.get("safe") else 0

    @staticmethod
    def retryable(error: Exception) -> bool:
        """Network-level failures (timeouts, unavailability, rate limits) are retried; refusals never."""
        return isinstance(error, NetworkError)

    # --- scope -----------------------------------------------------------------------------------------

    def account_id(self: Any) -> str:
        """``options.account_id`` (required)."""
        account = self.options.get("account_id")
        if not account:
            raise ArgumentsRequired(self.id + " requires options['account_id']")
        return account

    def command(self: Any, name: str, params: Dict) -> tuple[Dict, Dict]:
        """The start of a ``/oms/commands`` body (command, account, strategy, ``wait``) and the other params."""
        scope, params = self.scope(params)
        wait = self.safe_bool(params, "wait", self.options["waitForVenue"])
        return {"command": name, **scope, "wait": wait}, self.omit(params, "wait")

    def scope(self: Any, params: Dict) -> tuple[Dict, Dict]:
        """``{"account", "strategy"}`` for a call (``params.strategy_id`` over ``options.strategy_id``) and the rest."""
        strategy = self.safe_string(params, "strategy_id", self.options.get("strategy_id"))
        return {"account": self.account_id(), "strategy": strategy}, self.omit(params, "strategy_id")

    def _listing(self: Any, request: Dict, symbol: str | None, since: int | None, limit: int | None) -> Dict:
        if symbol is not None:
            request["symbol"] = self.market(symbol)["id"]
        if since is not None:
            request["since"] = since * 1_000_000
        if limit is not None:
            request["limit"] = min(limit, 1000)
            request["newest_first"] = since is None  # the latest ``limit`` items, returned oldest first
        return request

    def _items(self: Any, response: Dict, request: Dict) -> list[Dict]:
        items = response["items"]
        return list(reversed(items)) if request.get("newest_first") else items

    def request_flow(
        self: Any, path: str, api: Any = "private", method: str = "GET", params: Any = None, config: Any = None
    ) -> Flow[Any]:
        """One call (``fetch2``); reads are retried with backoff on network-level failures."""
        config = config or {}
        retries = self.retries_for(config)
        attempt = 0
        while True:
            try:
                return (yield ("fetch2", (path, api, method, params or {}, config)))
            except Exception as error:
                attempt += 1
                if attempt > retries or not self.retryable(error):
                    raise
                yield ("sleep", (self.retry_delay_ms(attempt, error),))

    # --- flows ---------------------------------------------------------------------------------------------

    def fetch_markets_flow(self: Any, params: Dict | None = None) -> Flow[list[Dict]]:
        """Markets the account may trade (``GET /oms/markets``)."""
        response = yield ("privateGetOmsMarkets", (self.extend({"account": self.account_id()}, params or {}),))
        return [self.parse_market(m) for m in response]

    def create_order_flow(
        self: Any,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: Dict | None = None,
    ) -> Flow[Any]:
        """Place an order (``send_order``); params: ``triggerPrice``/``stopPrice``, ``timeInForce``,
        ``postOnly``, ``reduceOnly``, ``clientOrderId`` (the idempotency key), ``strategy_id``, ``wait``
        (default ``options.waitForVenue``: answer once the venue acknowledged, filled or rejected it)."""
        yield LOAD_MARKETS
        market = self.market(symbol)
        request, params = self.command("send_order", params or {})
        trigger = self.safe_string_2(params, "triggerPrice", "stopPrice")
        tif = self.safe_string_upper(params, "timeInForce")
        post_only = self.safe_bool(params, "postOnly", tif == "PO")
        request |= {
            "symbol": market["id"],
            "side": side.upper(),
            "quantity": self.amount_to_precision(symbol, amount),
            "order_type": ("STOP_LIMIT" if trigger else "LIMIT")
            if type == "limit"
            else ("STOP" if trigger else "MARKET"),
            "post_only": post_only,
            "reduce_only": self.safe_bool(params, "reduceOnly", False),
        }
        if type == "limit":
            if price is None:
                raise ArgumentsRequired(self.id + " create_order() requires a price for a limit order")
            request["price"] = self.price_to_precision(symbol, price)
        if trigger is not None:
            request["stop_price"] = self.price_to_precision(symbol, trigger)
        if tif in ("GTC", "IOC", "FOK", "DAY"):
            request["time_in_force"] = tif
        client_id = self.safe_string(params, "clientOrderId")
        if client_id is not None:
            request["idempotency_key"] = client_id
        params = self.omit(
            params, ["triggerPrice", "stopPrice", "timeInForce", "postOnly", "reduceOnly", "clientOrderId"]
        )
        response = yield ("privatePostOmsCommands", (self.extend(request, params),))
        return self.parse_order(response["order"], market)

    def edit_order_flow(
        self: Any,
        id: str,
        symbol: str,
        type: str | None = None,
        side: str | None = None,
        amount: float | None = None,
        price: float | None = None,
        params: Dict | None = None,
    ) -> Flow[Any]:
        """Change quantity and/or prices (``change_order``); the returned order is the replacement (new id)."""
        yield LOAD_MARKETS
        market = self.market(symbol)
        request, params = self.command("change_order", params or {})
        request["order_id"] = int(id)
        if amount is not None:
            request["quantity"] = self.amount_to_precision(symbol, amount)
        if price is not None:
            request["price"] = self.price_to_precision(symbol, price)
        trigger = self.safe_string_2(params, "triggerPrice", "stopPrice")
        if trigger is not None:
            request["stop_price"] = self.price_to_precision(symbol, trigger)
        params = self.omit(params, ["triggerPrice", "stopPrice"])
        response = yield ("privatePostOmsCommands", (self.extend(request, params),))
        return self.parse_order(response["order"], market)

    def cancel_order_flow(self: Any, id: str, symbol: str | None = None, params: Dict | None = None) -> Flow[Any]:
        """Cancel an order (``cancel_order``); with ``options.waitForVenue`` (default) it comes back canceled."""
        yield LOAD_MARKETS
        request, params = self.command("cancel_order", params or {})
        request["order_id"] = int(id)
        response = yield ("privatePostOmsCommands", (self.extend(request, params),))
        return self.parse_order(response["order"])

    def fetch_order_flow(self: Any, id: str, symbol: str | None = None, params: Dict | None = None) -> Flow[Any]:
        """One order by omsd id, open or finished."""
        orders = yield from self.fetch_orders_by_ids_flow([id], symbol, params)
        return orders[0]

    def fetch_orders_by_ids_flow(
        self: Any, ids: list[str], symbol: str | None = None, params: Dict | None = None
    ) -> Flow[list[Any]]:
        """Orders by omsd id, in one request (``GET /oms/orders/{ids}`` with CSV ids)."""
        yield LOAD_MARKETS
        response = yield ("privateGetOmsOrdersIds", (self.extend({"ids": ",".join(map(str, ids))}, params or {}),))
        return [self.parse_order(o) for o in response["items"]]

    def _list_flow(
        self: Any, endpoint: str, symbol: str | None, since: int | None, limit: int | None, params: Dict | None
    ) -> Flow[tuple[list[Dict], Any]]:
        """A listing's raw items (oldest first) and the market of ``symbol``."""
        yield LOAD_MARKETS
        scope, params = self.scope(params or {})
        request = self._listing(dict(scope), symbol, since, limit)
        response = yield (endpoint, (self.extend(request, params),))
        return self._items(response, request), self.market(symbol) if symbol is not None else None

    def fetch_open_orders_flow(
        self: Any,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Dict | None = None,
    ) -> Flow[list[Any]]:
        """Working orders of the account (and strategy, when one is configured or given)."""
        items, market = yield from self._list_flow("privateGetOmsOrdersOpen", symbol, since, limit, params)
        return self.parse_orders(items, market, since, limit)

    def fetch_closed_orders_flow(
        self: Any,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Dict | None = None,
    ) -> Flow[list[Any]]:
        """Finished orders; with ``limit`` and no ``since``, the latest ``limit`` of them."""
        items, market = yield from self._list_flow("privateGetOmsOrdersHistory", symbol, since, limit, params)
        return self.parse_orders(items, market, since, limit)

    def fetch_my_trades_flow(
        self: Any,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Dict | None = None,
    ) -> Flow[list[Any]]:
        """Deals (fills) of the account (and strategy); ``params.order_id`` narrows to one order."""
        items, market = yield from self._list_flow("privateGetOmsDeals", symbol, since, limit, params)
        return self.parse_trades(items, market, since, limit)

    def fetch_positions_flow(
        self: Any, symbols: list[str] | None = None, params: Dict | None = None
    ) -> Flow[list[Any]]:
        """Open positions of the account (``params.history`` true: closed ones); positions belong to the
        account, so only an explicit ``params.strategy_id`` narrows them."""
        yield LOAD_MARKETS
        params = dict(params or {})
        history = self.safe_bool(params, "history", False)
        request: Dict = {"account": self.account_id()}
        if "strategy_id" in params:
            request["strategy"] = params["strategy_id"]
        if symbols is not None and len(symbols) == 1:
            request["symbol"] = self.market(symbols[0])["id"]
        endpoint = "privateGetOmsPositionsHistory" if history else "privateGetOmsPositionsOpen"
        response = yield (endpoint, (self.extend(request, self.omit(params, ["history", "strategy_id"])),))
        return self.parse_positions(response["items"], symbols)

    def fetch_balance_flow(self: Any, params: Dict | None = None) -> Flow[Any]:
        """Balances as the OMS books them (``POST /ccxt/core/{account_id}/fetch_balance``)."""
        yield LOAD_MARKETS
        request = self.extend({"account_id": self.account_id()}, params or {})
        response = yield ("privatePostCcxtCoreAccountIdFetchBalance", (request,))
        return self.parse_balance(response)

    def fetch_ticker_flow(self: Any, symbol: str, params: Dict | None = None) -> Flow[Any]:
        """The last quote (``POST /ccxt/{account_id}/fetch_ticker``), cached ``options.tickerCacheMs``."""
        yield LOAD_MARKETS
        market = self.market(symbol)
        cache: dict[str, tuple[int, Any]] = self.__dict__.setdefault("_ticker_cache", {})
        fetched, ticker = cache.get(market["symbol"], (0, None))
        if ticker is not None and not params and self.milliseconds() - fetched < self.options["tickerCacheMs"]:
            return ticker
        request = self.extend({"account_id": self.account_id(), "symbol": market["id"]}, params or {})
        response = yield ("privatePostCcxtAccountIdFetchTicker", (request,))
        ticker = self.parse_ticker(response, market)
        cache[market["symbol"]] = (self.milliseconds(), ticker)
        return ticker


def _text(value: Any) -> Any:
    """Query values as omsd reads them (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
