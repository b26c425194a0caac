"""Read models over ``OmsState``: what queries (ZeroMQ now, HTTP later) and the event stream show.

Pure functions of state, no IO. Money, prices and quantities stay ``Decimal`` (msgspec encodes them
as strings). Listings page by id: ``cursor`` is the last id of the previous page and
``next_cursor`` is set while more items match.
"""

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Context, Decimal
from enum import StrEnum
from typing import Any, Generic, Literal, Protocol, TypeVar

import msgspec

from oms_daemon.core.balances import free_balance, used_margin
from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import (
    AccountKind,
    AlertSeverity,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionMode,
    TimeInForce,
)
from oms_daemon.core.events import AlertRaised, ModeChanged, PositionsMarkedDirty
from oms_daemon.core.model import ZERO, Fill, Order, Position, Quote
from oms_daemon.core.positions import unrealized_pnl
from oms_daemon.core.preview import Preview
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import WORKING

__all__ = [
    "AccountView",
    "AlertView",
    "BalanceView",
    "DirtyView",
    "FillView",
    "ListingQuery",
    "MarketView",
    "ModeChangeView",
    "OrderView",
    "Page",
    "PositionSide",
    "PositionView",
    "PreviewView",
    "QuoteView",
    "RefusalView",
    "Scope",
    "StatusView",
    "account_view",
    "accounts",
    "alert_view",
    "dirty_view",
    "fill_view",
    "fills",
    "filters",
    "mark_price",
    "market_view",
    "markets",
    "mode_change_view",
    "order_view",
    "orders",
    "position_view",
    "positions",
    "preview_view",
    "quote_view",
    "status",
]

T = TypeVar("T")
V = TypeVar("V")
Item = TypeVar("Item", Order, Fill, Position)
Scope = Literal["open", "history", "all"]
"""Which items a listing covers: working/open ones, finished ones, or both."""

_CTX = Context(prec=34)
_TWO = Decimal(2)


class PositionSide(StrEnum):
    """Direction of a position's open quantity."""

    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


class ListingQuery(Protocol):
    """What a listing request carries besides its account and strategy (the HTTP and ZeroMQ queries do)."""

    @property
    def symbol(self) -> str | None: ...
    @property
    def since(self) -> int | None: ...
    @property
    def cursor(self) -> int | None: ...
    @property
    def limit(self) -> int: ...
    @property
    def newest_first(self) -> bool: ...


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a listing; pass ``next_cursor`` back as ``cursor`` for the next page (None: no more)."""

    items: list[T]
    next_cursor: int | None = None


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """An order as clients see it; ``is_open`` while it works at (or is on its way to) the venue."""

    order_id: int
    client_order_id: str
    venue_order_id: str | None
    account_id: str
    strategy_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    post_only: bool
    reduce_only: bool
    status: OrderStatus
    is_open: bool
    filled_qty: Decimal
    leaves_qty: Decimal
    avg_fill_price: Decimal | None
    commission: Decimal
    commission_currency: str | None
    idempotency_key: str | None
    position_id: int | None
    replaces_id: int | None
    replaced_by_id: int | None
    reason: str | None
    message: str | None
    external: bool
    ts_created: int
    ts_event: int
    ts_updated: int


class FillView(msgspec.Struct, frozen=True, kw_only=True):
    """One booked execution."""

    fill_id: int
    account_id: str
    strategy_id: str | None
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    trade_id: str
    commission: Decimal
    commission_currency: str | None
    order_id: int | None
    client_order_id: str | None
    venue_order_id: str | None
    position_id: int | None
    realized_pnl: Decimal
    reconciliation: bool
    ts_event: int
    ts_recv: int


class PositionView(msgspec.Struct, frozen=True, kw_only=True):
    """A position with its mark (mid, else last) and unrealized PnL; ``quantity`` is signed."""

    position_id: int
    account_id: str
    symbol: str
    strategy_id: str | None
    side: PositionSide
    quantity: Decimal
    avg_price: Decimal
    mark_price: Decimal | None
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    commission: Decimal
    peak_quantity: Decimal
    is_open: bool
    dirty: bool
    opened_by_order_id: int | None
    ts_opened: int
    ts_updated: int
    ts_closed: int | None


class BalanceView(msgspec.Struct, frozen=True, kw_only=True):
    """One currency of an account: ``locked`` by working orders or margin, ``available`` to trade."""

    currency: str
    balance: Decimal
    locked: Decimal
    available: Decimal
    unrealized_pnl: Decimal
    equity: Decimal


class DirtyView(msgspec.Struct, frozen=True, kw_only=True):
    """Positions of (account, symbol) that cannot be trusted until reconciled (``dirty`` False: trusted again)."""

    account_id: str
    symbol: str
    dirty: bool
    reason: str


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    """An account: configuration, safety mode, balances per currency and untrusted symbols."""

    account_id: str
    venue: str
    kind: AccountKind
    position_mode: PositionMode
    settlement_currency: str
    safe: bool
    armed: bool
    killed: bool
    used_margin: Decimal
    balances: list[BalanceView]
    dirty: list[DirtyView]
    ts_updated: int


class ModeChangeView(msgspec.Struct, frozen=True, kw_only=True):
    """An account's new safety mode and who changed it."""

    account_id: str
    safe: bool
    armed: bool
    killed: bool
    operator: str
    reason: str


class AlertView(msgspec.Struct, frozen=True, kw_only=True):
    """Something an operator should see."""

    code: str
    severity: AlertSeverity
    message: str
    account_id: str | None
    symbol: str | None
    order_id: int | None
    amount: Decimal | None


class QuoteView(msgspec.Struct, frozen=True, kw_only=True):
    """Last quote of a symbol with its mid."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    last: Decimal | None
    mid: Decimal | None
    ts_event: int
    ts_recv: int


class MarketView(msgspec.Struct, frozen=True, kw_only=True):
    """An instrument as one account trades it: currencies, trading rules and the account's kind."""

    symbol: str
    base_currency: str
    quote_currency: str
    settlement_currency: str
    account_kind: AccountKind
    position_mode: PositionMode
    multiplier: Decimal
    tick_size: Decimal | None
    step_size: Decimal | None
    min_qty: Decimal | None
    min_notional: Decimal | None
    margin_rate: Decimal
    fee_bps: Decimal


class RefusalView(msgspec.Struct, frozen=True, kw_only=True):
    """One reason an order would be refused (``reason`` is a stable code)."""

    reason: str
    message: str


class PreviewView(msgspec.Struct, frozen=True, kw_only=True):
    """What an order would cost and do; ``refusals`` lists every check it would fail (empty: it would go)."""

    symbol: str
    side: OrderSide
    quantity: Decimal
    reference_price: Decimal | None
    notional: Decimal | None
    estimated_fee: Decimal | None
    slippage_estimate: Decimal | None
    margin_impact: Decimal | None
    margin_used: Decimal | None
    position_before: Decimal
    position_after: Decimal
    exposure_long_after: Decimal
    exposure_short_after: Decimal
    reducing: bool
    refusals: list[RefusalView]


class StatusView(msgspec.Struct, frozen=True, kw_only=True):
    """Daemon summary: accounts with modes, working orders (first ``limit``), open positions, counts."""

    instance_id: str | None
    last_ts: int
    accounts: list[AccountView]
    open_orders: list[OrderView]
    open_order_count: int
    positions: list[PositionView]
    order_count: int
    fill_count: int


# --- single items ----------------------------------------------------------------------------------


def mark_price(quote: Quote | None) -> Decimal | None:
    """Price open positions are marked at: the mid when both sides are quoted, else the last trade."""
    if quote is None:
        return None
    if quote.bid is not None and quote.ask is not None:
        return _CTX.divide(quote.bid + quote.ask, _TWO)
    return quote.last


def order_view(order: Order) -> OrderView:
    """The view of one order."""
    return OrderView(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        account_id=order.account_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        time_in_force=order.time_in_force,
        quantity=order.quantity,
        price=order.price,
        stop_price=order.stop_price,
        post_only=order.post_only,
        reduce_only=order.reduce_only,
        status=order.status,
        is_open=order.status in WORKING,
        filled_qty=order.filled_qty,
        leaves_qty=order.leaves_qty if order.status in WORKING else ZERO,
        avg_fill_price=order.avg_fill_price,
        commission=order.commission,
        commission_currency=order.commission_currency,
        idempotency_key=order.idempotency_key,
        position_id=order.position_id,
        replaces_id=order.replaces_id,
        replaced_by_id=order.replaced_by_id,
        reason=order.reason,
        message=order.message,
        external=order.external,
        ts_created=order.ts_created,
        ts_event=order.ts_event,
        ts_updated=order.ts_recv,
    )


def fill_view(fill: Fill) -> FillView:
    """The view of one fill."""
    return FillView(
        fill_id=fill.fill_id,
        account_id=fill.account_id,
        strategy_id=fill.strategy_id,
        symbol=fill.symbol,
        side=fill.side,
        quantity=fill.quantity,
        price=fill.price,
        trade_id=fill.trade_id,
        commission=fill.commission,
        commission_currency=fill.commission_currency,
        order_id=fill.order_id,
        client_order_id=fill.client_order_id,
        venue_order_id=fill.venue_order_id,
        position_id=fill.position_id,
        realized_pnl=fill.realized_pnl,
        reconciliation=fill.reconciliation,
        ts_event=fill.ts_event,
        ts_recv=fill.ts_recv,
    )


def position_view(state: OmsState, position: Position) -> PositionView:
    """The view of one position, marked at the symbol's last quote."""
    instrument = state.instruments.get(position.symbol)
    multiplier = instrument.multiplier if instrument is not None else Decimal(1)
    mark = mark_price(state.quotes.get(position.symbol)) if position.is_open else None
    quantity = position.quantity
    side = PositionSide.LONG if quantity > 0 else PositionSide.SHORT if quantity < 0 else PositionSide.FLAT
    return PositionView(
        position_id=position.position_id,
        account_id=position.account_id,
        symbol=position.symbol,
        strategy_id=position.strategy_id,
        side=side,
        quantity=quantity,
        avg_price=position.avg_price,
        mark_price=mark,
        unrealized_pnl=unrealized_pnl(position, mark, multiplier),
        realized_pnl=position.realized_pnl,
        commission=position.commission,
        peak_quantity=position.peak_quantity,
        is_open=position.is_open,
        dirty=(position.account_id, position.symbol) in state.dirty,
        opened_by_order_id=position.opened_by_order_id,
        ts_opened=position.ts_opened,
        ts_updated=position.ts_updated,
        ts_closed=position.ts_closed,
    )


def account_view(state: OmsState, account_id: str) -> AccountView | None:
    """The view of one configured account (None if the account is not configured)."""
    config = state.account_configs.get(account_id)
    if config is None:
        return None
    account = state.accounts.get(account_id)
    balances = account.balances if account is not None else {}
    margin = config.kind is AccountKind.MARGIN
    unrealized: dict[str, Decimal] = {}
    if margin:
        for position in _open_positions(state, account_id, None):
            instrument = state.instruments.get(position.symbol)
            if instrument is None:
                continue
            pnl = unrealized_pnl(position, mark_price(state.quotes.get(position.symbol)), instrument.multiplier)
            unrealized[instrument.quote_currency] = unrealized.get(instrument.quote_currency, ZERO) + pnl
    rows = []
    for currency in sorted(set(balances) | set(unrealized)):
        balance = balances.get(currency, ZERO)
        available = free_balance(state, account_id, currency)
        pnl = unrealized.get(currency, ZERO)
        rows.append(
            BalanceView(
                currency=currency,
                balance=balance,
                locked=balance - available,
                available=available,
                unrealized_pnl=pnl,
                equity=balance + pnl,
            )
        )
    mode = state.mode(account_id)
    return AccountView(
        account_id=account_id,
        venue=config.venue,
        kind=config.kind,
        position_mode=config.position_mode,
        settlement_currency=config.settlement_currency,
        safe=mode.safe,
        armed=mode.armed,
        killed=mode.killed,
        used_margin=used_margin(state, account_id) if margin else ZERO,
        balances=rows,
        dirty=[
            DirtyView(account_id=acct, symbol=symbol, dirty=True, reason=reason)
            for (acct, symbol), reason in sorted(state.dirty.items())
            if acct == account_id
        ],
        ts_updated=account.ts_updated if account is not None else 0,
    )


def mode_change_view(event: ModeChanged) -> ModeChangeView:
    """The view of a mode change."""
    return ModeChangeView(
        account_id=event.account_id,
        safe=event.safe,
        armed=event.armed,
        killed=event.killed,
        operator=event.operator,
        reason=event.reason,
    )


def dirty_view(event: PositionsMarkedDirty) -> DirtyView:
    """The view of positions becoming untrusted (or trusted again)."""
    return DirtyView(account_id=event.account_id, symbol=event.symbol, dirty=event.dirty, reason=event.reason)


def alert_view(event: AlertRaised) -> AlertView:
    """The view of an alert."""
    return AlertView(
        code=event.code,
        severity=event.severity,
        message=event.message,
        account_id=event.account_id,
        symbol=event.symbol,
        order_id=event.order_id,
        amount=event.amount,
    )


def preview_view(preview: Preview) -> PreviewView:
    """The view of a preview."""
    return PreviewView(
        symbol=preview.symbol,
        side=preview.side,
        quantity=preview.quantity,
        reference_price=preview.reference_price,
        notional=preview.notional,
        estimated_fee=preview.estimated_fee,
        slippage_estimate=preview.slippage_estimate,
        margin_impact=preview.margin_impact,
        margin_used=preview.margin_used,
        position_before=preview.position_before,
        position_after=preview.position_after,
        exposure_long_after=preview.exposure_long_after,
        exposure_short_after=preview.exposure_short_after,
        reducing=preview.reducing,
        refusals=[RefusalView(reason=r.reason, message=r.message) for r in preview.refusals],
    )


def quote_view(quote: Quote) -> QuoteView:
    """The view of a quote."""
    return QuoteView(
        symbol=quote.symbol,
        bid=quote.bid,
        ask=quote.ask,
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
        last=quote.last,
        mid=mark_price(quote) if quote.bid is not None and quote.ask is not None else None,
        ts_event=quote.ts_event,
        ts_recv=quote.ts_recv,
    )


def market_view(account: AccountConfig, instrument: Instrument) -> MarketView:
    """The view of one instrument for one account."""
    return MarketView(
        symbol=instrument.symbol,
        base_currency=instrument.base_currency,
        quote_currency=instrument.quote_currency,
        settlement_currency=account.settlement_currency,
        account_kind=account.kind,
        position_mode=account.position_mode,
        multiplier=instrument.multiplier,
        tick_size=instrument.tick_size,
        step_size=instrument.step_size,
        min_qty=instrument.min_qty,
        min_notional=instrument.min_notional,
        margin_rate=instrument.margin_rate,
        fee_bps=instrument.fee_bps,
    )


# --- listings -----------------------------------------------------------------------------------------


def orders(
    state: OmsState,
    *,
    account: str | None = None,
    strategy: str | None = None,
    symbol: str | None = None,
    statuses: Collection[OrderStatus] | None = None,
    scope: Scope = "all",
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> Page[OrderView]:
    """Orders matching every given filter, by order id; ``since`` keeps those updated at or after it (ns)."""
    open_ids = (
        oid
        for (acct, sym), oids in state.open_orders.items()
        if _key_matches(acct, sym, account, symbol)
        for oid in oids
    )
    candidates = _scoped(scope, open_ids, state.orders, state.next_order_id, cursor, newest_first)
    wanted = set(statuses) if statuses else None
    matches = (
        (order.order_id, order)
        for order in _owned(candidates, account, strategy, symbol)
        if (wanted is None or order.status in wanted)
        and (scope != "history" or order.status not in WORKING)
        and (since is None or order.ts_recv >= since)
    )
    return _page(matches, limit, order_view)


def fills(
    state: OmsState,
    *,
    account: str | None = None,
    strategy: str | None = None,
    symbol: str | None = None,
    order_id: int | None = None,
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> Page[FillView]:
    """Fills matching every given filter, by fill id; ``since`` keeps those received at or after it (ns)."""
    candidates = _by_id(state.fills, state.next_fill_id, cursor, newest_first)
    matches = (
        (fill.fill_id, fill)
        for fill in _owned(candidates, account, strategy, symbol)
        if (order_id is None or fill.order_id == order_id) and (since is None or fill.ts_recv >= since)
    )
    return _page(matches, limit, fill_view)


def positions(
    state: OmsState,
    *,
    account: str | None = None,
    strategy: str | None = None,
    symbol: str | None = None,
    scope: Scope = "open",
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> Page[PositionView]:
    """Positions matching every given filter, by position id; ``since`` keeps those updated at or after it."""
    open_ids = (p.position_id for p in _open_positions(state, account, symbol))
    candidates = _scoped(scope, open_ids, state.positions, state.next_position_id, cursor, newest_first)
    matches = (
        (position.position_id, position)
        for position in _owned(candidates, account, strategy, symbol)
        if (scope != "history" or not position.is_open) and (since is None or position.ts_updated >= since)
    )
    return _page(matches, limit, lambda position: position_view(state, position))


def filters(query: ListingQuery, account: str | None, strategy: str | None) -> dict[str, Any]:
    """The keyword filters ``orders``, ``fills`` and ``positions`` all take, from a listing request."""
    return {
        "account": account,
        "strategy": strategy,
        "symbol": query.symbol,
        "since": query.since,
        "cursor": query.cursor,
        "limit": query.limit,
        "newest_first": query.newest_first,
    }


def markets(state: OmsState, account: str) -> list[MarketView]:
    """Instruments ``account`` may trade (every instrument when it lists no symbols), by symbol."""
    config = state.account_configs.get(account)
    if config is None:
        return []
    symbols = config.symbols or tuple(state.instruments)
    return [market_view(config, state.instruments[s]) for s in sorted(symbols) if s in state.instruments]


def accounts(state: OmsState, account: str | None = None) -> list[AccountView]:
    """Every configured account (or just ``account``), by account id."""
    ids = sorted(state.account_configs) if account is None else [account]
    return [view for acct in ids if (view := account_view(state, acct)) is not None]


def status(state: OmsState, account: str | None = None, limit: int = 100) -> StatusView:
    """Summary of the daemon (or one account) for ``omsd status`` and dashboards."""
    working = orders(state, account=account, scope="open", limit=limit)
    open_count = sum(
        len(oids) for (acct, sym), oids in state.open_orders.items() if _key_matches(acct, sym, account, None)
    )
    return StatusView(
        instance_id=state.config.instance_id if state.config is not None else None,
        last_ts=state.last_ts,
        accounts=accounts(state, account),
        open_orders=working.items,
        open_order_count=open_count,
        positions=[position_view(state, p) for p in sorted(_open_positions(state, account, None), key=_position_id)],
        order_count=len(state.orders)
        if account is None
        else sum(1 for o in state.orders.values() if o.account_id == account),
        fill_count=len(state.fills)
        if account is None
        else sum(1 for f in state.fills.values() if f.account_id == account),
    )


# --- helpers ----------------------------------------------------------------------------------------------


def _position_id(position: Position) -> int:
    return position.position_id


def _key_matches(acct: str, sym: str, account: str | None, symbol: str | None) -> bool:
    return (account is None or acct == account) and (symbol is None or sym == symbol)


def _open_positions(state: OmsState, account: str | None, symbol: str | None) -> Iterator[Position]:
    for (acct, sym), pids in state.open_positions.items():
        if _key_matches(acct, sym, account, symbol):
            for pid in pids:
                yield state.positions[pid]


def _owned(items: Iterable[Item], account: str | None, strategy: str | None, symbol: str | None) -> Iterator[Item]:
    """The items of ``account``, ``strategy`` and ``symbol`` (each None: any)."""
    return (
        item
        for item in items
        if (account is None or item.account_id == account)
        and (strategy is None or item.strategy_id == strategy)
        and (symbol is None or item.symbol == symbol)
    )


def _scoped(
    scope: Scope, open_ids: Iterable[int], table: Mapping[int, T], next_id: int, cursor: int | None, newest_first: bool
) -> Iterator[T]:
    """Candidates of a listing in id order: the open items (``open_ids``) for the open scope, else every item."""
    if scope == "open":
        return (table[i] for i in _after(sorted(open_ids, reverse=newest_first), cursor, newest_first))
    return _by_id(table, next_id, cursor, newest_first)


def _after(ids: list[int], cursor: int | None, newest_first: bool) -> list[int]:
    if cursor is None:
        return ids
    return [i for i in ids if i < cursor] if newest_first else [i for i in ids if i > cursor]


def _by_id(table: Mapping[int, T], next_id: int, cursor: int | None, newest_first: bool) -> Iterator[T]:
    """Items of an id-keyed table in id order (ids are allocated 1, 2, … below ``next_id``)."""
    if newest_first:
        top = next_id - 1 if cursor is None else min(cursor - 1, next_id - 1)
        span = range(top, 0, -1)
    else:
        span = range(1 if cursor is None else max(cursor + 1, 1), next_id)
    for item_id in span:
        item = table.get(item_id)
        if item is not None:
            yield item


def _page(matches: Iterator[tuple[int, T]], limit: int, view: Callable[[T], V]) -> Page[V]:
    items: list[V] = []
    last_id = None
    for item_id, item in matches:
        if len(items) == limit:
            return Page(items=items, next_cursor=last_id)
        items.append(view(item))
        last_id = item_id
    return Page(items=items, next_cursor=None)
