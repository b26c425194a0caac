"""``evolve(state, event)``: store what ``decide`` decided. The only code that changes state."""

from collections.abc import Callable
from typing import Any

from oms_daemon.core import dlq, health
from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.events import (
    AccountUpdated,
    Event,
    FeedStatusChanged,
    FillBooked,
    FillGapOpened,
    ModeChanged,
    OrderUpdated,
    PositionsMarkedDirty,
    PositionUpdated,
    QuoteUpdated,
    ReconciliationDone,
    RecoveryStarted,
    SessionConfigured,
)
from oms_daemon.core.model import Order
from oms_daemon.core.risk import note_sent
from oms_daemon.core.session import OPEN_OUTCOMES
from oms_daemon.core.state import AccountMode, OmsState, WorkingExposure
from oms_daemon.core.transitions import WORKING

__all__ = ["evolve", "evolve_all"]

_PENDING_NEW = OrderStatus.PENDING_NEW
"""Bound once: reading a member off an Enum class goes through ``EnumType.__getattr__`` (slow)."""


def evolve(state: OmsState, event: Event) -> None:
    """Apply one event; output-only events (commands, replies, alerts) leave state alone."""
    apply = _APPLY.get(type(event))
    if apply is not None:
        apply(state, event)


def evolve_all(state: OmsState, events: list[Event]) -> None:
    """``evolve`` each event in order (one call per input instead of one per event)."""
    appliers = _APPLY
    for event in events:
        apply = appliers.get(type(event))
        if apply is not None:
            apply(state, event)


def _configured(state: OmsState, event: SessionConfigured) -> None:
    state.config = event.config
    state.account_configs = {a.account_id: a for a in event.config.accounts}
    state.instruments = {i.symbol: i for i in event.config.instruments}
    state.limits_cache.clear()
    state.session_start = event.ts
    state.stream_seq.clear()  # new connections, new venue streams: the next event sets the baseline
    state.stale_feeds.clear()
    state.recovering.clear()


def _order(state: OmsState, event: OrderUpdated) -> None:
    order = event.order
    oid = order.order_id
    previous = state.orders.get(oid)
    state.orders[oid] = order
    state.touched_orders.add(oid)
    if event.previous_status is None:  # a new order: index it
        if oid >= state.next_order_id:
            state.next_order_id = oid + 1
        state.order_by_client_id[order.client_order_id] = oid
        if order.idempotency_key is not None:
            state.idempotency.setdefault((order.account_id, order.strategy_id, order.idempotency_key), oid)
        if order.status == _PENDING_NEW and not order.external:
            note_sent(state, order)
    elif state.recovering and oid in state.recovering and order.status not in OPEN_OUTCOMES:
        state.recovering.discard(oid)
    if state.fill_gaps and oid in state.fill_gaps and order.filled_qty >= state.fill_gaps[oid]:
        del state.fill_gaps[oid]
    venue_id = order.venue_order_id
    if venue_id is not None and (previous is None or previous.venue_order_id != venue_id):
        state.order_by_venue_id[(order.account_id, venue_id)] = oid
    working = order.status in WORKING
    was_working = previous is not None and previous.status in WORKING
    if working and was_working and _same_leaves(previous, order):
        return  # a status or venue id change: exposure and the open-order index stay as they are
    if working or was_working:
        key = (order.account_id, order.symbol)
        exposure = state.exposure.get(key)
        if exposure is None:
            exposure = state.exposure[key] = WorkingExposure()
        if was_working:
            exposure.count(previous, -1)
        if working:
            exposure.count(order, 1)
        if working != was_working:
            if working:
                state.open_orders.setdefault(key, set()).add(oid)
            else:
                state.open_orders[key].discard(oid)


def _same_leaves(previous: Order, order: Order) -> bool:
    """Whether both versions count the same leaves (``replace`` keeps unchanged fields as the same objects)."""
    return (
        order.filled_qty is previous.filled_qty
        and order.quantity is previous.quantity
        and order.price is previous.price
        and order.side is previous.side
        and order.reduce_only is previous.reduce_only
    )


def _fill(state: OmsState, event: FillBooked) -> None:
    fill = event.fill
    state.fills[fill.fill_id] = fill
    state.touched_fills.add(fill.fill_id)
    state.trade_ids.add((fill.account_id, fill.trade_id))
    if fill.fill_id >= state.next_fill_id:
        state.next_fill_id = fill.fill_id + 1


def _position(state: OmsState, event: PositionUpdated) -> None:
    position = event.position
    pid = position.position_id
    state.positions[pid] = position
    state.touched_positions.add(pid)
    if pid >= state.next_position_id:
        state.next_position_id = pid + 1
    key = (position.account_id, position.symbol)
    opened = state.open_positions.get(key)
    if opened is None:
        opened = state.open_positions[key] = []
    if position.ts_closed is None:  # position.is_open, without the property call
        if pid not in opened:
            opened.append(pid)
            if position.opened_by_order_id is not None:
                state.order_tickets[position.opened_by_order_id] = pid
    elif pid in opened:
        opened.remove(pid)


def _account(state: OmsState, event: AccountUpdated) -> None:
    state.accounts[event.account.account_id] = event.account
    state.touched_accounts.add(event.account.account_id)


def _quote(state: OmsState, event: QuoteUpdated) -> None:
    state.quotes[event.quote.symbol] = event.quote
    state.touched_quotes.add(event.quote.symbol)


def _mode(state: OmsState, event: ModeChanged) -> None:
    if event.safe and not state.mode(event.account_id).safe:
        state.safe_since[event.account_id] = event.ts
    state.modes[event.account_id] = AccountMode(safe=event.safe, armed=event.armed, killed=event.killed)


def _feed(state: OmsState, event: FeedStatusChanged) -> None:
    if event.stale:
        state.stale_feeds[event.stream] = event.reason
    else:
        state.stale_feeds.pop(event.stream, None)


def _recovery(state: OmsState, event: RecoveryStarted) -> None:
    state.recovering.update(event.order_ids)


def _reconciled(state: OmsState, event: ReconciliationDone) -> None:
    if event.clean:
        state.clean_reconciled[event.account_id] = event.ts


def _dirty(state: OmsState, event: PositionsMarkedDirty) -> None:
    key = (event.account_id, event.symbol)
    if event.dirty:
        state.dirty[key] = event.reason
    else:
        state.dirty.pop(key, None)
        if state.fill_gaps:  # trusted again: no fill of it is owed any more
            orders = state.orders
            for oid in [o for o in state.fill_gaps if (orders[o].account_id, orders[o].symbol) == key]:
                del state.fill_gaps[oid]


def _gap(state: OmsState, event: FillGapOpened) -> None:
    state.fill_gaps[event.order_id] = event.venue_filled


_APPLY: dict[type, Callable[[OmsState, Any], None]] = {
    SessionConfigured: _configured,
    OrderUpdated: _order,
    FillBooked: _fill,
    PositionUpdated: _position,
    AccountUpdated: _account,
    QuoteUpdated: _quote,
    ModeChanged: _mode,
    PositionsMarkedDirty: _dirty,
    FillGapOpened: _gap,
    FeedStatusChanged: _feed,
    RecoveryStarted: _recovery,
    ReconciliationDone: _reconciled,
    **dlq.APPLY,
    **health.APPLY,
}
