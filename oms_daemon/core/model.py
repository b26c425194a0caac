"""Entities the core owns: orders, fills (deals), positions, accounts and the last quote per symbol.

All are frozen msgspec Structs; a change produces a new version (``msgspec.structs.replace``).
Prices, quantities and money are ``Decimal``; timestamps are integer nanoseconds.
"""

from decimal import Decimal

import msgspec

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce

__all__ = ["ZERO", "Account", "BookLevel", "Fill", "Order", "Position", "Quote"]

ZERO = Decimal(0)


class Order(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One order as the OMS knows it; ``order_id`` is the OMS's public id."""

    order_id: int
    client_order_id: str
    account_id: str
    strategy_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Decimal | None = None
    stop_price: Decimal | None = None
    post_only: bool = False
    reduce_only: bool = False
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    commission: Decimal = ZERO
    commission_currency: str | None = None
    venue_order_id: str | None = None
    idempotency_key: str | None = None
    position_id: int | None = None
    replaces_id: int | None = None
    replaced_by_id: int | None = None
    reason: str | None = None
    message: str | None = None
    external: bool = False
    ts_created: int = 0
    ts_event: int = 0
    ts_recv: int = 0

    @property
    def leaves_qty(self) -> Decimal:
        """Quantity still working (never negative)."""
        leaves = self.quantity - self.filled_qty
        return leaves if leaves > 0 else ZERO

    @property
    def acknowledged(self) -> bool:
        """Whether the venue has shown it has this order (its id, a fill): until then its submit may still be on
        the way, and "no such order" only means "not yet", within the account's lookup grace."""
        return self.venue_order_id is not None or self.filled_qty > 0


class Fill(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One execution (a deal): booked once per venue trade id."""

    fill_id: int
    account_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    trade_id: str
    commission: Decimal = ZERO
    commission_currency: str | None = None
    order_id: int | None = None
    client_order_id: str | None = None
    venue_order_id: str | None = None
    strategy_id: str | None = None
    position_id: int | None = None
    realized_pnl: Decimal = ZERO
    reconciliation: bool = False
    ts_event: int = 0
    ts_recv: int = 0

    @property
    def signed_qty(self) -> Decimal:
        """Quantity signed by side (+ buy, - sell)."""
        return self.quantity if self.side == OrderSide.BUY else -self.quantity


class Position(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """A position (or an MT5-style ticket) from the fill sum; closed ones stay in history."""

    position_id: int
    account_id: str
    symbol: str
    entry_side: OrderSide
    quantity: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    commission: Decimal = ZERO
    peak_quantity: Decimal = ZERO
    opened_by_order_id: int | None = None
    strategy_id: str | None = None
    ts_opened: int = 0
    ts_updated: int = 0
    ts_closed: int | None = None

    @property
    def is_open(self) -> bool:
        """True until the position has gone back to flat."""
        return self.ts_closed is None


class Account(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Cash balance per currency of one account (margin and equity are derived on read)."""

    account_id: str
    balances: dict[str, Decimal] = msgspec.field(default_factory=dict)
    ts_updated: int = 0


class BookLevel(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One price level of an order book: price and the quantity shown there."""

    price: Decimal
    size: Decimal


class Quote(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """Best bid/ask, last trade and (where the venue streams it) book depth of one symbol: the local book."""

    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last: Decimal | None = None
    ts_event: int = 0
    ts_recv: int = 0
    bids: tuple[BookLevel, ...] = ()
    asks: tuple[BookLevel, ...] = ()
