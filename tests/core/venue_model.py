"""A venue's truth for closed-loop core tests: the orders it has, their fills, and how it answers commands.

It answers the way the ccxt adapter reports Binance: a lookup sends the order's trades first, then its status
("no such order" for one it never got); a cancel of an order it does not have working is refused
``order_not_found``; a reconciliation pass sends every recent trade (as reconciliation fills), then one snapshot.
The daemon leaves the reconciliation fills the core already booked out of the journal (``known_fill``): so
does ``admitted`` here.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.events import CancelAtVenue, Event, QueryAtVenue, SnapshotRequested
from oms_daemon.core.inputs import (
    Input,
    ReconciliationSnapshot,
    VenueCancelRejected,
    VenueFill,
    VenueOrderCanceled,
    VenueOrderReport,
    VenueOrderStatus,
    VenuePosition,
)
from oms_daemon.core.model import Order
from oms_daemon.core.reconcile import known_fill
from oms_daemon.core.state import OmsState

__all__ = ["ModelVenue", "VenueOrder", "admitted"]

S = OrderStatus
ZERO = Decimal(0)


@dataclass
class VenueOrder:
    """One order as the venue has it."""

    order: Order
    venue_order_id: str
    status: OrderStatus = S.NEW
    trades: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def filled(self) -> Decimal:
        return sum((q for _, q in self.trades), ZERO)

    @property
    def working(self) -> bool:
        return self.status in (S.NEW, S.PARTIALLY_FILLED)


class ModelVenue:
    """The venue of one account: orders by client order id, answers to core venue commands."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.orders: dict[str, VenueOrder] = {}
        self.cancels = 0
        self.lookups = 0
        self.passes = 0

    def arrive(self, order: Order, fill: Decimal = ZERO) -> VenueOrder:
        """The order reaches the venue (filled by ``fill`` at once, in one trade)."""
        got = VenueOrder(order, f"V{order.order_id}")
        self.orders[order.client_order_id] = got
        if fill > 0:
            self.trade(got, fill)
        return got

    def trade(self, got: VenueOrder, quantity: Decimal) -> None:
        got.trades.append((f"T{got.order.order_id}-{len(got.trades)}", quantity))
        got.status = S.FILLED if got.filled >= got.order.quantity else S.PARTIALLY_FILLED

    def fills(self, got: VenueOrder, ts: int, *, reconciliation: bool = False) -> list[Input]:
        """The order's trades, as the venue reports them."""
        return [
            VenueFill(
                ts_recv=ts,
                account_id=self.account_id,
                client_order_id=got.order.client_order_id,
                venue_order_id=got.venue_order_id,
                trade_id=trade_id,
                symbol=got.order.symbol,
                side=got.order.side,
                price=got.order.price or Decimal(100),
                quantity=quantity,
                reconciliation=reconciliation,
            )
            for trade_id, quantity in got.trades
        ]

    def answer(self, command: Event, ts: int) -> list[Input]:
        """What the venue says back to one core venue command (nothing for the others)."""
        match command:
            case CancelAtVenue(order=order):
                self.cancels += 1
                got = self.orders.get(order.client_order_id)
                if got is None or not got.working:
                    cid = order.client_order_id
                    return [
                        VenueCancelRejected(
                            ts_recv=ts, account_id=self.account_id, client_order_id=cid, reason="order_not_found"
                        )
                    ]
                got.status = S.CANCELED
                return [
                    VenueOrderCanceled(
                        ts_recv=ts,
                        account_id=self.account_id,
                        client_order_id=order.client_order_id,
                        venue_order_id=got.venue_order_id,
                    )
                ]
            case QueryAtVenue(client_order_id=cid):
                self.lookups += 1
                got = self.orders.get(cid)
                if got is None:
                    return [VenueOrderStatus(ts_recv=ts, account_id=self.account_id, client_order_id=cid, status=None)]
                status = VenueOrderStatus(
                    ts_recv=ts,
                    account_id=self.account_id,
                    client_order_id=cid,
                    status=got.status,
                    venue_order_id=got.venue_order_id,
                    filled_qty=got.filled,
                )
                return [*self.fills(got, ts), status]
            case SnapshotRequested():
                self.passes += 1
                return self.reconciliation(ts)
        return []

    def reconciliation(self, ts: int) -> list[Input]:
        """One pass: every trade as a reconciliation fill, then the open orders and net positions."""
        fills = [f for got in self.orders.values() for f in self.fills(got, ts, reconciliation=True)]
        net: dict[str, Decimal] = {}
        for got in self.orders.values():
            signed = got.filled if got.order.side == OrderSide.BUY else -got.filled
            net[got.order.symbol] = net.get(got.order.symbol, ZERO) + signed
        reports = tuple(
            VenueOrderReport(
                client_order_id=got.order.client_order_id,
                venue_order_id=got.venue_order_id,
                symbol=got.order.symbol,
                side=got.order.side,
                order_type=OrderType.LIMIT,
                quantity=got.order.quantity,
                filled_qty=got.filled,
                price=got.order.price,
                status=got.status,
            )
            for got in self.orders.values()
            if got.working
        )
        positions = tuple(VenuePosition(symbol=sym, quantity=q) for sym, q in sorted(net.items()) if q)
        snapshot = ReconciliationSnapshot(ts_recv=ts, account_id=self.account_id, orders=reports, positions=positions)
        return [*fills, snapshot]


def admitted(state: OmsState, inputs: list[Input]) -> list[Input]:
    """The inputs the daemon journals and applies: reconciliation fills already booked are left out."""
    return [inp for inp in inputs if not known_fill(state, inp)]
