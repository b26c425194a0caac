"""Venue snapshots against our state: adopt unknown orders, query missing ones, compare positions.

Orders we believe open but the venue does not list are *queried* by client order id, never
canceled on our own say-so: inventing a cancel double-counts exposure if the order still works.
"""

from typing import Any

import msgspec

from oms_daemon.core.enums import AlertSeverity, OrderStatus
from oms_daemon.core.events import AlertRaised, Event, OrderUpdated, PositionsMarkedDirty, QueryAtVenue
from oms_daemon.core.ids import IdAllocator
from oms_daemon.core.inputs import OpenOrdersSnapshot, PositionsSnapshot
from oms_daemon.core.model import Order
from oms_daemon.core.state import OmsState

__all__ = ["open_orders", "positions"]

S = OrderStatus
_QUERY_WHEN_MISSING = (S.NEW, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.UNKNOWN)


def _alert(code: str, severity: AlertSeverity, message: str, **where: Any) -> AlertRaised:
    return AlertRaised(code=code, severity=severity, message=message, **where)


def open_orders(state: OmsState, snapshot: OpenOrdersSnapshot, ids: IdAllocator) -> list[Event]:
    """Compare a venue's open orders with ours."""
    events: list[Event] = []
    account_id = snapshot.account_id
    by_venue_id = {
        o.venue_order_id: o
        for (acct, _), oids in state.open_orders.items()
        if acct == account_id
        for o in (state.orders[i] for i in oids)
        if o.venue_order_id
    }
    seen: set[int] = set()
    for report in snapshot.orders:
        oid = state.order_by_client_id.get(report.client_order_id) if report.client_order_id else None
        order = state.orders.get(oid) if oid is not None else by_venue_id.get(report.venue_order_id)
        if order is None:
            order = state.orders.get(state.order_by_client_id.get(f"ext-{report.venue_order_id}", -1))
        if order is None:
            if report.symbol not in state.instruments:
                events.append(
                    _alert("unknown_symbol", AlertSeverity.WARNING, f"venue order on unknown {report.symbol}")
                )
                continue
            new_id = ids.next_order()
            adopted = Order(
                order_id=new_id,
                client_order_id=report.client_order_id or f"ext-{report.venue_order_id}",
                account_id=account_id,
                strategy_id="external",
                symbol=report.symbol,
                side=report.side,
                order_type=report.order_type,
                quantity=report.quantity,
                price=report.price,
                stop_price=report.stop_price,
                status=report.status,
                filled_qty=report.filled_qty,
                venue_order_id=report.venue_order_id,
                external=True,
                ts_created=snapshot.ts_recv,
                ts_recv=snapshot.ts_recv,
            )
            events.append(OrderUpdated(order=adopted))
            events.append(
                _alert(
                    "external_order_adopted",
                    AlertSeverity.WARNING,
                    f"venue order {report.venue_order_id} unknown to omsd adopted as order {new_id}",
                    account_id=account_id,
                    symbol=report.symbol,
                    order_id=new_id,
                )
            )
            continue
        seen.add(order.order_id)
        if order.status in (S.PENDING_NEW, S.UNKNOWN):
            new = msgspec.structs.replace(order, status=S.NEW, venue_order_id=report.venue_order_id)
            events.append(OrderUpdated(order=new, previous_status=order.status))
        if report.filled_qty > order.filled_qty:
            events.append(
                PositionsMarkedDirty(
                    account_id=account_id,
                    symbol=order.symbol,
                    dirty=True,
                    reason=f"venue shows {report.filled_qty} filled on order {order.order_id}, omsd {order.filled_qty}",
                )
            )
    for (acct, _symbol), oids in sorted(state.open_orders.items()):
        if acct != account_id:
            continue
        for oid in sorted(oids - seen):
            order = state.orders[oid]
            if order.status in _QUERY_WHEN_MISSING:
                events.append(
                    QueryAtVenue(account_id=account_id, client_order_id=order.client_order_id, symbol=order.symbol)
                )
    return events


def positions(state: OmsState, snapshot: PositionsSnapshot) -> list[Event]:
    """Compare venue positions with our fill sums; a mismatch marks the symbol dirty."""
    events: list[Event] = []
    account_id = snapshot.account_id
    venue = {p.symbol: p.quantity for p in snapshot.positions}
    ours = {sym for (acct, sym), pids in state.open_positions.items() if acct == account_id and pids}
    for symbol in sorted(ours | set(venue)):
        key = (account_id, symbol)
        expected = state.net_quantity(key)
        actual = venue.get(symbol, 0)
        if actual != expected:
            reason = f"venue position {actual} != omsd {expected}"
            events.append(
                _alert("position_mismatch", AlertSeverity.CRITICAL, reason, account_id=account_id, symbol=symbol)
            )
            events.append(PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=True, reason=reason))
        elif key in state.dirty:
            events.append(
                PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=False, reason="snapshot reconciled")
            )
    return events
