"""``Exchange``: the simulated exchange's matching engine, balances and order history (no IO).

Every command applies at once and returns what the REST reply needs; what the user stream must say
(``executionReport`` per change, then one ``outboundAccountPosition`` per account touched) goes to
the ``listeners`` in Binance's order when the command ends. Behaviour follows Binance spot:

- MARKET orders walk the book; what it cannot fill is EXPIRED. LIMIT GTC rests, IOC expires the
  remainder, FOK fills all or expires with no fill. LIMIT_MAKER that would cross is refused.
- STOP_LOSS(_LIMIT) / TAKE_PROFIT(_LIMIT) wait until the last price reaches the stop price, then act
  as MARKET / LIMIT; one that would trigger at once is refused.
- Resting orders fill at their own price (maker) when the book, set through the control API,
  crosses them. Commission is taken from the asset received.
- Buys lock quote, sells lock base while they work; short funds are refused with -2010.
- ``newClientOrderId`` must be unique among the account's open orders (``unique_client_ids``: among
  all its orders); a repeat is refused with -2010 "Duplicate order sent.".
"""

import time
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simex.book import Book, Level
from simex.config import SimexConfig, SimSymbol
from simex.errors import FILTER_FAILURE, REJECTED, BinanceError
from simex.orders import STOP_TYPES, NewOrder, SimOrder, SimTrade, execution_report, fmt
from simex.wallet import Wallet

__all__ = ["Exchange", "UserListener"]

ZERO = Decimal(0)
_BPS = Decimal("0.0001")
_EIGHT = Decimal("0.00000001")
_LIMIT_TYPES = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_MARKET_TYPES = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})

UserListener = Callable[[str, dict[str, Any]], None]
"""Called with (api key, user-stream event) for every event, in order."""


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Exchange:
    """Books, wallets, orders and trades of the simulated exchange; one call = one atomic command."""

    def __init__(self, config: SimexConfig, clock: Callable[[], int] = _wall_ms) -> None:
        self.config = config
        self.clock = clock
        self.symbols: dict[str, SimSymbol] = {s.symbol: s for s in config.symbols}
        self.books = {s.symbol: Book(s.bids, s.asks, s.replenish) for s in config.symbols}
        self.wallets = {a.api_key: Wallet(a.balances) for a in config.accounts}
        self.secrets = {a.api_key: a.secret for a in config.accounts}
        self.orders: dict[int, SimOrder] = {}
        self.trades: list[SimTrade] = []
        self.listeners: list[UserListener] = []
        self.book_listeners: list[Callable[[str], None]] = []
        self.stats: Counter[str] = Counter()
        self._by_client: dict[tuple[str, str], list[int]] = {}
        self._open: dict[str, dict[int, SimOrder]] = {s.symbol: {} for s in config.symbols}
        self._next_order = config.first_order_id
        self._next_trade = config.first_trade_id
        self._next_cid = 1
        self._outbox: list[tuple[str, dict[str, Any]]] = []
        self._touched: dict[str, set[str]] = {}

    # --- commands -----------------------------------------------------------------------------------

    def new_order(self, api_key: str, request: NewOrder) -> SimOrder:
        """Validate, accept and match a new order; raises ``BinanceError`` when refused (nothing changes then)."""
        try:
            return self._new_order(api_key, request, self.clock())
        finally:
            self._flush()

    def cancel(
        self,
        api_key: str,
        symbol: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        new_client_order_id: str | None = None,
    ) -> SimOrder:
        """Cancel an open order; -2011 "Unknown order sent." when there is none."""
        try:
            return self._cancel(api_key, symbol, order_id, orig_client_order_id, new_client_order_id, self.clock())
        finally:
            self._flush()

    def cancel_replace(
        self,
        api_key: str,
        symbol: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        cancel_client_order_id: str | None,
        request: NewOrder,
    ) -> tuple[SimOrder, SimOrder]:
        """Cancel then place (mode STOP_ON_FAILURE); a failed half raises with Binance's -2022 / -2021 body."""
        now = self.clock()
        try:
            try:
                canceled = self._cancel(api_key, symbol, order_id, orig_client_order_id, cancel_client_order_id, now)
            except BinanceError as error:
                raise _ReplaceFailed(-2022, "Order cancel-replace failed.", 400, error, None, None) from None
            try:
                placed = self._new_order(api_key, request, now)
            except BinanceError as error:
                raise _ReplaceFailed(
                    -2021, "Order cancel-replace partially failed.", 409, None, canceled, error
                ) from None
            return canceled, placed
        finally:
            self._flush()

    def set_book(self, symbol: str, bids: Sequence[Level], asks: Sequence[Level], last: Decimal | None = None) -> None:
        """Replace a symbol's book; resting and stop orders it crosses trade now."""
        book = self._book(symbol)
        book.set(bids, asks, last)
        try:
            self._after_move(symbol, self.clock())
        finally:
            self._flush()
        for listener in self.book_listeners:
            listener(symbol)

    # --- queries ------------------------------------------------------------------------------------

    def find(self, api_key: str, symbol: str, order_id: int | None, orig_client_order_id: str | None) -> SimOrder:
        """The order by id or by client id (the newest with it); -2013 "Order does not exist." otherwise."""
        self._book(symbol)
        order = self._lookup(api_key, symbol, order_id, orig_client_order_id)
        if order is None:
            raise BinanceError(-2013, "Order does not exist.")
        return order

    def open_orders(self, api_key: str, symbol: str | None = None) -> list[SimOrder]:
        """Open orders of the account (of one symbol), oldest first."""
        symbols = [symbol] if symbol is not None else list(self._open)
        if symbol is not None:
            self._book(symbol)
        found = [o for s in symbols for o in self._open[s].values() if o.api_key == api_key]
        return sorted(found, key=lambda o: o.order_id)

    def account_orders(self, api_key: str, symbol: str | None = None) -> list[SimOrder]:
        """Every order of the account (of one symbol), oldest first."""
        return [o for o in self.orders.values() if o.api_key == api_key and symbol in (None, o.symbol)]

    def account_trades(self, api_key: str, symbol: str | None = None) -> list[SimTrade]:
        """Every trade of the account (of one symbol), oldest first."""
        return [t for t in self.trades if t.api_key == api_key and symbol in (None, t.symbol)]

    def balance_rows(self, api_key: str) -> list[tuple[str, Decimal, Decimal]]:
        """(asset, free, locked) of every asset of the account."""
        return self.wallets[api_key].rows()

    def touch(self, symbol: str) -> tuple[Level | None, Level | None]:
        """(best bid, best ask) of a symbol."""
        book = self._book(symbol)
        return book.best_bid, book.best_ask

    # --- internals: orders --------------------------------------------------------------------------------

    def _book(self, symbol: str) -> Book:
        book = self.books.get(symbol)
        if book is None:
            raise BinanceError(-1121, "Invalid symbol.")
        return book

    def _lookup(self, api_key: str, symbol: str, order_id: int | None, client_id: str | None) -> SimOrder | None:
        if order_id is not None:
            order = self.orders.get(order_id)
        else:
            ids = self._by_client.get((api_key, client_id or ""), [])
            order = self.orders[ids[-1]] if ids else None
        if order is None or order.api_key != api_key or order.symbol != symbol:
            return None
        return order

    def _new_order(self, api_key: str, request: NewOrder, now: int) -> SimOrder:
        spec = self.symbols.get(request.symbol)
        book = self._book(request.symbol)
        assert spec is not None
        _check_filters(spec, request, book)
        client_id = request.client_order_id or self._client_id()
        if self._duplicate(api_key, client_id):
            self.stats["duplicates_refused"] += 1
            raise BinanceError.of(REJECTED, "Duplicate order sent.")
        stop, last = request.stop_price, book.last
        if request.type in STOP_TYPES and last is not None and _triggers(request.type, request.side, stop, last):
            raise BinanceError.of(REJECTED, "Stop price would trigger immediately.")
        if request.type == "LIMIT_MAKER" and book.fillable(request.side, request.quantity, request.price) > 0:
            raise BinanceError.of(REJECTED, "Order would immediately match and take.")
        wallet = self.wallets[api_key]
        lock_asset, lock = _lock_for(spec, request)
        if request.type == "MARKET":
            if request.side == "BUY":
                wallet.require(spec.quote, sum((p * q for p, q in book.walk("BUY", request.quantity, None)), ZERO))
            else:
                wallet.require(spec.base, request.quantity)
        elif lock:
            wallet.lock(lock_asset, lock)
        order = SimOrder(
            order_id=self._next_order,
            client_order_id=client_id,
            api_key=api_key,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            time_in_force=request.time_in_force,
            quantity=request.quantity,
            price=request.price,
            stop_price=request.stop_price,
            created_ms=now,
            updated_ms=now,
            working_ms=0 if request.type in STOP_TYPES else now,
            locked=lock,
            lock_asset=lock_asset if lock else None,
        )
        self._next_order += 1
        self.orders[order.order_id] = order
        self._open[order.symbol][order.order_id] = order
        self._by_client.setdefault((api_key, client_id), []).append(order.order_id)
        self.stats["orders_accepted"] += 1
        self._report(order, "NEW", now)
        self._touch(api_key, spec)
        if order.triggered:
            self._take(order, book, now)
            self._after_move(order.symbol, now, resting=False)
        return order

    def _cancel(
        self,
        api_key: str,
        symbol: str,
        order_id: int | None,
        client_id: str | None,
        new_client_id: str | None,
        now: int,
    ) -> SimOrder:
        if order_id is None and not client_id:
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        self._book(symbol)
        order = self._lookup(api_key, symbol, order_id, client_id)
        if order is None or not order.is_open:
            raise BinanceError(-2011, "Unknown order sent.")
        order.cancel_client_order_id = new_client_id or self._client_id()
        self._close(order, "CANCELED", now)
        return order

    def _duplicate(self, api_key: str, client_id: str) -> bool:
        ids = self._by_client.get((api_key, client_id), [])
        if self.config.unique_client_ids:
            return bool(ids)
        return any(self.orders[i].is_open for i in ids)

    def _client_id(self) -> str:
        self._next_cid += 1
        return f"simex{self._next_cid:017d}"

    # --- internals: matching -----------------------------------------------------------------------------------

    def _take(self, order: SimOrder, book: Book, now: int) -> None:
        """Match a working order as a taker; expire what an IOC/FOK/market order cannot fill."""
        limit = order.price if order.type in _LIMIT_TYPES else None
        if order.time_in_force == "FOK" and book.fillable(order.side, order.remaining, limit) < order.remaining:
            self._close(order, "EXPIRED", now)
            return
        for price, quantity in list(book.walk(order.side, order.remaining, limit)):
            if not self._affordable(order, price, quantity):
                break
            self._fill(order, price, quantity, maker=False, now=now)
            book.take(order.side, price, quantity)
        if order.is_open and (order.type in _MARKET_TYPES or order.time_in_force in ("IOC", "FOK")):
            self._close(order, "EXPIRED", now)

    def _after_move(self, symbol: str, now: int, resting: bool = True) -> None:
        """Trigger stops the last price reached and (``resting``) fill resting orders the book crosses."""
        book = self.books[symbol]
        for _ in range(100):
            moved = False
            for order in list(self._open[symbol].values()):
                if not order.is_open:
                    continue
                if not order.triggered:
                    assert order.stop_price is not None
                    if book.last is not None and _triggers(order.type, order.side, order.stop_price, book.last):
                        order.working_ms = now
                        self._take(order, book, now)
                        moved = True
                elif resting and order.type in _LIMIT_TYPES and order.price is not None:
                    moved |= self._rest_fill(order, book, now)
            if not moved:
                return

    def _rest_fill(self, order: SimOrder, book: Book, now: int) -> bool:
        """Fill a resting order at its own price against the book levels that cross it."""
        filled = False
        assert order.price is not None
        for _, quantity in list(book.walk(order.side, order.remaining, order.price)):
            self._fill(order, order.price, quantity, maker=True, now=now)
            book.take(order.side, order.price, quantity)
            filled = True
        return filled

    def _affordable(self, order: SimOrder, price: Decimal, quantity: Decimal) -> bool:
        spec = self.symbols[order.symbol]
        wallet = self.wallets[order.api_key]
        if order.side == "BUY":
            return price * quantity <= order.locked + wallet.free.get(spec.quote, ZERO)
        return quantity <= order.locked + wallet.free.get(spec.base, ZERO)

    def _fill(self, order: SimOrder, price: Decimal, quantity: Decimal, *, maker: bool, now: int) -> None:
        spec = self.symbols[order.symbol]
        wallet = self.wallets[order.api_key]
        bps = self.config.maker_fee_bps if maker else self.config.taker_fee_bps
        cost = price * quantity
        paid, received = (spec.quote, spec.base) if order.side == "BUY" else (spec.base, spec.quote)
        owed = cost if order.side == "BUY" else quantity
        from_lock = min(order.locked, owed)
        wallet.spend_locked(paid, from_lock)
        wallet.spend_free(paid, owed - from_lock)
        order.locked -= from_lock
        gross = quantity if order.side == "BUY" else cost
        commission = (gross * bps * _BPS).quantize(_EIGHT, ROUND_HALF_UP)
        wallet.credit(received, gross - commission)
        trade = SimTrade(
            trade_id=self._next_trade,
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            api_key=order.api_key,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=quantity,
            commission=commission,
            commission_asset=received,
            time_ms=now,
            maker=maker,
        )
        self._next_trade += 1
        self.trades.append(trade)
        order.fills.append(trade)
        order.executed += quantity
        order.quote_executed += cost
        order.status = "FILLED" if order.remaining <= 0 else "PARTIALLY_FILLED"
        order.updated_ms = now
        self.books[order.symbol].last = price
        if order.status == "FILLED":
            self._release(order)
            self._open[order.symbol].pop(order.order_id, None)
        self._report(order, "TRADE", now, trade)
        self._touch(order.api_key, spec)

    def _close(self, order: SimOrder, status: str, now: int) -> None:
        order.status = status
        order.updated_ms = now
        self._release(order)
        self._open[order.symbol].pop(order.order_id, None)
        self._report(order, status, now)
        self._touch(order.api_key, self.symbols[order.symbol])

    def _release(self, order: SimOrder) -> None:
        if order.locked and order.lock_asset is not None:
            self.wallets[order.api_key].unlock(order.lock_asset, order.locked)
        order.locked = ZERO

    # --- internals: events ------------------------------------------------------------------------------------

    def _report(self, order: SimOrder, execution: str, now: int, trade: SimTrade | None = None) -> None:
        self._outbox.append((order.api_key, execution_report(order, execution, now, trade)))

    def _touch(self, api_key: str, spec: SimSymbol) -> None:
        self._touched.setdefault(api_key, set()).update((spec.base, spec.quote))

    def _flush(self) -> None:
        now = self.clock()
        for api_key, assets in self._touched.items():
            rows = self.wallets[api_key].rows(assets)
            self._outbox.append(
                (
                    api_key,
                    {
                        "e": "outboundAccountPosition",
                        "E": now,
                        "u": now,
                        "B": [{"a": a, "f": fmt(free), "l": fmt(locked)} for a, free, locked in rows],
                    },
                )
            )
        events, self._outbox, self._touched = self._outbox, [], {}
        for api_key, event in events:
            for listener in self.listeners:
                listener(api_key, event)


class _ReplaceFailed(BinanceError):
    """A cancel-replace half failed: Binance's body carries both halves' results in ``data``."""

    def __init__(
        self,
        code: int,
        msg: str,
        status: int,
        cancel_error: BinanceError | None,
        canceled: SimOrder | None,
        new_error: BinanceError | None,
    ) -> None:
        super().__init__(code, msg, status)
        self.cancel_error = cancel_error
        self.canceled = canceled
        self.new_error = new_error


def _triggers(order_type: str, side: str, stop: Decimal | None, last: Decimal) -> bool:
    """True when ``last`` has reached the stop price of a stop-loss / take-profit order."""
    if stop is None:
        return False
    rising = (side == "BUY") == order_type.startswith("STOP_LOSS")
    return last >= stop if rising else last <= stop


def _lock_for(spec: SimSymbol, request: NewOrder) -> tuple[str, Decimal]:
    """(asset, amount) a working order holds: the quote for buys (at its limit or stop), the base for sells."""
    if request.side == "SELL":
        return spec.base, request.quantity if request.type != "MARKET" else ZERO
    price = request.price if request.type in _LIMIT_TYPES else request.stop_price
    return spec.quote, (request.quantity * price) if price is not None and request.type != "MARKET" else ZERO


def _check_filters(spec: SimSymbol, request: NewOrder, book: Book) -> None:
    """Binance's PRICE_FILTER, LOT_SIZE and NOTIONAL checks (-1013 "Filter failure: ...")."""
    for price in (request.price, request.stop_price):
        if price is not None and (
            price < spec.min_price or price > spec.max_price or (price - spec.min_price) % spec.tick_size
        ):
            raise BinanceError.of(FILTER_FAILURE, "PRICE_FILTER")
    quantity = request.quantity
    if quantity < spec.min_qty or quantity > spec.max_qty or (quantity - spec.min_qty) % spec.step_size:
        raise BinanceError.of(FILTER_FAILURE, "LOT_SIZE")
    reference = request.price if request.type in _LIMIT_TYPES else request.stop_price or book.last
    if reference is not None and quantity * reference < spec.min_notional:
        raise BinanceError.of(FILTER_FAILURE, "NOTIONAL")
