"""Venue snapshots against our state: adopt unknown orders, query missing ones, compare positions.

Orders we believe open but the venue does not list are *queried* by client order id, never
canceled on our own say-so: inventing a cancel double-counts exposure if the order still works.
"""

from typing import Any

import msgspec

from oms_daemon.core.enums import AlertSeverity, OrderStatus
from oms_daemon.core.events import (
    AccountUpdated,
    AlertRaised,
    CancelAtVenue,
    Event,
    ModeChanged,
    OrderUpdated,
    PositionsMarkedDirty,
    QueryAtVenue,
    ReconciliationDone,
    SnapshotRequested,
)
from oms_daemon.core.ids import IdAllocator
from oms_daemon.core.inputs import (
    Input,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    ReconciliationSnapshot,
    VenueBalance,
    VenueEvent,
    VenueFill,
    VenuePosition,
)
from oms_daemon.core.model import ZERO, Account, Order
from oms_daemon.core.risk import limits_for
from oms_daemon.core.state import OmsState

MISMATCH = "position mismatch: "
"""Dirty reason prefix of a mismatch seen once; seen again on the next pass, it is unexplained."""

__all__ = [
    "balances",
    "behind",
    "distrust",
    "known_fill",
    "open_orders",
    "position_mismatches",
    "positions",
    "reconciliation",
    "resurfaced",
]

S = OrderStatus
_QUERY_WHEN_MISSING = (S.NEW, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.UNKNOWN)
_TERMINAL = (S.FILLED, S.CANCELED, S.REPLACED, S.REJECTED, S.EXPIRED)


def _alert(code: str, severity: AlertSeverity, message: str, **where: Any) -> AlertRaised:
    return AlertRaised(code=code, severity=severity, message=message, **where)


def known_fill(state: OmsState, inp: Input) -> bool:
    """A fill the core has booked already, fetched again over REST (each reconciliation pass fetches the venue's
    recent fills, a backfill after a restart re-reads its window): journaling it again would only grow the
    journal, so the daemon leaves it out. Fills numbered in a venue stream (``venue_seq``) are kept: leaving one
    out would look like a gap in that stream."""
    return type(inp) is VenueFill and inp.venue_seq is None and (inp.account_id, inp.trade_id) in state.trade_ids


def distrust(account_id: str, symbol: str, reason: str) -> list[Event]:
    """The position can no longer be trusted: mark it dirty and reconcile with the venue now."""
    return [
        PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=True, reason=reason),
        SnapshotRequested(account_id=account_id, reason=reason),
    ]


def resurfaced(order: Order) -> list[Event]:
    """The venue has ``order``, which omsd closed as never having reached it (rejected, or canceled unsent): cancel
    it there, since its strategy was told it does not exist, and distrust the position until reconciled."""
    message = f"order {order.order_id} was closed {order.status} as never placed, but the venue has it: canceling it"
    where = {"account_id": order.account_id, "symbol": order.symbol, "order_id": order.order_id}
    return [
        CancelAtVenue(account_id=order.account_id, order=order),
        _alert("order_resurfaced", AlertSeverity.CRITICAL, message, **where),
        *distrust(order.account_id, order.symbol, message),
    ]


def open_orders(
    state: OmsState, snapshot: OpenOrdersSnapshot | ReconciliationSnapshot, ids: IdAllocator
) -> list[Event]:
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
        found = msgspec.structs.replace(order, venue_order_id=report.venue_order_id, ts_recv=snapshot.ts_recv)
        if order.status in _TERMINAL:
            if not order.acknowledged:
                events.extend(resurfaced(found))
            continue
        if order.status in (S.PENDING_NEW, S.UNKNOWN):
            new = msgspec.structs.replace(order, status=S.NEW, venue_order_id=report.venue_order_id)
            events.append(OrderUpdated(order=new, previous_status=order.status))
        elif order.status == S.PENDING_CANCEL and not order.acknowledged:
            # the cancel overtook the submit (and may have bounced): now that the venue lists it, send it again
            events.append(OrderUpdated(order=found, previous_status=order.status))
            events.append(CancelAtVenue(account_id=account_id, order=found))
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


def position_mismatches(
    state: OmsState, account_id: str, venue_positions: tuple[VenuePosition, ...]
) -> list[tuple[str, str]]:
    """(symbol, why) for every symbol whose venue position differs from our fill sum beyond tolerance."""
    venue = {p.symbol: p.quantity for p in venue_positions}
    ours = {sym for (acct, sym), pids in state.open_positions.items() if acct == account_id and pids}
    mismatches = []
    for symbol in sorted(ours | set(venue)):
        expected = state.net_quantity((account_id, symbol))
        actual = venue.get(symbol, ZERO)
        tolerance = limits_for(state, account_id, symbol).reconcile_tolerance or ZERO
        if abs(actual - expected) > tolerance:
            mismatches.append((symbol, f"venue position {actual} != omsd {expected}"))
    return mismatches


def positions(state: OmsState, snapshot: PositionsSnapshot) -> list[Event]:
    """Compare venue positions with our fill sums; a mismatch marks the symbol dirty, a match clears it."""
    account_id = snapshot.account_id
    events: list[Event] = []
    mismatched = set()
    for symbol, reason in position_mismatches(state, account_id, snapshot.positions):
        mismatched.add(symbol)
        events.append(_alert("position_mismatch", AlertSeverity.CRITICAL, reason, account_id=account_id, symbol=symbol))
        events.append(PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=True, reason=reason))
    events.extend(_cleared(state, account_id, mismatched))
    return events


def _cleared(state: OmsState, account_id: str, keep: set[str]) -> list[Event]:
    return [
        PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=False, reason="snapshot reconciled")
        for (acct, symbol) in sorted(state.dirty)
        if acct == account_id and symbol not in keep
    ]


def balances(state: OmsState, account_id: str, venue_balances: tuple[VenueBalance, ...], ts: int) -> list[Event]:
    """The venue's balances replace ours (when they differ)."""
    new = {b.currency: b.total for b in venue_balances}
    account = state.accounts.get(account_id)
    if account is not None and account.balances == new:
        return []
    return [AccountUpdated(account=Account(account_id=account_id, balances=new, ts_updated=ts))]


def behind(state: OmsState, snapshot: VenueEvent) -> bool:
    """True when venue events newer than the snapshot were already applied (it cannot be compared)."""
    return snapshot.venue_seq is not None and state.stream_seq.get(snapshot.account_id, 0) > snapshot.venue_seq


def reconciliation(state: OmsState, snapshot: ReconciliationSnapshot, ids: IdAllocator) -> list[Event]:
    """One reconciliation pass; an unexplained position mismatch puts the account in SAFE mode."""
    account_id = snapshot.account_id
    events = open_orders(state, snapshot, ids)
    if behind(state, snapshot):
        message = "venue events newer than the snapshot were already applied; positions not compared this time"
        events.append(_alert("reconciliation_inconclusive", AlertSeverity.INFO, message, account_id=account_id))
        events.append(ReconciliationDone(account_id=account_id, clean=False, mismatches=("inconclusive",)))
        return events
    mismatches = position_mismatches(state, account_id, snapshot.positions)
    confirmed = [
        (symbol, reason)
        for symbol, reason in mismatches
        if state.dirty.get((account_id, symbol), "").startswith(MISMATCH)
    ]
    for symbol, reason in mismatches:
        severity = AlertSeverity.CRITICAL if (symbol, reason) in confirmed else AlertSeverity.WARNING
        events.append(_alert("position_mismatch", severity, reason, account_id=account_id, symbol=symbol))
        events.append(
            PositionsMarkedDirty(account_id=account_id, symbol=symbol, dirty=True, reason=f"{MISMATCH}{reason}")
        )
    if mismatches and len(confirmed) < len(mismatches):
        # a first sighting may be a race between stream and snapshot: look again before SAFE mode
        events.append(SnapshotRequested(account_id=account_id, reason="re-check a position mismatch"))
    if confirmed:
        mode = state.mode(account_id)
        if not mode.safe:
            events.append(
                ModeChanged(
                    account_id=account_id,
                    safe=True,
                    armed=mode.armed,
                    killed=mode.killed,
                    operator="reconciliation",
                    reason="unexplained position mismatch",
                    ts=snapshot.ts_recv,
                )
            )
    else:
        events.extend(_cleared(state, account_id, set()))
    events.extend(balances(state, account_id, snapshot.balances, snapshot.ts_recv))
    events.append(
        ReconciliationDone(
            account_id=account_id,
            clean=not mismatches,
            mismatches=tuple(f"{symbol}: {reason}" for symbol, reason in mismatches),
            ts=snapshot.ts_recv,
        )
    )
    return events
