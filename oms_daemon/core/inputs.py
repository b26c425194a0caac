"""Every input the core accepts. One input = one journal record, in the order applied.

The shell stamps ``ts_recv`` (integer ns) when it takes an input in; venue inputs also carry the
venue's own ``ts_event`` and, where the venue has one, its stream sequence number ``venue_seq``.
"""

from decimal import Decimal

import msgspec

from oms_daemon.core.config import CoreConfig
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.core.events import AnyVenueCommand
from oms_daemon.core.model import BookLevel

__all__ = [
    "AnyInput",
    "BalancesSnapshot",
    "BookLevel",
    "CancelOrder",
    "ClockStep",
    "CloseAll",
    "ClosePosition",
    "CommandDeadLettered",
    "DropDeadLetter",
    "Input",
    "Intent",
    "JournalSpace",
    "KillSwitch",
    "MarketQuote",
    "OpenOrdersSnapshot",
    "OperatorCommand",
    "OrderRequest",
    "PositionsSnapshot",
    "PreviewOrder",
    "ReconciliationSnapshot",
    "RedriveDeadLetter",
    "ReplaceOrder",
    "RequestReconciliation",
    "SessionStarted",
    "SetArmed",
    "SetSafeMode",
    "StreamHeartbeat",
    "SubmitOrder",
    "SubmitOutcomeUnknown",
    "TimerTick",
    "VenueAvailability",
    "VenueBalance",
    "VenueCancelRejected",
    "VenueEvent",
    "VenueFill",
    "VenueOrderAccepted",
    "VenueOrderCanceled",
    "VenueOrderExpired",
    "VenueOrderRejected",
    "VenueOrderReplaced",
    "VenueOrderReport",
    "VenueOrderStatus",
    "VenuePosition",
    "VenueReplaceRejected",
    "VenueStreamGap",
]


class Input(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True, omit_defaults=True):
    """Base of every input; ``ts_recv`` is when the shell took it in."""

    ts_recv: int


# --- session -------------------------------------------------------------------------------------


class SessionStarted(Input, kw_only=True):
    """First input of every daemon run: the configuration the core runs with."""

    config: CoreConfig


class TimerTick(Input, kw_only=True):
    """A heartbeat of event time; drives staleness and timeouts."""


# --- strategy intents ----------------------------------------------------------------------------


class Intent(Input, kw_only=True):
    """A request from a strategy; answered by exactly one ``Replied``."""

    request_id: str
    account_id: str
    strategy_id: str


class OrderRequest(Intent, kw_only=True):
    """The fields of a new order, shared by submit and preview."""

    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Decimal | None = None
    stop_price: Decimal | None = None
    post_only: bool = False
    reduce_only: bool = False
    idempotency_key: str | None = None
    position_id: int | None = None


class SubmitOrder(OrderRequest, kw_only=True):
    """Place a new order."""


class PreviewOrder(OrderRequest, kw_only=True):
    """What a ``SubmitOrder`` would do, without placing anything."""


class CancelOrder(Intent, kw_only=True):
    """Cancel a working order by OMS order id."""

    order_id: int


class ReplaceOrder(Intent, kw_only=True):
    """Change quantity and/or prices of a working order; the replacement gets a new order id."""

    order_id: int
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None


class ClosePosition(Intent, kw_only=True):
    """Flatten (or reduce by ``quantity``) a symbol's position, or one ticket in hedging mode."""

    symbol: str
    quantity: Decimal | None = None
    position_id: int | None = None


class CloseAll(Intent, kw_only=True):
    """Flatten every open position of the account (optionally one symbol)."""

    symbol: str | None = None


# --- venue events ------------------------------------------------------------------------------------


class VenueEvent(Input, kw_only=True):
    """Something a venue told us about one account."""

    account_id: str
    ts_event: int = 0
    venue_seq: int | None = None


class VenueOrderAccepted(VenueEvent, kw_only=True):
    """The venue acknowledged an order."""

    client_order_id: str
    venue_order_id: str


class VenueOrderRejected(VenueEvent, kw_only=True):
    """The venue refused an order."""

    client_order_id: str
    reason: str
    message: str = ""


class VenueFill(VenueEvent, kw_only=True):
    """An execution; ``trade_id`` is the venue's unique id of it."""

    client_order_id: str | None
    trade_id: str
    symbol: str
    side: OrderSide
    price: Decimal
    quantity: Decimal
    commission: Decimal = Decimal(0)
    commission_currency: str | None = None
    venue_order_id: str | None = None
    reconciliation: bool = False


class StreamHeartbeat(VenueEvent, kw_only=True):
    """The account's user stream is alive (adapters send it while connected, even when quiet)."""


class VenueOrderCanceled(VenueEvent, kw_only=True):
    """The venue canceled an order (by request or on its own, e.g. IOC remainder)."""

    client_order_id: str
    venue_order_id: str | None = None


class VenueOrderExpired(VenueEvent, kw_only=True):
    """The venue expired an order (time in force ran out)."""

    client_order_id: str
    venue_order_id: str | None = None


class VenueOrderReplaced(VenueEvent, kw_only=True):
    """The venue applied a replace: ``orig_client_order_id`` is gone, ``client_order_id`` works."""

    client_order_id: str
    orig_client_order_id: str
    venue_order_id: str | None = None


class VenueCancelRejected(VenueEvent, kw_only=True):
    """The venue refused a cancel request."""

    client_order_id: str
    reason: str


class VenueReplaceRejected(VenueEvent, kw_only=True):
    """The venue refused a replace request (``client_order_id`` is the replacement's)."""

    client_order_id: str
    orig_client_order_id: str
    reason: str


class SubmitOutcomeUnknown(VenueEvent, kw_only=True):
    """A submit was sent but its outcome is not known (timeout, connection reset)."""

    client_order_id: str
    reason: str


class VenueStreamGap(VenueEvent, kw_only=True):
    """The adapter saw the venue's user stream skip an event of an order: the venue reports
    ``venue_filled`` (cumulative) while the stream delivered fewer fills, or REST found a trade the stream never
    delivered. Venues without sequence numbers (Binance spot) show their gaps only this way."""

    client_order_id: str
    symbol: str
    venue_filled: Decimal
    reason: str


class VenueOrderStatus(VenueEvent, kw_only=True):
    """Answer to a query by client order id; ``status`` None means the venue does not know it."""

    client_order_id: str
    status: OrderStatus | None
    venue_order_id: str | None = None
    filled_qty: Decimal | None = None


# --- venue snapshots --------------------------------------------------------------------------------


class VenueOrderReport(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One open order as a venue snapshot lists it."""

    client_order_id: str | None
    venue_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    filled_qty: Decimal = Decimal(0)
    price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus = OrderStatus.NEW


class VenuePosition(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One position as a venue snapshot lists it (signed quantity)."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal | None = None


class VenueBalance(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One currency balance as a venue snapshot lists it."""

    currency: str
    total: Decimal
    free: Decimal | None = None


class OpenOrdersSnapshot(VenueEvent, kw_only=True):
    """Every open order the venue has for the account."""

    orders: tuple[VenueOrderReport, ...] = ()


class PositionsSnapshot(VenueEvent, kw_only=True):
    """Every position the venue has for the account."""

    positions: tuple[VenuePosition, ...] = ()


class BalancesSnapshot(VenueEvent, kw_only=True):
    """Every balance the venue has for the account; overwrites ours."""

    balances: tuple[VenueBalance, ...] = ()


class ReconciliationSnapshot(VenueEvent, kw_only=True):
    """One reconciliation pass: the venue's open orders, positions and balances, taken together.

    The reconciliation worker sends the venue's recent fills first (as ``VenueFill`` with
    ``reconciliation=True``; known trade ids are dropped), then this.
    """

    orders: tuple[VenueOrderReport, ...] = ()
    positions: tuple[VenuePosition, ...] = ()
    balances: tuple[VenueBalance, ...] = ()
    reason: str = ""


# --- venue health and dead letters (journaled by the resiliency layer, see core/dlq.py) ------------------


class VenueAvailability(Input, kw_only=True):
    """A venue connection's circuit breaker opened (``available`` False) or closed again for an account."""

    account_id: str
    available: bool
    reason: str = ""


class CommandDeadLettered(Input, kw_only=True):
    """A venue command exhausted its retries; it waits in the dead-letter queue for an operator."""

    account_id: str
    command: AnyVenueCommand
    error: str
    attempts: int = 0


# --- the daemon's own health (see core/health.py) ---------------------------------------------------------


class ClockStep(Input, kw_only=True):
    """The wall clock is ``behind_ns`` behind event time (it stepped back), or agrees again (``behind_ns`` 0).

    Event time goes on at the monotonic clock's rate meanwhile (the shell's ``EventClock``), so nothing in the
    core that waits on time stalls."""

    behind_ns: int


class JournalSpace(Input, kw_only=True):
    """The journal's disk ran low (``low``: below the low-water mark, or its reserve spent) or has room again."""

    low: bool
    free_bytes: int
    reason: str = ""


# --- market data -------------------------------------------------------------------------------------


class MarketQuote(Input, kw_only=True):
    """Best bid/ask and/or last trade of one symbol, with book depth where the venue streams it."""

    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    last: Decimal | None = None
    ts_event: int = 0
    bids: tuple[BookLevel, ...] = ()
    asks: tuple[BookLevel, ...] = ()


# --- operator commands -----------------------------------------------------------------------------


class OperatorCommand(Input, kw_only=True):
    """A control-plane action; ``operator`` says who asked, for the audit trail."""

    operator: str
    request_id: str = ""
    account_id: str | None = None
    reason: str = ""


class SetSafeMode(OperatorCommand, kw_only=True):
    """Enter or leave SAFE mode (no new risk; cancels and reducing orders still go)."""

    enabled: bool


class KillSwitch(OperatorCommand, kw_only=True):
    """Cancel all working orders, optionally flatten, and disarm."""

    flatten: bool = False


class RequestReconciliation(OperatorCommand, kw_only=True):
    """Ask for a reconciliation pass now (of one account, or every account)."""


class SetArmed(OperatorCommand, kw_only=True):
    """Arm (allow sending to the venue) or disarm an account."""

    armed: bool


class RedriveDeadLetter(OperatorCommand, kw_only=True):
    """Send a dead-lettered venue command again (if its order still needs it) and take it off the queue."""

    entry_id: int


class DropDeadLetter(OperatorCommand, kw_only=True):
    """Take a dead-lettered command off the queue without sending it; its order is settled as not sent."""

    entry_id: int


AnyInput = (
    SessionStarted
    | TimerTick
    | SubmitOrder
    | PreviewOrder
    | CancelOrder
    | ReplaceOrder
    | ClosePosition
    | CloseAll
    | VenueOrderAccepted
    | VenueOrderRejected
    | VenueFill
    | VenueOrderCanceled
    | VenueOrderExpired
    | VenueOrderReplaced
    | VenueCancelRejected
    | VenueReplaceRejected
    | SubmitOutcomeUnknown
    | VenueOrderStatus
    | VenueStreamGap
    | OpenOrdersSnapshot
    | PositionsSnapshot
    | BalancesSnapshot
    | MarketQuote
    | StreamHeartbeat
    | ReconciliationSnapshot
    | RequestReconciliation
    | SetSafeMode
    | KillSwitch
    | SetArmed
    | VenueAvailability
    | CommandDeadLettered
    | RedriveDeadLetter
    | DropDeadLetter
    | JournalSpace
    | ClockStep
)
"""Every concrete input: the type the journal decodes."""
