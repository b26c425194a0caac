"""``PaperExchange``: a synchronous, deterministic matching engine for paper trading.

No asyncio, no wall clock, no randomness: time arrives as ``now_ns`` in every call and every call
returns the venue events it produced, in order. The same calls give the same events, byte for byte.

The book of each symbol is simulated from the last quote: the touch (bid/ask and their sizes) plus
``book_depth - 1`` deeper levels, each ``level_step_bps`` worse and as large as the touch. Our own
orders do not deplete it (we are a small participant; the next order sees the same book).

- MARKET orders walk the levels (several fills when larger than the touch); what the book cannot
  fill is canceled. Taker fills pay ``slippage_bps`` against the level price (rounded outward to
  the instrument tick); commission is ``commission_bps`` of notional, in the quote currency.
- LIMIT orders take what is marketable (taker price capped at the limit), then rest. A resting
  order fills at its own limit price (maker, no slippage) when a later quote crosses it.
- STOP / STOP_LIMIT trigger when the quote's ``last`` (else the touch) reaches the stop price, and
  then act as MARKET / LIMIT. A stop that is already through the market triggers on arrival.
- IOC cancels the remainder; FOK fills all or cancels with no fill; DAY orders expire at the first
  call whose ``now_ns`` falls on a later UTC date than their acceptance; post-only orders that
  would cross are rejected (``post_only_would_cross``).
- Cash accounts: a buy needs quote currency for notional + fee, a sell needs the base quantity;
  working orders lock what they may need. Margin accounts need ``margin_rate`` of notional (plus
  fee) free for the part of an order that grows the position, and book realized PnL and fees in
  the quote currency, exactly as ``oms_daemon.core.balances`` does. Refusal: ``insufficient_funds``.
- Ids: venue order ids ``PO-<n>``, trade ids ``P-<n>``; every event carries a per-account
  ``venue_seq`` that increases by one; snapshots carry the account's last ``venue_seq`` (the state
  they show is as of that event).
- A repeated submit of a known client order id never makes a second order: it is answered with
  that order's ``VenueOrderStatus``. Rejected orders are not kept (a query answers status None);
  closed orders and fills are kept up to ``history_limit`` each per engine / account.
"""

from bisect import insort
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any, TypeVar

from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    VenueBalance,
    VenueCancelRejected,
    VenueEvent,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderReport,
    VenueOrderStatus,
    VenuePosition,
    VenueReplaceRejected,
)
from oms_daemon.core.model import BookLevel, Fill, Order

__all__ = ["PaperExchange"]

ZERO = Decimal(0)
ONE = Decimal(1)
_BPS = Decimal("0.0001")
_CTX = Context(prec=34)
"""Same fixed precision as ``oms_daemon.core.positions`` so average prices agree to the digit."""
_DAY_NS = 86_400 * 1_000_000_000

_BUY = OrderSide.BUY
_SELL = OrderSide.SELL
_MARKET = OrderType.MARKET
_LIMIT = OrderType.LIMIT
_STOP = OrderType.STOP
_STOP_LIMIT = OrderType.STOP_LIMIT
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_DAY = TimeInForce.DAY
_NEW = OrderStatus.NEW
_PARTIAL = OrderStatus.PARTIALLY_FILLED
_FILLED = OrderStatus.FILLED
_CANCELED = OrderStatus.CANCELED
_EXPIRED = OrderStatus.EXPIRED
_REPLACED = OrderStatus.REPLACED
_REJECTED = OrderStatus.REJECTED
_OPEN = (_NEW, _PARTIAL)
_TERMINAL_ON_RESTORE = (_FILLED, _CANCELED, _EXPIRED, _REPLACED, _REJECTED)

E = TypeVar("E", bound=VenueEvent)
Level = tuple[Decimal, Decimal, Decimal | None]
"""(book price, taker price after slippage, size or None for unlimited)."""


def _round(price: Decimal, tick: Decimal | None, up: bool) -> Decimal:
    if tick is None:
        return price
    return (price / tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR) * tick


class _Book:
    """One symbol: its instrument, the last quote, the levels derived from it, resting orders."""

    __slots__ = (
        "ask",
        "ask_size",
        "asks",
        "base",
        "bid",
        "bid_size",
        "bids",
        "buy_levels",
        "buy_stops",
        "last",
        "margin_rate",
        "multiplier",
        "quote",
        "sell_levels",
        "sell_stops",
        "symbol",
        "tick",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.symbol = instrument.symbol
        self.base = instrument.base_currency
        self.quote = instrument.quote_currency
        self.multiplier = instrument.multiplier
        self.margin_rate = instrument.margin_rate
        self.tick = instrument.tick_size
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.bid_size: Decimal | None = None
        self.ask_size: Decimal | None = None
        self.last: Decimal | None = None
        self.buy_levels: list[Level] | None = []  # asks, best first: what a buyer takes (None: not built yet)
        self.sell_levels: list[Level] | None = []  # bids, best first: what a seller takes (None: not built yet)
        self.bids: list[_Rec] = []  # resting buy limits, best (highest) first
        self.asks: list[_Rec] = []  # resting sell limits, best (lowest) first
        self.buy_stops: list[_Rec] = []  # lowest stop first
        self.sell_stops: list[_Rec] = []  # highest stop first


class _Account:
    """Cash, locks, position sums, fill history and the event sequence of one account."""

    __slots__ = ("account_id", "balances", "fills", "locked", "margin", "positions", "seq")

    def __init__(self, account_id: str, margin: bool, balances: Mapping[str, Decimal]) -> None:
        self.account_id = account_id
        self.margin = margin
        self.balances: dict[str, Decimal] = dict(balances)
        self.locked: dict[str, Decimal] = {}
        self.positions: dict[str, list[Decimal]] = {}  # symbol -> [signed qty, avg price]
        self.fills: list[VenueFill] = []
        self.seq = 0


class _Rec:
    """One order as the venue keeps it (the OMS ``Order`` is referenced, never copied)."""

    __slots__ = (
        "account",
        "book",
        "buy",
        "day",
        "filled",
        "key",
        "lock_ccy",
        "lock_unit",
        "order",
        "resting",
        "status",
        "triggered",
        "venue_order_id",
    )

    def __init__(self, order: Order, venue_order_id: str, account: _Account, book: _Book, buy: bool) -> None:
        self.order = order
        self.venue_order_id = venue_order_id
        self.account = account
        self.book = book
        self.buy = buy
        self.filled = ZERO
        self.status = _NEW
        self.lock_ccy = ""
        self.lock_unit = ZERO
        self.triggered = False
        self.resting = False
        self.day = 0
        self.key: tuple[Decimal, int] = (ZERO, 0)


class PaperExchange:
    """Deterministic simulated venue: orders in, venue events out; time is always passed in."""

    def __init__(
        self,
        instruments: Iterable[Instrument],
        *,
        balances: Mapping[str, Mapping[str, Decimal]] | None = None,
        accounts: Iterable[AccountConfig] = (),
        slippage_bps: Decimal = ZERO,
        commission_bps: Decimal = ZERO,
        level_step_bps: Decimal = Decimal(5),
        book_depth: int = 5,
        history_limit: int = 100_000,
    ) -> None:
        self._books: dict[str, _Book] = {i.symbol: _Book(i) for i in instruments}
        self._margin: set[str] = {a.account_id for a in accounts if a.kind is AccountKind.MARGIN}
        self._initial: dict[str, Mapping[str, Decimal]] = dict(balances or {})
        self._accounts: dict[str, _Account] = {}
        self._slip_up = ONE + slippage_bps * _BPS
        self._slip_down = ONE - slippage_bps * _BPS
        self._fee_rate = commission_bps * _BPS
        self._step = level_step_bps * _BPS
        self._depth = max(1, book_depth)
        self._history_limit = max(1, history_limit)
        self._orders: dict[str, _Rec] = {}  # every order still remembered, by client order id
        self._open: dict[str, _Rec] = {}  # working orders, in acceptance order
        self._day_open: dict[str, _Rec] = {}  # working DAY orders
        self._closed: list[str] = []  # client order ids of closed orders, oldest first (for trimming)
        self._by_venue_id: dict[str, _Rec] = {}  # working orders by venue order id
        self._order_seq = 0
        self._trade_seq = 0
        self._arrival = 0
        self._next_roll = 0
        for account_id in self._initial:
            self._account(account_id)

    # --- orders ---------------------------------------------------------------------------------

    def submit(self, order: Order, now_ns: int) -> list[VenueEvent]:
        """Accept or reject ``order``, then execute what is marketable; returns the events."""
        events: list[VenueEvent] = self._roll(now_ns) if now_ns >= self._next_roll else []
        account = self._account(order.account_id)
        cid = order.client_order_id
        known = self._orders.get(cid)
        if known is not None:
            events.append(self._status_event(account, cid, known, now_ns))
            return events
        book = self._books.get(order.symbol)
        if book is None:
            return self._reject(events, account, cid, "unknown_symbol", f"unknown symbol {order.symbol!r}", now_ns)
        qty = order.quantity
        if qty <= 0:
            return self._reject(events, account, cid, "invalid_quantity", f"quantity {qty} must be positive", now_ns)
        buy = order.side == _BUY
        otype = order.order_type
        if otype == _MARKET:
            self._market(order, account, book, buy, now_ns, events)
            return events
        refusal = self._validate(order, book, buy)
        if refusal is not None:
            return self._reject(events, account, cid, refusal[0], refusal[1], now_ns)
        if order.reduce_only and not self._reduces(account, book, buy, qty):
            return self._reject(
                events, account, cid, "reduce_only_would_increase", "order would grow the position", now_ns
            )
        rec = _Rec(order, "", account, book, buy)
        self._set_lock(rec, qty)
        if rec.lock_unit and rec.lock_unit * qty > self._free(account, rec.lock_ccy):
            return self._reject(events, account, cid, "insufficient_funds", self._funds_message(rec, qty), now_ns)
        rec.venue_order_id = self._next_venue_id()
        rec.day = now_ns // _DAY_NS
        self._work(rec, qty)
        events.append(
            _event(VenueOrderAccepted, account, now_ns, client_order_id=cid, venue_order_id=rec.venue_order_id)
        )
        self._place(rec, now_ns, events)
        return events

    def cancel(self, order: Order, now_ns: int) -> list[VenueEvent]:
        """Cancel a working order (by client order id, else venue order id)."""
        events: list[VenueEvent] = self._roll(now_ns) if now_ns >= self._next_roll else []
        account = self._account(order.account_id)
        rec = self._find(order)
        reason = self._not_open(rec, account)
        if reason is not None or rec is None:
            reason = reason or "order_not_found"
            events.append(
                _event(VenueCancelRejected, account, now_ns, client_order_id=order.client_order_id, reason=reason)
            )
            return events
        self._close(rec, _CANCELED, now_ns, events)
        return events

    def modify(self, order: Order, replacement: Order, now_ns: int) -> list[VenueEvent]:
        """Replace a working order by ``replacement`` (new client order id; fills so far carry over)."""
        events: list[VenueEvent] = self._roll(now_ns) if now_ns >= self._next_roll else []
        account = self._account(order.account_id)
        rec = self._find(order)
        new_cid = replacement.client_order_id
        new: _Rec | None = None
        reason = self._not_open(rec, account)
        if rec is not None and reason is None:
            new, reason = self._replacement(rec, replacement)
        orig_cid = order.client_order_id
        if rec is None or new is None:
            refusal = _event(
                VenueReplaceRejected,
                account,
                now_ns,
                client_order_id=new_cid,
                orig_client_order_id=orig_cid,
                reason=reason or "order_not_found",
            )
            events.append(refusal)
            return events
        self._unrest(rec)
        self._unlock(rec, rec.order.quantity - rec.filled)
        self._finish(rec, _REPLACED)
        new.venue_order_id = self._next_venue_id()
        self._work(new, replacement.quantity - new.filled)
        replaced = _event(
            VenueOrderReplaced,
            account,
            now_ns,
            client_order_id=new_cid,
            orig_client_order_id=orig_cid,
            venue_order_id=new.venue_order_id,
        )
        events.append(replaced)
        self._place(new, now_ns, events)
        return events

    def _replacement(self, rec: _Rec, replacement: Order) -> tuple[_Rec | None, str | None]:
        """The venue record that would replace ``rec``, or why the replace is refused."""
        qty = replacement.quantity
        if replacement.client_order_id in self._orders:
            return None, "duplicate_client_order_id"
        if qty <= rec.filled:
            return None, "quantity_below_filled"
        if replacement.symbol != rec.order.symbol or replacement.side != rec.order.side:
            return None, "cannot_change_symbol_or_side"
        if replacement.order_type == _MARKET:
            return None, "cannot_replace_with_market"
        refusal = self._validate(replacement, rec.book, rec.buy)
        if refusal is not None:
            return None, refusal[0]
        new = _Rec(replacement, "", rec.account, rec.book, rec.buy)
        new.filled = rec.filled
        new.status = _PARTIAL if rec.filled else _NEW
        new.triggered = rec.triggered
        new.day = rec.day
        leaves = qty - rec.filled
        self._set_lock(new, leaves)
        free = self._free(rec.account, new.lock_ccy)
        if new.lock_ccy == rec.lock_ccy:
            free += rec.lock_unit * (rec.order.quantity - rec.filled)
        if new.lock_unit and new.lock_unit * leaves > free:
            return None, "insufficient_funds"
        return new, None

    def query(self, account_id: str, client_order_id: str, now_ns: int) -> VenueOrderStatus:
        """Status of an order by client order id (status None when the venue does not know it)."""
        account = self._account(account_id)
        rec = self._orders.get(client_order_id)
        if rec is not None and rec.account is not account:
            rec = None
        return self._status_event(account, client_order_id, rec, now_ns)

    # --- market data ----------------------------------------------------------------------------

    def depth(self, symbol: str) -> tuple[tuple[BookLevel, ...], tuple[BookLevel, ...]]:
        """The simulated book's visible levels (bids, asks), best first; unlimited last levels are left out."""
        book = self._books.get(symbol)
        if book is None:
            return (), ()
        bids = tuple(BookLevel(price, size) for price, _, size in self._side(book, False) if size is not None)
        asks = tuple(BookLevel(price, size) for price, _, size in self._side(book, True) if size is not None)
        return bids, asks

    def on_quote(
        self,
        symbol: str,
        bid: Decimal | None,
        ask: Decimal | None,
        bid_size: Decimal | None,
        ask_size: Decimal | None,
        last: Decimal | None,
        now_ns: int,
    ) -> list[VenueEvent]:
        """Take a new top of book: resting orders it crosses fill, stops it reaches trigger."""
        events: list[VenueEvent] = self._roll(now_ns) if now_ns >= self._next_roll else []
        book = self._books.get(symbol)
        if book is None:
            return events
        book.bid, book.ask, book.bid_size, book.ask_size, book.last = bid, ask, bid_size, ask_size, last
        book.buy_levels = book.sell_levels = None  # built when an order first needs them
        for resting, buy, touch in ((book.bids, True, ask), (book.asks, False, bid)):
            levels = self._side(book, buy) if resting and touch is not None else None
            if levels:
                for rec in [r for r in resting if _through(touch, r.order.price, up=not r.buy)]:  # type: ignore[arg-type]
                    self._fill_resting(rec, levels, now_ns, events)
        for stops, buy in ((book.buy_stops, True), (book.sell_stops, False)):
            trigger = _stop_trigger(book, buy) if stops else None
            if trigger is not None:
                for rec in [r for r in stops if _through(trigger, r.order.stop_price, up=buy)]:  # type: ignore[arg-type]
                    self._trigger(rec, now_ns, events)
        return events

    # --- snapshots --------------------------------------------------------------------------------

    def open_orders(self, account_id: str, now_ns: int) -> OpenOrdersSnapshot:
        """Every working order of the account, in acceptance order."""
        account = self._account(account_id)
        reports = tuple(
            VenueOrderReport(
                client_order_id=rec.order.client_order_id,
                venue_order_id=rec.venue_order_id,
                symbol=rec.order.symbol,
                side=rec.order.side,
                order_type=rec.order.order_type,
                quantity=rec.order.quantity,
                filled_qty=rec.filled,
                price=rec.order.price,
                stop_price=rec.order.stop_price,
                status=rec.status,
            )
            for rec in self._open.values()
            if rec.account is account
        )
        return OpenOrdersSnapshot(
            ts_recv=now_ns, account_id=account_id, ts_event=now_ns, venue_seq=account.seq, orders=reports
        )

    def positions(self, account_id: str, now_ns: int) -> PositionsSnapshot:
        """Net position per symbol from this venue's own fill sums (flat symbols omitted)."""
        account = self._account(account_id)
        positions = tuple(
            VenuePosition(symbol=symbol, quantity=qty, avg_price=avg)
            for symbol, (qty, avg) in sorted(account.positions.items())
            if qty != 0
        )
        return PositionsSnapshot(
            ts_recv=now_ns, account_id=account_id, ts_event=now_ns, venue_seq=account.seq, positions=positions
        )

    def balances(self, account_id: str, now_ns: int) -> BalancesSnapshot:
        """Every currency balance of the account; ``free`` is net of locks (and margin in use)."""
        account = self._account(account_id)
        balances = tuple(
            VenueBalance(currency=ccy, total=total, free=self._free(account, ccy))
            for ccy, total in sorted(account.balances.items())
        )
        return BalancesSnapshot(
            ts_recv=now_ns, account_id=account_id, ts_event=now_ns, venue_seq=account.seq, balances=balances
        )

    def fills_since(self, account_id: str, since_ns: int) -> list[VenueFill]:
        """Fills of the account executed at or after ``since_ns`` (within the kept history)."""
        account = self._accounts.get(account_id)
        if account is None:
            return []
        return [f for f in account.fills if f.ts_event >= since_ns]

    # --- restart ------------------------------------------------------------------------------------

    def restore(
        self,
        working_orders: Iterable[Order],
        balances: Mapping[str, Mapping[str, Decimal]],
        *,
        fills: Iterable[Fill] = (),
        venue_seqs: Mapping[str, int] | None = None,
    ) -> None:
        """Rebuild after a restart from the OMS journal: balances, resting orders, position sums.

        Orders come back with their client and venue order ids (those without a venue order id,
        or closed, are skipped: the venue never acknowledged them). ``fills`` rebuild positions and
        ``fills_since`` and keep new trade ids unique; ``venue_seqs`` continue each account's
        sequence. Balances are taken as given (they already include the fills). No events result;
        resting orders meet the market at the next quote.
        """
        seqs = dict(venue_seqs or {})
        self._orders.clear()
        self._open.clear()
        self._day_open.clear()
        self._closed.clear()
        self._by_venue_id.clear()
        for book in self._books.values():
            book.bids.clear()
            book.asks.clear()
            book.buy_stops.clear()
            book.sell_stops.clear()
        self._accounts.clear()
        self._initial = {aid: dict(b) for aid, b in balances.items()}
        for account_id in sorted(set(self._initial) | set(seqs)):
            self._account(account_id).seq = seqs.get(account_id, 0)
        for fill in fills:
            account = self._account(fill.account_id)
            book = self._books.get(fill.symbol)
            multiplier = book.multiplier if book else ONE
            self._book_position(account, fill.symbol, fill.side == _BUY, fill.price, fill.quantity, multiplier)
            account.fills.append(
                VenueFill(
                    ts_recv=fill.ts_recv,
                    account_id=fill.account_id,
                    ts_event=fill.ts_event,
                    client_order_id=fill.client_order_id,
                    trade_id=fill.trade_id,
                    symbol=fill.symbol,
                    side=fill.side,
                    price=fill.price,
                    quantity=fill.quantity,
                    commission=fill.commission,
                    commission_currency=fill.commission_currency,
                    venue_order_id=fill.venue_order_id,
                )
            )
            self._trade_seq = max(self._trade_seq, _id_number(fill.trade_id, "P-"))
            self._order_seq = max(self._order_seq, _id_number(fill.venue_order_id, "PO-"))
        working_orders = list(working_orders)
        for order in working_orders:
            self._order_seq = max(self._order_seq, _id_number(order.venue_order_id, "PO-"))
        for order in working_orders:
            book = self._books.get(order.symbol)
            if (
                order.venue_order_id is None
                or book is None
                or order.status in _TERMINAL_ON_RESTORE
                or order.order_type == _MARKET
                or order.leaves_qty <= 0
                or order.client_order_id in self._orders
            ):
                continue
            account = self._account(order.account_id)
            rec = _Rec(order, order.venue_order_id, account, book, order.side == _BUY)
            rec.filled = order.filled_qty
            rec.status = _PARTIAL if rec.filled else _NEW
            rec.triggered = order.order_type == _STOP_LIMIT and rec.filled > 0
            rec.day = order.ts_created // _DAY_NS
            self._set_lock(rec, order.leaves_qty)
            self._work(rec, order.leaves_qty)
            self._rest(rec)

    # --- execution ------------------------------------------------------------------------------------

    def _market(self, order: Order, account: _Account, book: _Book, buy: bool, now: int, events: list) -> None:
        """The hot path: walk the book, check funds, accept and fill, cancel what the book lacks."""
        cid = order.client_order_id
        top = self._top(book, buy)
        if top is None:
            self._reject(events, account, cid, "no_market_data", f"no {'ask' if buy else 'bid'} for {book.symbol}", now)
            return
        qty = order.quantity
        _, price, size = top
        if size is None or size >= qty:
            takes = [(price, qty)]
            taken = qty
            notional = price * qty
        else:
            takes, taken, notional = _walk(self._side(book, buy), qty, None, buy)
        if order.time_in_force == _FOK and taken < qty:
            takes, taken, notional = [], ZERO, ZERO
        if order.reduce_only and not self._reduces(account, book, buy, taken or qty):
            self._reject(events, account, cid, "reduce_only_would_increase", "order would grow the position", now)
            return
        refusal = self._check_take(account, book, buy, taken, notional)
        if refusal is not None:
            self._reject(events, account, cid, "insufficient_funds", refusal, now)
            return
        rec = _Rec(order, self._next_venue_id(), account, book, buy)
        self._remember(rec)
        events.append(_event(VenueOrderAccepted, account, now, client_order_id=cid, venue_order_id=rec.venue_order_id))
        for price, q in takes:
            self._fill(rec, price, q, now, events)
        if taken < qty:
            self._close(rec, _CANCELED, now, events)
        else:
            self._finish(rec, _FILLED)

    def _place(self, rec: _Rec, now: int, events: list) -> None:
        """Work a just-accepted (or replaced) non-market order: trigger, take, rest or cancel."""
        otype = rec.order.order_type
        if otype == _LIMIT or rec.triggered:
            self._take_limit(rec, now, events)
            return
        stop = rec.order.stop_price
        assert stop is not None
        trigger = _stop_trigger(rec.book, rec.buy)
        if trigger is not None and _through(trigger, stop, rec.buy):
            self._trigger(rec, now, events, resting=False)
        else:
            self._rest(rec)

    def _take_limit(self, rec: _Rec, now: int, events: list) -> None:
        """Fill the marketable part of a limit order, then rest it or (IOC/FOK) cancel the rest."""
        book = rec.book
        leaves = rec.order.quantity - rec.filled
        levels = self._side(book, rec.buy)
        takes, taken, _ = _walk(levels, leaves, rec.order.price, rec.buy) if levels else ([], ZERO, ZERO)
        tif = rec.order.time_in_force
        if tif == _FOK and taken < leaves:
            takes, taken = [], ZERO
        for price, q in takes:
            self._fill(rec, price, q, now, events)
        if taken >= leaves:
            self._finish(rec, _FILLED)
        elif tif in (_IOC, _FOK):
            self._close(rec, _CANCELED, now, events)
        else:
            self._rest(rec)

    def _trigger(self, rec: _Rec, now: int, events: list, resting: bool = True) -> None:
        """A stop reached its price: a STOP becomes a market order, a STOP_LIMIT a limit order."""
        if resting:
            self._unrest(rec)
        rec.triggered = True
        if rec.order.order_type == _STOP_LIMIT:
            self._take_limit(rec, now, events)
            return
        book = rec.book
        leaves = rec.order.quantity - rec.filled
        levels = self._side(book, rec.buy)
        takes, taken, notional = _walk(levels, leaves, None, rec.buy) if levels else ([], ZERO, ZERO)
        if rec.order.time_in_force == _FOK and taken < leaves:
            takes, taken, notional = [], ZERO, ZERO
        self._unlock(rec, leaves)
        rec.lock_unit = ZERO
        if taken and self._check_take(rec.account, book, rec.buy, taken, notional) is not None:
            takes, taken = [], ZERO
        for price, q in takes:
            self._fill(rec, price, q, now, events)
        if taken >= leaves:
            self._finish(rec, _FILLED)
        else:
            self._close(rec, _CANCELED, now, events)

    def _fill_resting(self, rec: _Rec, levels: list[Level], now: int, events: list) -> None:
        """A quote crossed a resting limit: fill what the book shows at the order's own price."""
        price = rec.order.price
        assert price is not None
        _, available, _ = _walk(levels, rec.order.quantity - rec.filled, price, rec.buy)
        if not available:
            return
        self._fill(rec, price, available, now, events)
        if rec.filled >= rec.order.quantity:
            self._unrest(rec)
            self._finish(rec, _FILLED)

    def _fill(self, rec: _Rec, price: Decimal, qty: Decimal, now: int, events: list) -> None:
        """Book one execution: balances, position sum, locks, the fill event."""
        account = rec.account
        book = rec.book
        multiplier = book.multiplier
        notional = price * qty if multiplier == 1 else price * qty * multiplier
        fee = notional * self._fee_rate
        buy = rec.buy
        balances = account.balances
        quote = book.quote
        if rec.lock_unit:
            self._unlock(rec, qty)
        realized = self._book_position(account, book.symbol, buy, price, qty, multiplier)
        if account.margin:
            if realized:
                balances[quote] = balances.get(quote, ZERO) + realized
        else:
            base = book.base
            if buy:
                balances[base] = balances.get(base, ZERO) + qty
                balances[quote] = balances.get(quote, ZERO) - notional
            else:
                balances[base] = balances.get(base, ZERO) - qty
                balances[quote] = balances.get(quote, ZERO) + notional
        if fee:
            balances[quote] = balances[quote] - fee if quote in balances else -fee
        rec.filled += qty
        if rec.status is _NEW and rec.filled < rec.order.quantity:
            rec.status = _PARTIAL
        self._trade_seq += 1
        fill = _event(
            VenueFill,
            account,
            now,
            client_order_id=rec.order.client_order_id,
            trade_id=f"P-{self._trade_seq}",
            symbol=book.symbol,
            side=rec.order.side,
            price=price,
            quantity=qty,
            commission=fee,
            commission_currency=quote,
            venue_order_id=rec.venue_order_id,
        )
        fills = account.fills
        fills.append(fill)
        if len(fills) > 2 * self._history_limit:
            del fills[: len(fills) - self._history_limit]
        events.append(fill)

    @staticmethod
    def _book_position(
        account: _Account, symbol: str, buy: bool, price: Decimal, qty: Decimal, mult: Decimal
    ) -> Decimal:
        """Net the fill into the position sum (as ``oms_daemon.core.positions``); returns realized PnL."""
        signed = qty if buy else -qty
        position = account.positions.get(symbol)
        if position is None:
            account.positions[symbol] = [signed, price]
            return ZERO
        held, avg = position
        if held == 0:
            position[0], position[1] = signed, price
            return ZERO
        if (held > 0) == buy:
            total = held + signed
            position[0], position[1] = total, _CTX.divide(abs(held) * avg + qty * price, abs(total))
            return ZERO
        closing = min(qty, abs(held))
        realized = (price - avg) * closing * (1 if held > 0 else -1) * mult
        remaining = held + signed
        if remaining != 0 and (remaining > 0) != (held > 0):
            position[0], position[1] = remaining, price
        else:
            position[0] = remaining
        return realized

    # --- closing, resting, ids ----------------------------------------------------------------------

    def _close(self, rec: _Rec, status: OrderStatus, now: int, events: list) -> None:
        """Take a working order off the book (canceled or expired) and say so."""
        self._unrest(rec)
        if rec.lock_unit:
            self._unlock(rec, rec.order.quantity - rec.filled)
        self._finish(rec, status)
        kind = VenueOrderExpired if status is _EXPIRED else VenueOrderCanceled
        cid = rec.order.client_order_id
        events.append(_event(kind, rec.account, now, client_order_id=cid, venue_order_id=rec.venue_order_id))

    def _finish(self, rec: _Rec, status: OrderStatus) -> None:
        rec.status = status
        cid = rec.order.client_order_id
        if self._open.pop(cid, None) is not None:
            self._by_venue_id.pop(rec.venue_order_id, None)
            self._day_open.pop(cid, None)
        closed = self._closed
        closed.append(cid)
        if len(closed) > 2 * self._history_limit:
            drop = len(closed) - self._history_limit
            orders = self._orders
            for old in closed[:drop]:
                orders.pop(old, None)
            del closed[:drop]

    def _remember(self, rec: _Rec) -> None:
        self._orders[rec.order.client_order_id] = rec

    def _work(self, rec: _Rec, qty: Decimal) -> None:
        """Make an accepted (replacing, or restored) order a working one and lock what ``qty`` of it may need."""
        cid = rec.order.client_order_id
        self._remember(rec)
        self._open[cid] = rec
        self._by_venue_id[rec.venue_order_id] = rec
        if rec.order.time_in_force == _DAY:
            self._day_open[cid] = rec
        self._lock(rec, qty)

    def _rest(self, rec: _Rec) -> None:
        book = rec.book
        self._arrival += 1
        order = rec.order
        if order.order_type == _LIMIT or rec.triggered:
            price = order.price
            assert price is not None
            rec.key = (-price if rec.buy else price, self._arrival)
            insort(book.bids if rec.buy else book.asks, rec, key=_key)
        else:
            stop = order.stop_price
            assert stop is not None
            rec.key = (stop if rec.buy else -stop, self._arrival)
            insort(book.buy_stops if rec.buy else book.sell_stops, rec, key=_key)
        rec.resting = True

    def _unrest(self, rec: _Rec) -> None:
        if not rec.resting:
            return
        book = rec.book
        for side in (book.bids, book.asks, book.buy_stops, book.sell_stops):
            if rec in side:
                side.remove(rec)
                break
        rec.resting = False

    def _find(self, order: Order) -> _Rec | None:
        rec = self._orders.get(order.client_order_id)
        if rec is None and order.venue_order_id is not None:
            rec = self._by_venue_id.get(order.venue_order_id)
        return rec

    @staticmethod
    def _not_open(rec: _Rec | None, account: _Account) -> str | None:
        if rec is None or rec.account is not account:
            return "order_not_found"
        if rec.status not in _OPEN:
            return "order_not_open"
        return None

    def _next_venue_id(self) -> str:
        self._order_seq += 1
        return f"PO-{self._order_seq}"

    def _roll(self, now: int) -> list[VenueEvent]:
        """A new UTC day: expire DAY orders accepted on an earlier day."""
        today = now // _DAY_NS
        self._next_roll = (today + 1) * _DAY_NS
        events: list[VenueEvent] = []
        for rec in [r for r in self._day_open.values() if r.day < today]:
            self._close(rec, _EXPIRED, now, events)
        return events

    # --- funds -------------------------------------------------------------------------------------

    def _account(self, account_id: str) -> _Account:
        """The account's venue state, opened with its initial balances on first use."""
        account = self._accounts.get(account_id)
        if account is None:
            account = _Account(account_id, account_id in self._margin, self._initial.get(account_id, {}))
            self._accounts[account_id] = account
        return account

    def _set_lock(self, rec: _Rec, qty: Decimal) -> None:
        """What one unit of ``rec`` may cost, and in which currency, while it works."""
        book = rec.book
        order = rec.order
        account = rec.account
        if not account.margin and not rec.buy:
            rec.lock_ccy, rec.lock_unit = book.base, ONE
            return
        ref = order.price if order.order_type in (_LIMIT, _STOP_LIMIT) else order.stop_price
        assert ref is not None
        unit = ref * book.multiplier
        rec.lock_ccy = book.quote
        if not account.margin:
            rec.lock_unit = unit + unit * self._fee_rate
        elif self._reduces(account, book, rec.buy, qty):
            rec.lock_unit = unit * self._fee_rate
        else:
            rec.lock_unit = unit * book.margin_rate + unit * self._fee_rate

    def _lock(self, rec: _Rec, qty: Decimal) -> None:
        if rec.lock_unit:
            locked = rec.account.locked
            locked[rec.lock_ccy] = locked.get(rec.lock_ccy, ZERO) + rec.lock_unit * qty

    def _unlock(self, rec: _Rec, qty: Decimal) -> None:
        if rec.lock_unit:
            locked = rec.account.locked
            locked[rec.lock_ccy] = locked[rec.lock_ccy] - rec.lock_unit * qty

    def _free(self, account: _Account, currency: str) -> Decimal:
        free = account.balances.get(currency, ZERO) - account.locked.get(currency, ZERO)
        if account.margin:
            for symbol, (qty, avg) in account.positions.items():
                book = self._books.get(symbol)
                if qty and book is not None and book.quote == currency:
                    free -= abs(qty) * avg * book.multiplier * book.margin_rate
        return free

    def _check_take(self, account: _Account, book: _Book, buy: bool, qty: Decimal, notional: Decimal) -> str | None:
        """Refusal message if the account cannot pay for taking ``qty`` worth ``notional`` now."""
        if not qty:
            return None
        if book.multiplier != 1:
            notional = notional * book.multiplier
        fee = notional * self._fee_rate
        if account.margin:
            position = account.positions.get(book.symbol)
            held = position[0] if position else ZERO
            grows = abs(held + (qty if buy else -qty)) - abs(held)
            need = fee + (_CTX.divide(notional * book.margin_rate * grows, qty) if grows > 0 else ZERO)
            currency = book.quote
        elif buy:
            need, currency = notional + fee, book.quote
        else:
            need, currency = qty, book.base
        if need > self._free(account, currency):
            return f"needs {need} {currency}, {self._free(account, currency)} free"
        return None

    def _funds_message(self, rec: _Rec, qty: Decimal) -> str:
        need = rec.lock_unit * qty
        return f"needs {need} {rec.lock_ccy}, {self._free(rec.account, rec.lock_ccy)} free"

    @staticmethod
    def _reduces(account: _Account, book: _Book, buy: bool, qty: Decimal) -> bool:
        position = account.positions.get(book.symbol)
        held = position[0] if position else ZERO
        return (held < 0 if buy else held > 0) and qty <= abs(held)

    # --- checks and answers --------------------------------------------------------------------------

    @staticmethod
    def _validate(order: Order, book: _Book, buy: bool) -> tuple[str, str] | None:
        otype = order.order_type
        price = order.price
        if otype in (_LIMIT, _STOP_LIMIT):
            if price is None:
                return "missing_price", f"{otype} order needs a price"
            if price <= 0:
                return "invalid_price", f"price {price} must be positive"
        if otype in (_STOP, _STOP_LIMIT):
            if order.stop_price is None:
                return "missing_stop_price", f"{otype} order needs a stop price"
            if order.stop_price <= 0:
                return "invalid_price", f"stop price {order.stop_price} must be positive"
        if order.post_only and otype == _LIMIT and price is not None:
            if buy and book.ask is not None and price >= book.ask:
                return "post_only_would_cross", f"buy at {price} would cross the ask {book.ask}"
            if not buy and book.bid is not None and price <= book.bid:
                return "post_only_would_cross", f"sell at {price} would cross the bid {book.bid}"
        return None

    def _reject(
        self, events: list[VenueEvent], account: _Account, cid: str, reason: str, message: str, now: int
    ) -> list[VenueEvent]:
        events.append(_event(VenueOrderRejected, account, now, client_order_id=cid, reason=reason, message=message))
        return events

    @staticmethod
    def _status_event(account: _Account, cid: str, rec: _Rec | None, now: int) -> VenueOrderStatus:
        if rec is None:
            return _event(VenueOrderStatus, account, now, client_order_id=cid, status=None)
        return _event(
            VenueOrderStatus,
            account,
            now,
            client_order_id=cid,
            status=rec.status,
            venue_order_id=rec.venue_order_id,
            filled_qty=rec.filled,
        )

    def _side(self, book: _Book, buy: bool) -> list[Level]:
        """The levels a buyer (asks) or seller (bids) takes from the last quote, built on first use."""
        levels = book.buy_levels if buy else book.sell_levels
        if levels is None:
            if buy:
                levels = book.buy_levels = self._levels(book.ask, book.ask_size, book.tick, up=True)
            else:
                levels = book.sell_levels = self._levels(book.bid, book.bid_size, book.tick, up=False)
        return levels

    def _top(self, book: _Book, buy: bool) -> Level | None:
        """The best level a buyer (seller) takes, without building the deeper ones; None if there is none."""
        levels = book.buy_levels if buy else book.sell_levels
        if levels is not None:
            return levels[0] if levels else None
        if buy:
            return self._touch(book.ask, book.ask_size, book.tick, up=True)
        return self._touch(book.bid, book.bid_size, book.tick, up=False)

    def _touch(self, touch: Decimal | None, size: Decimal | None, tick: Decimal | None, up: bool) -> Level | None:
        """The touch level with its taker price; None when the quote shows none."""
        if touch is None or touch <= 0 or (size is not None and size <= 0):
            return None
        return touch, _round(touch * (self._slip_up if up else self._slip_down), tick, up), size

    def _levels(self, touch: Decimal | None, size: Decimal | None, tick: Decimal | None, up: bool) -> list[Level]:
        """The simulated book on one side: the touch and deeper levels, with taker prices."""
        first = self._touch(touch, size, tick, up)
        if first is None:
            return []
        levels = [first]
        if size is None:
            return levels
        slip = self._slip_up if up else self._slip_down
        for i in range(1, self._depth):
            away = self._step * i
            price = _round(first[0] * (ONE + away if up else ONE - away), tick, up)
            if price <= 0:
                break
            levels.append((price, _round(price * slip, tick, up), size))
        return levels


def _event(kind: type[E], account: _Account, now: int, **fields: Any) -> E:
    """The account's next venue event (its ``venue_seq`` moves on by one), stamped ``now``."""
    account.seq += 1
    return kind(ts_recv=now, account_id=account.account_id, ts_event=now, venue_seq=account.seq, **fields)


def _stop_trigger(book: _Book, buy: bool) -> Decimal | None:
    """The price a stop is checked against: the last trade, else the touch a buy (sell) would take."""
    if book.last is not None:
        return book.last
    return book.ask if buy else book.bid


def _through(market: Decimal, price: Decimal, up: bool) -> bool:
    """Whether ``market`` is at or beyond ``price`` going up (a buy stop reached, a sell limit crossed), else down."""
    return market >= price if up else market <= price


def _walk(
    levels: list[Level], qty: Decimal, limit: Decimal | None, buy: bool
) -> tuple[list[tuple[Decimal, Decimal]], Decimal, Decimal]:
    """Take up to ``qty`` from ``levels`` (not past ``limit``): ([(price, qty)], taken, notional)."""
    takes: list[tuple[Decimal, Decimal]] = []
    remaining = qty
    notional = ZERO
    for book_price, taker_price, size in levels:
        price = taker_price
        if limit is not None:
            if (book_price > limit) if buy else (book_price < limit):
                break
            if (price > limit) if buy else (price < limit):
                price = limit
        take = remaining if size is None or size >= remaining else size
        takes.append((price, take))
        notional += price * take
        remaining -= take
        if not remaining:
            break
    return takes, qty - remaining, notional


def _key(rec: _Rec) -> tuple[Decimal, int]:
    return rec.key


def _id_number(venue_id: str | None, prefix: str) -> int:
    if venue_id and venue_id.startswith(prefix) and venue_id[len(prefix) :].isdigit():
        return int(venue_id[len(prefix) :])
    return 0
