"""The ccxt pro driver: the async driver plus ``watch_orders``, ``watch_my_trades``, ``watch_positions`` over
omsd's ``/oms/ws`` stream (authenticated with the same ``x-api-key``, scoped like the REST calls).

One connection per exchange instance; each channel is subscribed once (``subscribe`` waits for the
server's acknowledgement, so a strategy can subscribe before it trades and miss no update).
Updates are kept in ccxt's caches (``self.orders``, ``self.myTrades``, ``self.positions``).
"""

from typing import Any

from ccxt.async_support.base.ws.cache import ArrayCache, ArrayCacheBySymbolById
from ccxt.async_support.base.ws.client import Client

from ccxt_driver.async_support import omsd as omsd_async
from ccxt_driver.errors import exception_for

__all__ = ["CHANNELS", "omsd"]

CHANNELS = ("orders", "deals", "positions")
"""Stream channels of ``/oms/ws``."""

Dict = dict[str, Any]


class omsd(omsd_async):
    """omsd as a ccxt pro exchange."""

    def describe(self) -> Any:
        """The async driver's metadata plus the streams it watches."""
        return self.deep_extend(
            super().describe(),
            {"has": {"ws": True, "watchOrders": True, "watchMyTrades": True, "watchPositions": True}},
        )

    async def subscribe(self, channel: str, params: Dict | None = None) -> Dict:
        """Subscribe to ``channel`` (orders, deals, positions) once, and wait for omsd's acknowledgement."""
        acked: dict[str, Dict] = self.__dict__.setdefault("_acked", {})
        if channel in acked:
            return acked[channel]
        self.check_required_credentials()
        url = self.implode_hostname(self.urls["api"]["ws"])
        self.options["ws"] = self.deep_extend(self.options.get("ws", {}), {"headers": {"x-api-key": self.apiKey}})
        params = dict(params or {})
        strategy = self.safe_string(params, "strategy_id", self.options.get("strategy_id"))
        if channel == "positions":
            strategy = self.safe_string(params, "strategy_id")
        request = {"op": "subscribe", "channel": channel, "account": self.account_id(), "strategy": strategy}
        acked[channel] = await self.watch(url, "subscribed:" + channel, request, channel)
        return acked[channel]

    async def _watch(self, channel: str, symbol: str | None, params: Dict | None) -> Any:
        await self.load_markets()
        await self.subscribe(channel, params)
        url = self.implode_hostname(self.urls["api"]["ws"])
        message_hash = channel + (":" + self.market(symbol)["symbol"] if symbol is not None else "")
        return await self.watch(url, message_hash, None, channel)

    async def watch_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None, params: Dict | None = None
    ) -> list[Any]:
        """Order updates of the account (and strategy), as ccxt orders."""
        orders = await self._watch("orders", symbol, params)
        if self.newUpdates:
            limit = orders.getLimit(symbol, limit)
        return self.filter_by_symbol_since_limit(orders, symbol, since, limit, True)

    async def watch_my_trades(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None, params: Dict | None = None
    ) -> list[Any]:
        """New deals (fills) of the account (and strategy), as ccxt trades."""
        trades = await self._watch("deals", symbol, params)
        if self.newUpdates:
            limit = trades.getLimit(symbol, limit)
        return self.filter_by_symbol_since_limit(trades, symbol, since, limit, True)

    async def watch_positions(
        self,
        symbols: list[str] | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: Dict | None = None,
    ) -> list[Any]:
        """Position updates of the account (a closed position arrives once with zero contracts)."""
        symbol = symbols[0] if symbols and len(symbols) == 1 else None
        positions = await self._watch("positions", symbol, params)
        if self.newUpdates:
            limit = positions.getLimit(symbol, limit)
        return self.filter_by_symbols_since_limit(positions, symbols, since, limit, True)

    # --- incoming --------------------------------------------------------------------------------------------

    def handle_message(self, client: Client, message: Any) -> None:
        """Route one stream message: updates to their caches, acknowledgements and errors to their futures."""
        kind = self.safe_string(message, "type")
        if kind == "subscribed":
            client.resolve(message, "subscribed:" + message["channel"])
        elif kind == "error":
            error = message.get("error") or {}
            exception = exception_for(error.get("code"), error.get("reason"))
            client.reject(exception(f"{self.id} {error.get('code')}: {error.get('message')}"))

        elif kind == "order":
            self._store(client, "orders", "orders", self.parse_order(message["data"]))
        elif kind == "deal":
            self._store(client, "deals", "myTrades", self.parse_trade(message["data"]))
        elif kind == "position":
            self._store(client, "positions", "positions", self.parse_position(message["data"]))

    def _store(self, client: Client, channel: str, cache_name: str, item: Dict) -> None:
        cache = getattr(self, cache_name, None)
        if cache is None:
            limit = self.safe_integer(self.options, "ordersLimit" if channel == "orders" else "tradesLimit", 1000)
            cache = ArrayCache(limit) if channel == "deals" else ArrayCacheBySymbolById(limit)
            setattr(self, cache_name, cache)
        cache.append(item)
        client.resolve(cache, channel)
        client.resolve(cache, channel + ":" + item["symbol"])

    def on_close(self, client: Client, error: Any) -> None:
        """A closed connection must subscribe again on the next watch."""
        self.__dict__.get("_acked", {}).clear()
        super().on_close(client, error)

    def on_error(self, client: Client, error: Any) -> None:
        """A failed connection must subscribe again on the next watch."""
        self.__dict__.get("_acked", {}).clear()
        super().on_error(client, error)
