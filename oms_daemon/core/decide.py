"""``decide(state, input) -> events``: the pure decision of what one input means.

``decide`` never changes ``state``; it returns events carrying new entity versions, which
``evolve`` stores. Time comes from the input's ``ts_recv``; new ids come from the state's
counters, so the same inputs always give the same ids.
"""

from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any

import msgspec

from oms_daemon.core import dlq, health, reconcile, session, streams
from oms_daemon.core.balances import apply_fill_to_account, reference_price, used_margin
from oms_daemon.core.book import book_slippage
from oms_daemon.core.checks import Refusal, is_reducing, refusals
from oms_daemon.core.config import AccountConfig
from oms_daemon.core.enums import AlertSeverity, OrderSide, OrderStatus, OrderType, PositionMode
from oms_daemon.core.events import (
    AccountUpdated,
    AlertRaised,
    CancelAtVenue,
    Event,
    FillBooked,
    ModeChanged,
    ModifyAtVenue,
    OrderUpdated,
    PositionsMarkedDirty,
    PositionUpdated,
    QueryAtVenue,
    QuoteUpdated,
    Replied,
    SnapshotRequested,
    SubmitToVenue,
)
from oms_daemon.core.ids import IdAllocator
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    CancelOrder,
    CloseAll,
    ClosePosition,
    Input,
    Intent,
    KillSwitch,
    MarketQuote,
    OpenOrdersSnapshot,
    OperatorCommand,
    OrderRequest,
    PositionsSnapshot,
    PreviewOrder,
    ReconciliationSnapshot,
    ReplaceOrder,
    RequestReconciliation,
    SessionStarted,
    SetArmed,
    SetSafeMode,
    StreamHeartbeat,
    SubmitOrder,
    SubmitOutcomeUnknown,
    TimerTick,
    VenueCancelRejected,
    VenueEvent,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderStatus,
    VenueReplaceRejected,
    VenueStreamGap,
)
from oms_daemon.core.model import ZERO, Account, Fill, Order, Position, Quote
from oms_daemon.core.positions import apply_fill
from oms_daemon.core.preview import Preview
from oms_daemon.core.reasons import Reason
from oms_daemon.core.risk import replace_refusal
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import TERMINAL, TRANSITIONS, WORKING, Move, classify

__all__ = ["VENUE_EVENTS", "client_order_id_for", "decide", "failed_input"]

_CTX = Context(prec=34)
_replace = msgspec.structs.replace
S = OrderStatus
_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
# Members the hot paths read, bound once: reading one off its Enum class goes through EnumType.__getattr__.
_NEW, _FILLED, _PARTIALLY_FILLED = S.NEW, S.FILLED, S.PARTIALLY_FILLED
_ACKABLE = (S.PENDING_NEW, S.UNKNOWN)
_AMENDING = (S.PENDING_CANCEL, S.PENDING_REPLACE)
_NOT_WORKING = frozenset({Reason.ORDER_NOT_FOUND, "order_not_open"})
"""Cancel refusals that say the venue has no *working* order under the id: it is not there yet, or already done."""
_HEDGING = PositionMode.HEDGING
_ALLOWED, _ILLEGAL = Move.ALLOWED, Move.ILLEGAL


def client_order_id_for(instance_id: str, order_id: int) -> str:
    """The client order id sent to venues, derived from the OMS order id (recoverable after a crash)."""
    return f"{instance_id}-{order_id}"


def decide(state: OmsState, inp: Input) -> list[Event]:
    """What ``inp`` means given ``state``: the events to apply and the outputs to perform."""
    handler = _HANDLERS.get(type(inp))
    if handler is None:  # a new input type without a handler is a bug, not a refusal
        raise TypeError(f"no decision for input {type(inp).__name__}")
    if state.config is None and not isinstance(inp, SessionStarted):
        if isinstance(inp, Intent):
            return [_refuse(inp, Reason.NOT_CONFIGURED, "no session has started")]
        return []
    if type(inp) in VENUE_EVENTS:
        gap = streams.sequence_gap(state, inp) if inp.venue_seq is not None else None
        events = handler(state, inp)
        if gap:
            events = gap + events
        if state.stale_feeds and f"user:{inp.account_id}" in state.stale_feeds:
            events += streams.user_stream_alive(state, inp.account_id)
        return events
    return handler(state, inp)


def failed_input(inp: Input, error: Exception) -> list[Event]:
    """What an input that made ``decide`` fail decides: a critical alert, and a refusal for its requester.

    Deciding never changes state, so nothing is half-applied; the same input fails the same way on replay.
    """
    message = f"{type(inp).__name__} could not be decided: {type(error).__name__}: {error}"
    events: list[Event] = [_alert("input_failed", AlertSeverity.CRITICAL, message)]
    request_id = getattr(inp, "request_id", "")
    if request_id:
        events.append(Replied(request_id=request_id, ok=False, reason=Reason.INTERNAL_ERROR, message=message))
    return events


# --- helpers ---------------------------------------------------------------------------------------


def _refuse(inp: Intent | OperatorCommand, reason: Reason, message: str, order_id: int | None = None) -> Replied:
    return Replied(request_id=inp.request_id, ok=False, reason=reason, message=message, order_id=order_id)


def _alert(code: str, severity: AlertSeverity, message: str, **where: Any) -> AlertRaised:
    return AlertRaised(code=code, severity=severity, message=message, **where)


def _order_alert(code: str, severity: AlertSeverity, message: str, order: Order, **more: Any) -> AlertRaised:
    """An alert about one order (its account, symbol and id attached)."""
    return _alert(
        code, severity, message, account_id=order.account_id, symbol=order.symbol, order_id=order.order_id, **more
    )


def _updated(order: Order, previous: Order | None) -> OrderUpdated:
    return OrderUpdated(order=order, previous_status=previous.status if previous else None)


def _order_for(state: OmsState, client_order_id: str | None) -> Order | None:
    if client_order_id is None:
        return None
    oid = state.order_by_client_id.get(client_order_id)
    return state.orders.get(oid) if oid is not None else None


def _move(order: Order, target: OrderStatus, inp: VenueEvent, events: list[Event], **changes: Any) -> Order:
    """Move ``order`` to ``target`` if the table allows it; an illegal move is alerted and skipped."""
    move = classify(order.status, target)
    if move is _ILLEGAL:
        events.append(_illegal(order, target, inp))
        if not changes:
            return order
    elif move is _ALLOWED:
        changes["status"] = target
    elif not changes:
        return order
    changes.setdefault("ts_recv", inp.ts_recv)
    if inp.ts_event:
        changes.setdefault("ts_event", inp.ts_event)
    new = _replace(order, **changes)
    events.append(OrderUpdated(order=new, previous_status=order.status))
    return new


def _illegal(order: Order, target: OrderStatus, inp: VenueEvent) -> AlertRaised:
    return _order_alert(
        "illegal_transition",
        AlertSeverity.WARNING,
        f"order {order.order_id}: {order.status} -> {target} refused by the transition table ({type(inp).__name__})",
        order,
    )


def _unknown_order(inp: VenueEvent, client_order_id: str | None) -> list[Event]:
    return [
        _alert(
            "unknown_order",
            AlertSeverity.WARNING,
            f"{type(inp).__name__} for unknown client order id {client_order_id}",
            account_id=inp.account_id,
        )
    ]


# --- session, timers, market data ------------------------------------------------------------------------


def _on_timer(state: OmsState, inp: TimerTick) -> list[Event]:
    return streams.stale_feeds(state, inp) + _look_up_unsettled(state, inp.ts_recv)


_UNSETTLED = (S.UNKNOWN, S.PENDING_CANCEL)
"""Statuses the venue must still settle: a submit whose outcome is unknown, a cancel it has not confirmed."""


def _look_up_unsettled(state: OmsState, now: int) -> list[Event]:
    """Orders the venue has not settled (UNKNOWN, PENDING_CANCEL, left open by a restart), not heard of for
    ``requery_interval_ms``, are looked up by client order id again: each answer is news that restarts the wait."""
    assert state.config is not None
    interval = state.config.requery_interval_ms * 1_000_000
    orders = state.orders
    return [
        _look_up(o)
        for ids in state.open_orders.values()
        for o in (orders[oid] for oid in sorted(ids))
        if (o.status in _UNSETTLED or o.order_id in state.recovering) and now - o.ts_recv >= interval
    ]


def _look_up(order: Order) -> QueryAtVenue:
    return QueryAtVenue(account_id=order.account_id, client_order_id=order.client_order_id, symbol=order.symbol)


def _on_heartbeat(state: OmsState, inp: StreamHeartbeat) -> list[Event]:
    return []  # Core.step records that the stream spoke


def _on_quote(state: OmsState, inp: MarketQuote) -> list[Event]:
    old = state.quotes.get(inp.symbol)
    quote = Quote(
        symbol=inp.symbol,
        bid=inp.bid if inp.bid is not None else (old.bid if old else None),
        ask=inp.ask if inp.ask is not None else (old.ask if old else None),
        bid_size=inp.bid_size if inp.bid_size is not None else (old.bid_size if old else None),
        ask_size=inp.ask_size if inp.ask_size is not None else (old.ask_size if old else None),
        last=inp.last if inp.last is not None else (old.last if old else None),
        ts_event=inp.ts_event,
        ts_recv=inp.ts_recv,
        bids=inp.bids or (old.bids if old and inp.bid is None else ()),
        asks=inp.asks or (old.asks if old and inp.ask is None else ()),
    )
    if state.stale_feeds and f"market:{inp.symbol}" in state.stale_feeds:
        return [QuoteUpdated(quote=quote), *streams.fresh_quote(state, inp.symbol)]
    return [QuoteUpdated(quote=quote)]


# --- strategy intents --------------------------------------------------------------------------------------


def _place(
    state: OmsState, req: OrderRequest, ids: IdAllocator, events: list[Event]
) -> tuple[Order | None, Refusal | None]:
    """Check and create one order; a refused order is recorded as REJECTED. Appends its events."""
    config = state.account_configs[req.account_id]
    instrument = state.instruments.get(req.symbol)
    if instrument is None:
        return None, Refusal(Reason.UNKNOWN_SYMBOL, f"unknown symbol {req.symbol!r}")
    refused = refusals(state, config, instrument, req, first=True)
    refusal = refused[0] if refused else None
    oid = ids.next_order()
    assert state.config is not None
    order = Order(  # at most 15 keywords (see _on_fill): the timestamps follow in the replace below
        order_id=oid,
        client_order_id=client_order_id_for(state.config.instance_id, oid),
        account_id=req.account_id,
        strategy_id=req.strategy_id,
        symbol=req.symbol,
        side=req.side,
        order_type=req.order_type,
        quantity=req.quantity,
        time_in_force=req.time_in_force,
        price=req.price if req.order_type in _PRICED else None,
        stop_price=req.stop_price,
        post_only=req.post_only,
        reduce_only=req.reduce_only,
        idempotency_key=req.idempotency_key,
        position_id=req.position_id,
    )
    ts = req.ts_recv
    if refusal is not None:
        order = _replace(
            order, status=S.REJECTED, reason=refusal.reason, message=refusal.message, ts_created=ts, ts_recv=ts
        )
        events.append(OrderUpdated(order=order))
        return order, refusal
    order = _replace(order, ts_created=ts, ts_recv=ts)
    events.append(OrderUpdated(order=order))
    events.append(SubmitToVenue(account_id=order.account_id, order=order))
    return order, None


def _authorize(state: OmsState, inp: Intent) -> Replied | None:
    config = state.account_configs.get(inp.account_id)
    if config is None:
        return _refuse(inp, Reason.UNKNOWN_ACCOUNT, f"unknown account {inp.account_id!r}")
    if config.strategies and inp.strategy_id not in config.strategies:
        return _refuse(
            inp, Reason.STRATEGY_NOT_PERMITTED, f"strategy {inp.strategy_id!r} may not trade {inp.account_id}"
        )
    return None


def _on_submit(state: OmsState, inp: SubmitOrder) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    if inp.idempotency_key is not None:
        existing = state.idempotency.get((inp.account_id, inp.strategy_id, inp.idempotency_key))
        if existing is not None:
            order = state.orders[existing]
            return [
                Replied(
                    request_id=inp.request_id,
                    ok=order.status != S.REJECTED,
                    order_id=existing,
                    reason=order.reason,
                    message="duplicate idempotency key: existing order returned",
                )
            ]
    events: list[Event] = []
    order, refusal = _place(state, inp, IdAllocator(state.next_order_id), events)
    if refusal is not None:
        events.append(_refuse(inp, refusal.reason, refusal.message, order.order_id if order else None))
    else:
        assert order is not None
        events.append(Replied(request_id=inp.request_id, ok=True, order_id=order.order_id))
    return events


def _owned_order(state: OmsState, inp: CancelOrder | ReplaceOrder) -> Order | Replied:
    order = state.orders.get(inp.order_id)
    if order is None or order.account_id != inp.account_id or order.strategy_id != inp.strategy_id:
        return _refuse(inp, Reason.ORDER_NOT_FOUND, f"no order {inp.order_id} for this account and strategy")
    return order


def _cancel(order: Order, ts: int, events: list[Event]) -> None:
    """Ask the venue to cancel ``order``: PENDING_CANCEL until the venue settles it, acknowledged yet or not."""
    new = _replace(order, status=S.PENDING_CANCEL, ts_recv=ts)
    events.append(_updated(new, order))
    events.append(CancelAtVenue(account_id=order.account_id, order=new))


def _on_cancel(state: OmsState, inp: CancelOrder) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    found = _owned_order(state, inp)
    if isinstance(found, Replied):
        return [found]
    order = found
    ok = Replied(request_id=inp.request_id, ok=True, order_id=order.order_id)
    if order.status == S.PENDING_CANCEL:
        return [_replace(ok, message="cancel already pending")]
    if order.status == S.PENDING_REPLACE:
        return [_refuse(inp, Reason.REPLACE_PENDING, "a replace is pending on this order", order.order_id)]
    if order.status in TERMINAL:
        return [_refuse(inp, Reason.ORDER_NOT_OPEN, f"order is {order.status}", order.order_id)]
    events: list[Event] = []
    _cancel(order, inp.ts_recv, events)
    events.append(ok)
    return events


def _on_replace(state: OmsState, inp: ReplaceOrder) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    found = _owned_order(state, inp)
    if isinstance(found, Replied):
        return [found]
    order = found
    if order.status == S.PENDING_REPLACE:
        return [_refuse(inp, Reason.REPLACE_PENDING, "a replace is already pending", order.order_id)]
    if order.status == S.PENDING_CANCEL:
        return [_refuse(inp, Reason.CANCEL_PENDING, "a cancel is pending on this order", order.order_id)]
    if order.status in _ACKABLE:
        message = f"order is {order.status}: the venue has not acknowledged it yet (cancel it, or wait for NEW)"
        return [_refuse(inp, Reason.NOT_ACKNOWLEDGED, message, order.order_id)]
    if order.status not in (S.NEW, S.PARTIALLY_FILLED):
        return [_refuse(inp, Reason.ORDER_NOT_OPEN, f"order is {order.status}", order.order_id)]
    quantity = inp.quantity if inp.quantity is not None else order.quantity
    price = inp.price if inp.price is not None else order.price
    stop = inp.stop_price if inp.stop_price is not None else order.stop_price
    if (quantity, price, stop) == (order.quantity, order.price, order.stop_price):
        return [_refuse(inp, Reason.NOTHING_TO_CHANGE, "replace changes nothing", order.order_id)]
    if quantity <= order.filled_qty:
        return [
            _refuse(
                inp,
                Reason.QUANTITY_BELOW_FILLED,
                f"new quantity {quantity} must exceed the filled {order.filled_qty}",
                order.order_id,
            )
        ]
    request = SubmitOrder(
        ts_recv=inp.ts_recv,
        request_id=inp.request_id,
        account_id=order.account_id,
        strategy_id=order.strategy_id,
        symbol=order.symbol,
        side=order.side,
        quantity=quantity - order.filled_qty,
        order_type=order.order_type,
        time_in_force=order.time_in_force,
        price=price,
        stop_price=stop,
        post_only=order.post_only,
        reduce_only=order.reduce_only,
        position_id=order.position_id,
    )
    churn = replace_refusal(state, order)
    if churn is not None:
        return [_refuse(inp, churn.reason, churn.message, order.order_id)]
    config = state.account_configs[order.account_id]
    instrument = state.instruments[order.symbol]
    adds_risk = quantity > order.quantity or (
        price is not None and order.price is not None and (price > order.price) == (order.side == OrderSide.BUY)
    )
    for refusal in refusals(state, config, instrument, request):
        if adds_risk or refusal.reason not in (Reason.SAFE_MODE, Reason.POSITION_DIRTY, Reason.INSUFFICIENT_FUNDS):
            return [_refuse(inp, refusal.reason, refusal.message, order.order_id)]
    ids = IdAllocator(state.next_order_id)
    new_id = ids.next_order()
    assert state.config is not None
    replacement = _replace(
        order,
        order_id=new_id,
        client_order_id=client_order_id_for(state.config.instance_id, new_id),
        quantity=quantity,
        price=price,
        stop_price=stop,
        status=S.PENDING_NEW,
        venue_order_id=None,
        idempotency_key=None,
        replaces_id=order.order_id,
        replaced_by_id=None,
        ts_created=inp.ts_recv,
        ts_recv=inp.ts_recv,
    )
    pending = _replace(order, status=S.PENDING_REPLACE, replaced_by_id=new_id, ts_recv=inp.ts_recv)
    return [
        _updated(pending, order),
        _updated(replacement, None),
        ModifyAtVenue(account_id=order.account_id, order=pending, replacement=replacement),
        Replied(request_id=inp.request_id, ok=True, order_id=new_id),
    ]


def _close_requests(state: OmsState, inp: Intent, symbol: str, quantity: Decimal | None) -> list[OrderRequest]:
    """Market reduce-only requests that flatten (or reduce) ``symbol``, net of closes already working."""
    key = (inp.account_id, symbol)
    config = state.account_configs[inp.account_id]
    tickets = [state.positions[pid] for pid in state.open_positions.get(key, ())]
    if isinstance(inp, ClosePosition) and inp.position_id is not None:
        tickets = [t for t in tickets if t.position_id == inp.position_id]
    per_ticket = config.position_mode == PositionMode.HEDGING
    targets = [(t.position_id, t.quantity) for t in tickets] if per_ticket else [(None, state.net_quantity(key))]
    requests = []
    remaining = quantity
    for position_id, held in targets:
        if held == 0:
            continue
        side = OrderSide.SELL if held > 0 else OrderSide.BUY
        pending = sum(
            (
                o.leaves_qty
                for o in state.working_orders(key)
                if o.side is side and o.reduce_only and o.position_id == position_id
            ),
            ZERO,
        )
        size = abs(held) - pending
        if remaining is not None:
            size = min(size, remaining)
            remaining -= size
        if size <= 0:
            continue
        requests.append(
            SubmitOrder(
                ts_recv=inp.ts_recv,
                request_id=inp.request_id,
                account_id=inp.account_id,
                strategy_id=inp.strategy_id,
                symbol=symbol,
                side=side,
                quantity=size,
                reduce_only=True,
                position_id=position_id,
            )
        )
    return requests


def _place_all(state: OmsState, inp: Intent, requests: list[OrderRequest]) -> list[Event]:
    events: list[Event] = []
    ids = IdAllocator(state.next_order_id)
    placed: list[int] = []
    refused: list[Refusal] = []
    for request in requests:
        order, refusal = _place(state, request, ids, events)
        if refusal is not None:
            refused.append(refusal)
        elif order is not None:
            placed.append(order.order_id)
    if refused and not placed:
        events.append(_refuse(inp, refused[0].reason, refused[0].message))
    else:
        events.append(
            Replied(
                request_id=inp.request_id,
                ok=True,
                order_id=placed[0] if placed else None,
                order_ids=tuple(placed),
                message="; ".join(r.message for r in refused) or None,
            )
        )
    return events


def _on_close_position(state: OmsState, inp: ClosePosition) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    key = (inp.account_id, inp.symbol)
    if not state.open_positions.get(key):
        return [_refuse(inp, Reason.NO_POSITION, f"no open position in {inp.symbol}")]
    if inp.position_id is not None and inp.position_id not in state.open_positions[key]:
        return [_refuse(inp, Reason.POSITION_NOT_FOUND, f"no open position {inp.position_id} in {inp.symbol}")]
    if inp.quantity is not None and inp.quantity <= 0:
        return [_refuse(inp, Reason.INVALID_QUANTITY, f"quantity must be positive, got {inp.quantity}")]
    requests = _close_requests(state, inp, inp.symbol, inp.quantity)
    if not requests:
        return [_refuse(inp, Reason.CLOSE_PENDING, "closing orders for the whole position are already working")]
    return _place_all(state, inp, requests)


def _on_close_all(state: OmsState, inp: CloseAll) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    return _place_all(state, inp, _flatten_requests(state, inp))


def _flatten_requests(state: OmsState, inp: Intent) -> list[OrderRequest]:
    symbols = sorted(
        symbol
        for (acct, symbol), ids in state.open_positions.items()
        if acct == inp.account_id and ids and (getattr(inp, "symbol", None) in (None, symbol))
    )
    return [request for symbol in symbols for request in _close_requests(state, inp, symbol, None)]


def _on_preview(state: OmsState, inp: PreviewOrder) -> list[Event]:
    denied = _authorize(state, inp)
    if denied is not None:
        return [denied]
    instrument = state.instruments.get(inp.symbol)
    if instrument is None:
        return [_refuse(inp, Reason.UNKNOWN_SYMBOL, f"unknown symbol {inp.symbol!r}")]
    config = state.account_configs[inp.account_id]
    key = (inp.account_id, inp.symbol)
    priced = inp.order_type in _PRICED
    price = reference_price(state, inp.symbol, inp.side, inp.price if priced else None)
    quote = state.quotes.get(inp.symbol)
    mid = None
    if quote is not None and quote.bid is not None and quote.ask is not None:
        mid = _CTX.divide(quote.bid + quote.ask, Decimal(2))
    notional = inp.quantity * price * instrument.multiplier if price is not None else None
    signed = inp.quantity if inp.side == OrderSide.BUY else -inp.quantity
    position = state.net_quantity(key)
    buys, sells = state.working_leaves(key)
    margin_now = used_margin(state, inp.account_id)
    preview = Preview(
        symbol=inp.symbol,
        side=inp.side,
        quantity=inp.quantity,
        reference_price=price,
        notional=notional,
        estimated_fee=notional * instrument.fee_bps / 10000 if notional is not None else None,
        slippage_estimate=book_slippage(quote, inp.side, inp.quantity, mid, price if priced else None)
        * instrument.multiplier
        if mid is not None
        else None,
        margin_impact=(notional * instrument.margin_rate) if notional is not None else None,
        margin_used=margin_now,
        position_before=position,
        position_after=position + signed,
        exposure_long_after=position + buys + (inp.quantity if inp.side == OrderSide.BUY else ZERO),
        exposure_short_after=position - sells - (inp.quantity if inp.side == OrderSide.SELL else ZERO),
        reducing=is_reducing(state, inp),
        refusals=tuple(refusals(state, config, instrument, inp)),
    )
    return [Replied(request_id=inp.request_id, ok=not preview.refusals, data=preview)]


# --- venue events ----------------------------------------------------------------------------------------------


def _on_accepted(state: OmsState, inp: VenueOrderAccepted) -> list[Event]:
    order = _order_for(state, inp.client_order_id)
    if order is None:
        return _unknown_order(inp, inp.client_order_id)
    events: list[Event] = []
    changes: dict[str, Any] = {}
    if order.venue_order_id != inp.venue_order_id:
        changes["venue_order_id"] = inp.venue_order_id
    if order.status in _ACKABLE:
        _move(order, _NEW, inp, events, **changes)
    elif order.status in TERMINAL and not order.acknowledged:
        _resurfaced(order, inp, events, **changes)
    elif changes:  # a late or repeated ack: keep the status, learn the venue id
        acked = _move(order, order.status, inp, events, **changes)
        if order.status == S.PENDING_CANCEL and not order.acknowledged:
            # the cancel went out before the venue had the order and may have bounced: the strategy still wants it
            events.append(CancelAtVenue(account_id=order.account_id, order=acked))
    return events


def _resurfaced(order: Order, inp: VenueEvent, events: list[Event], **changes: Any) -> None:
    """The venue has an order omsd closed as never placed: learn its venue id, cancel it (``reconcile.resurfaced``)."""
    found = _move(order, order.status, inp, events, **changes) if changes else order
    events.extend(reconcile.resurfaced(found))


def _on_rejected(state: OmsState, inp: VenueOrderRejected) -> list[Event]:
    order = _order_for(state, inp.client_order_id)
    if order is None:
        return _unknown_order(inp, inp.client_order_id)
    events: list[Event] = []
    _move(order, S.REJECTED, inp, events, reason=inp.reason, message=inp.message or inp.reason)
    if not order.acknowledged:
        _restore_original(state, order, inp, events)
    return events


def _restore_original(state: OmsState, replacement: Order, inp: VenueEvent, events: list[Event]) -> None:
    """A replacement failed (if ``replacement`` is one): the original order works on as it was."""
    original = state.orders.get(replacement.replaces_id or 0)
    if original is None or original.status != S.PENDING_REPLACE:
        return
    back = S.PARTIALLY_FILLED if original.filled_qty > 0 else S.NEW
    _move(original, back, inp, events, replaced_by_id=None)


_distrust = reconcile.distrust


def _on_fill(state: OmsState, inp: VenueFill) -> list[Event]:
    if (inp.account_id, inp.trade_id) in state.trade_ids:
        return []
    config = state.account_configs.get(inp.account_id)
    instrument = state.instruments.get(inp.symbol)
    if config is None or instrument is None or inp.quantity <= ZERO or inp.price <= ZERO:
        return [
            _alert(
                "unbookable_fill",
                AlertSeverity.CRITICAL,
                f"fill {inp.trade_id} ({inp.quantity} {inp.symbol} @ {inp.price}) cannot be booked",
                account_id=inp.account_id,
                symbol=inp.symbol,
            ),
            *(
                # a reconciliation's own fill asks for no other pass: the next one would fetch it again
                _distrust(inp.account_id, inp.symbol, f"unbookable fill {inp.trade_id}")
                if config is not None and not inp.reconciliation
                else [
                    PositionsMarkedDirty(
                        account_id=inp.account_id,
                        symbol=inp.symbol,
                        dirty=True,
                        reason=f"unbookable fill {inp.trade_id}" if config is not None else "unknown account",
                    )
                ]
            ),
        ]
    order = _order_for(state, inp.client_order_id) or _order_at_venue(state, inp.account_id, inp.venue_order_id)
    events: list[Event] = []
    if order is None:
        events.append(
            _alert(
                "fill_for_unknown_order",
                AlertSeverity.WARNING,
                f"fill {inp.trade_id} for unknown client order id {inp.client_order_id}: booked as external",
                account_id=inp.account_id,
                symbol=inp.symbol,
            )
        )
        order_id = strategy_id = None
    else:
        order_id, strategy_id = order.order_id, order.strategy_id
    fill = Fill(  # at most 15 keywords: more compile to a dict-building call, ~0.4 µs slower here
        fill_id=state.next_fill_id,
        account_id=inp.account_id,
        symbol=inp.symbol,
        side=inp.side,
        quantity=inp.quantity,
        price=inp.price,
        trade_id=inp.trade_id,
        commission=inp.commission,
        commission_currency=inp.commission_currency,
        order_id=order_id,
        client_order_id=inp.client_order_id,
        venue_order_id=inp.venue_order_id or (order.venue_order_id if order else None),
        strategy_id=strategy_id,
        ts_event=inp.ts_event,
        ts_recv=inp.ts_recv,
    )
    change = apply_fill(
        _position_for_fill(state, config, inp.symbol, order), fill, state.next_position_id, instrument.multiplier
    )
    fill = _replace(fill, position_id=change.updated[0].position_id, realized_pnl=change.realized_pnl)
    if inp.reconciliation:
        fill = _replace(fill, reconciliation=True)
        events.append(
            _alert(
                "missing_fill_recovered",
                AlertSeverity.WARNING,
                f"reconciliation found fill {inp.trade_id} ({inp.side} {inp.quantity} {inp.symbol} @ {inp.price}) "
                "that the stream never delivered: booked",
                account_id=inp.account_id,
                symbol=inp.symbol,
            )
        )
    events.append(FillBooked(fill=fill))
    for position in change.updated:
        events.append(PositionUpdated(position=position))
    if order is not None:
        _fill_order(order, inp, events)
        if state.fill_gaps:
            events.extend(streams.fill_gap_closed(state, order, order.filled_qty + inp.quantity))
    account = state.accounts.get(inp.account_id) or Account(account_id=inp.account_id)
    events.append(AccountUpdated(account=apply_fill_to_account(account, config, instrument, fill, change.realized_pnl)))
    return events


def _order_at_venue(state: OmsState, account_id: str, venue_order_id: str | None) -> Order | None:
    """The order a venue knows by ``venue_order_id`` (a fill from a trade history may carry no client id)."""
    if venue_order_id is None:
        return None
    oid = state.order_by_venue_id.get((account_id, venue_order_id))
    return state.orders.get(oid) if oid is not None else None


def _position_for_fill(state: OmsState, config: AccountConfig, symbol: str, order: Order | None) -> Position | None:
    """The position a fill moves: the symbol's one position, or in hedging mode the order's ticket."""
    opened = state.open_positions.get((config.account_id, symbol))
    if config.position_mode != _HEDGING:
        return state.positions[opened[0]] if opened else None
    if not opened or order is None:
        return None
    if order.position_id in opened:
        return state.positions[order.position_id]
    ticket = state.order_tickets.get(order.order_id)
    return state.positions[ticket] if ticket in opened else None


def _fill_order(order: Order, inp: VenueFill, events: list[Event]) -> None:
    """The order's new cumulative fill, average price, commission and status after a fill."""
    previous = order.filled_qty
    filled = previous + inp.quantity
    avg = _CTX.divide((order.avg_fill_price or ZERO) * previous + inp.price * inp.quantity, filled)
    status = order.status
    if filled >= order.quantity:
        target = _FILLED
    elif status in _AMENDING:
        target = status
    else:
        target = _PARTIALLY_FILLED
    if status in TERMINAL:  # booked; a FILLED order's late fills (the venue said FILLED first) are no news
        if status != _FILLED:
            events.append(
                _order_alert(
                    "fill_on_closed_order",
                    AlertSeverity.WARNING,
                    f"fill {inp.trade_id} on order {order.order_id} which is {status}; booked",
                    order,
                )
            )
        target = status
    elif target != status and target not in TRANSITIONS[status]:
        events.append(_illegal(order, target, inp))
        target = status
    new = _replace(
        order,
        status=target,
        filled_qty=filled,
        avg_fill_price=avg,
        commission=order.commission + inp.commission if inp.commission else order.commission,
        commission_currency=inp.commission_currency or order.commission_currency,
        venue_order_id=order.venue_order_id or inp.venue_order_id,
        ts_event=inp.ts_event or order.ts_event,
        ts_recv=inp.ts_recv,
    )
    events.append(OrderUpdated(order=new, previous_status=status))
    if filled > order.quantity:
        events.append(
            _order_alert(
                "overfill",
                AlertSeverity.CRITICAL,
                f"order {order.order_id} filled {filled} of {order.quantity}",
                order,
                amount=filled - order.quantity,
            )
        )
        events.extend(_distrust(order.account_id, order.symbol, f"overfill on order {order.order_id}"))


def _on_closed_by_venue(
    target: OrderStatus,
) -> Callable[[OmsState, VenueOrderCanceled | VenueOrderExpired], list[Event]]:
    def handle(state: OmsState, inp: VenueOrderCanceled | VenueOrderExpired) -> list[Event]:
        order = _order_for(state, inp.client_order_id)
        if order is None:
            return _unknown_order(inp, inp.client_order_id)
        if order.status == target:
            return []
        events: list[Event] = []
        changes = {"venue_order_id": inp.venue_order_id} if inp.venue_order_id and not order.venue_order_id else {}
        _move(order, target, inp, events, **changes)
        if not order.acknowledged:
            _restore_original(state, order, inp, events)
        return events

    return handle


def _on_replaced(state: OmsState, inp: VenueOrderReplaced) -> list[Event]:
    original = _order_for(state, inp.orig_client_order_id)
    replacement = _order_for(state, inp.client_order_id)
    if original is None or replacement is None:
        return _unknown_order(inp, inp.client_order_id if replacement is None else inp.orig_client_order_id)
    events: list[Event] = []
    if original.status != S.REPLACED:
        _move(original, S.REPLACED, inp, events)
    if replacement.status in (S.PENDING_NEW, S.UNKNOWN):
        carried = {
            "filled_qty": original.filled_qty,
            "avg_fill_price": original.avg_fill_price,
            "commission": original.commission,
            "commission_currency": original.commission_currency,
        }
        if inp.venue_order_id:
            carried["venue_order_id"] = inp.venue_order_id
        target = S.PARTIALLY_FILLED if original.filled_qty > 0 else S.NEW
        _move(replacement, target, inp, events, **carried)
    return events


def _on_cancel_rejected(state: OmsState, inp: VenueCancelRejected) -> list[Event]:
    order = _order_for(state, inp.client_order_id)
    if order is None:
        return _unknown_order(inp, inp.client_order_id)
    if order.status != S.PENDING_CANCEL:
        return []
    events: list[Event] = []
    if order.acknowledged and inp.reason not in _NOT_WORKING:
        # the venue has the order working and refused to cancel it: it works on, and the operator hears of it
        message = f"cancel refused by the venue: {inp.reason}"
        _move(order, S.PARTIALLY_FILLED if order.filled_qty > 0 else S.NEW, inp, events, message=message)
        events.append(
            _order_alert("cancel_refused", AlertSeverity.WARNING, f"order {order.order_id}: {message}", order)
        )
        return events
    # not working at the venue: not there yet (the cancel overtook its submit) or already done. Never a reason to
    # call it NEW: the cancel stands, and the order is settled by what the venue says of it (its ack, fills, status)
    message = f"cancel refused ({inp.reason}): settling the order by client order id"
    _move(order, S.PENDING_CANCEL, inp, events, message=message)
    return events


def _on_replace_rejected(state: OmsState, inp: VenueReplaceRejected) -> list[Event]:
    replacement = _order_for(state, inp.client_order_id)
    if replacement is None:
        return _unknown_order(inp, inp.client_order_id)
    events: list[Event] = []
    if not replacement.acknowledged and replacement.status in WORKING:
        _move(replacement, S.REJECTED, inp, events, reason="venue_rejected", message=inp.reason)
        _restore_original(state, replacement, inp, events)
    return events


def _on_outcome_unknown(state: OmsState, inp: SubmitOutcomeUnknown) -> list[Event]:
    order = _order_for(state, inp.client_order_id)
    if order is None:
        return _unknown_order(inp, inp.client_order_id)
    events: list[Event] = []
    if order.status == S.PENDING_NEW:
        _move(order, S.UNKNOWN, inp, events, message=inp.reason)
    elif order.status == S.PENDING_CANCEL and not order.acknowledged:
        _move(order, S.PENDING_CANCEL, inp, events, message=f"submit outcome unknown ({inp.reason})")
    else:
        return []
    events.append(_look_up(order))
    events.append(
        _order_alert(
            "submit_outcome_unknown",
            AlertSeverity.WARNING,
            f"order {order.order_id} outcome unknown ({inp.reason}); querying the venue",
            order,
        )
    )
    return events


def _on_order_status(state: OmsState, inp: VenueOrderStatus) -> list[Event]:
    order = _order_for(state, inp.client_order_id)
    if order is None:
        return _unknown_order(inp, inp.client_order_id)
    if inp.status is None:
        return _not_at_venue(state, order, inp)
    return _found_at_venue(state, order, inp)


def _not_at_venue(state: OmsState, order: Order, inp: VenueOrderStatus) -> list[Event]:
    """The venue has no order under this client order id. Within the account's lookup grace of the submit that only
    means "not yet" (the request may still reach it): the order is looked up again. After it, the venue will never
    have it: an order it never acknowledged ends REJECTED (CANCELED if a cancel was asked for); one it acknowledged
    and no longer has ends CANCELED, its position distrusted. Either way it stops counting as working exposure, and
    nothing is looked up (or reconciled) again because of it."""
    if order.status not in WORKING:
        return []
    events: list[Event] = []
    grace = state.account_configs[order.account_id].lookup_grace_ms * 1_000_000
    if inp.ts_recv - order.ts_created < grace or order.status == S.PENDING_REPLACE:
        # not conclusive yet (a replace is settled by its replacement's outcome): heard back, look again later
        target = S.UNKNOWN if order.status == S.PENDING_NEW else order.status
        _move(order, target, inp, events, message="not found at the venue yet: looking again")
        return events
    if not order.acknowledged:
        if order.status == S.PENDING_CANCEL:
            _move(order, S.CANCELED, inp, events, message="canceled before it reached the venue")
        else:
            _move(order, S.REJECTED, inp, events, reason=Reason.VENUE_NOT_FOUND, message="the venue has no such order")
        _restore_original(state, order, inp, events)
        return events
    message = f"the venue no longer has order {order.order_id}, which it had acknowledged: closed as canceled"
    _move(order, S.CANCELED, inp, events, message=message)
    events.append(_order_alert("order_missing_at_venue", AlertSeverity.WARNING, message, order))
    events.extend(_distrust(order.account_id, order.symbol, message))
    return events


def _found_at_venue(state: OmsState, order: Order, inp: VenueOrderStatus) -> list[Event]:
    """The venue's status of an order it has. The order's fills arrive as ``VenueFill`` (before this answer, from an
    adapter that backfills them); a final venue status is taken even if some are missing: the position is distrusted
    instead of the order being kept working."""
    events: list[Event] = []
    changes = {"venue_order_id": inp.venue_order_id or ""} if order.venue_order_id is None else {}
    target = inp.status
    if order.status in TERMINAL:
        if not order.acknowledged and target in WORKING:
            _resurfaced(order, inp, events, **changes)
        return events
    if order.status == S.PENDING_CANCEL and target in (S.NEW, S.PARTIALLY_FILLED):
        # working at the venue: the cancel never reached it, or overtook the submit and bounced: send it again
        message = "found working at the venue: cancel sent again"
        again = _move(order, order.status, inp, events, message=message, **changes)
        events.append(CancelAtVenue(account_id=order.account_id, order=again))
    else:
        if target == S.PARTIALLY_FILLED and order.status != target:
            target = S.NEW if order.status in _ACKABLE else order.status  # its fills move it on, as VenueFill
        if target is not None and (target != order.status or changes):
            _move(order, target, inp, events, **changes)
    if not order.acknowledged and order.replaces_id is not None:
        # the replacement exists at the venue, so the replace took effect: its original is gone
        original = state.orders.get(order.replaces_id)
        if original is not None and original.status == S.PENDING_REPLACE:
            _move(original, S.REPLACED, inp, events)
    venue_filled = inp.filled_qty if inp.filled_qty is not None else (order.quantity if target == S.FILLED else None)
    if venue_filled is not None and venue_filled > order.filled_qty:
        reason = f"venue reports {venue_filled} filled on order {order.order_id}, omsd booked {order.filled_qty}"
        events.extend(_distrust(order.account_id, order.symbol, reason))
    return events


def _on_open_orders(state: OmsState, inp: OpenOrdersSnapshot) -> list[Event]:
    if inp.account_id not in state.account_configs:
        return _unknown_account(inp)
    return reconcile.open_orders(state, inp, IdAllocator(state.next_order_id))


def _on_positions(state: OmsState, inp: PositionsSnapshot) -> list[Event]:
    if inp.account_id not in state.account_configs:
        return _unknown_account(inp)
    return reconcile.positions(state, inp)


def _on_balances(state: OmsState, inp: BalancesSnapshot) -> list[Event]:
    if inp.account_id not in state.account_configs:
        return _unknown_account(inp)
    if reconcile.behind(state, inp):  # fills newer than the snapshot are already booked: keep ours
        return []
    return reconcile.balances(state, inp.account_id, inp.balances, inp.ts_recv)


def _on_reconciliation(state: OmsState, inp: ReconciliationSnapshot) -> list[Event]:
    if inp.account_id not in state.account_configs:
        return _unknown_account(inp)
    return reconcile.reconciliation(state, inp, IdAllocator(state.next_order_id))


def _on_request_reconciliation(state: OmsState, inp: RequestReconciliation) -> list[Event]:
    accounts = _accounts_for(state, inp)
    if isinstance(accounts, Replied):
        return [accounts]
    events: list[Event] = [
        SnapshotRequested(account_id=acct, reason=f"requested by {inp.operator}: {inp.reason}") for acct in accounts
    ]
    events.append(Replied(request_id=inp.request_id, ok=True, message=f"reconciling {len(accounts)} account(s)"))
    return events


def _unknown_account(inp: VenueEvent) -> list[Event]:
    return [
        _alert("unknown_account", AlertSeverity.WARNING, f"{type(inp).__name__} for unknown account {inp.account_id!r}")
    ]


# --- operator commands ---------------------------------------------------------------------------------------


def _accounts_for(state: OmsState, inp: OperatorCommand) -> list[str] | Replied:
    if inp.account_id is None:
        return sorted(state.account_configs)
    if inp.account_id not in state.account_configs:
        return Replied(
            request_id=inp.request_id,
            ok=False,
            reason=Reason.UNKNOWN_ACCOUNT,
            message=f"unknown account {inp.account_id!r}",
        )
    return [inp.account_id]


def _mode_change(state: OmsState, account_id: str, inp: OperatorCommand, **changes: bool) -> ModeChanged | None:
    mode = state.mode(account_id)
    new = _replace(mode, **changes)
    if new == mode:
        return None
    return ModeChanged(
        account_id=account_id, operator=inp.operator, reason=inp.reason, ts=inp.ts_recv, **msgspec.structs.asdict(new)
    )


def _on_operator(state: OmsState, inp: SetSafeMode | SetArmed) -> list[Event]:
    accounts = _accounts_for(state, inp)
    if isinstance(accounts, Replied):
        return [accounts]
    if isinstance(inp, SetSafeMode) and not inp.enabled:
        unreconciled = [
            acct
            for acct in accounts
            if state.mode(acct).safe and state.clean_reconciled.get(acct, 0) <= state.safe_since.get(acct, 0)
        ]
        if unreconciled:
            return [
                Replied(
                    request_id=inp.request_id,
                    ok=False,
                    reason=Reason.RECONCILIATION_REQUIRED,
                    message=f"no clean reconciliation since SAFE mode began on {', '.join(unreconciled)}: "
                    "run `omsd reconcile` first",
                )
            ]
    changes = {"safe": inp.enabled} if isinstance(inp, SetSafeMode) else {"armed": inp.armed}
    if isinstance(inp, SetArmed) and inp.armed:
        changes["killed"] = False
    events: list[Event] = [
        change for acct in accounts if (change := _mode_change(state, acct, inp, **changes)) is not None
    ]
    events.append(Replied(request_id=inp.request_id, ok=True, message=f"{len(events)} account(s) changed"))
    return events


def _on_kill(state: OmsState, inp: KillSwitch) -> list[Event]:
    accounts = _accounts_for(state, inp)
    if isinstance(accounts, Replied):
        return [accounts]
    events: list[Event] = []
    canceled: list[int] = []
    ids = IdAllocator(state.next_order_id)
    for acct in accounts:
        for (owner, _symbol), working in sorted(state.open_orders.items()):
            if owner != acct:
                continue
            for oid in sorted(working):
                order = state.orders[oid]
                if order.status in (S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED, S.UNKNOWN):
                    _cancel(order, inp.ts_recv, events)
                    canceled.append(oid)
        if inp.flatten:
            flatten = CloseAll(
                ts_recv=inp.ts_recv, request_id=inp.request_id, account_id=acct, strategy_id=f"operator:{inp.operator}"
            )
            for request in _flatten_requests(state, flatten):
                _place(state, request, ids, events)
        change = _mode_change(state, acct, inp, armed=False, killed=True)
        if change is not None:
            events.append(change)
        events.append(
            _alert(
                "kill_switch", AlertSeverity.CRITICAL, f"kill switch by {inp.operator}: {inp.reason}", account_id=acct
            )
        )
    events.append(Replied(request_id=inp.request_id, ok=True, order_ids=tuple(canceled)))
    return events


_HANDLERS: dict[type, Callable[[OmsState, Any], list[Event]]] = {
    SessionStarted: session.on_session,
    TimerTick: _on_timer,
    MarketQuote: _on_quote,
    SubmitOrder: _on_submit,
    PreviewOrder: _on_preview,
    CancelOrder: _on_cancel,
    ReplaceOrder: _on_replace,
    ClosePosition: _on_close_position,
    CloseAll: _on_close_all,
    VenueOrderAccepted: _on_accepted,
    VenueOrderRejected: _on_rejected,
    VenueFill: _on_fill,
    VenueOrderCanceled: _on_closed_by_venue(S.CANCELED),
    VenueOrderExpired: _on_closed_by_venue(S.EXPIRED),
    VenueOrderReplaced: _on_replaced,
    VenueCancelRejected: _on_cancel_rejected,
    VenueReplaceRejected: _on_replace_rejected,
    SubmitOutcomeUnknown: _on_outcome_unknown,
    VenueStreamGap: streams.on_stream_gap,
    VenueOrderStatus: _on_order_status,
    OpenOrdersSnapshot: _on_open_orders,
    PositionsSnapshot: _on_positions,
    BalancesSnapshot: _on_balances,
    ReconciliationSnapshot: _on_reconciliation,
    RequestReconciliation: _on_request_reconciliation,
    StreamHeartbeat: _on_heartbeat,
    SetSafeMode: _on_operator,
    SetArmed: _on_operator,
    KillSwitch: _on_kill,
    **dlq.HANDLERS,
    **health.HANDLERS,
}

VENUE_EVENTS = frozenset(kind for kind in _HANDLERS if issubclass(kind, VenueEvent))
"""Input types that are venue events: ``type(inp) in VENUE_EVENTS`` costs a third of ``isinstance``
(a Struct class's metaclass takes ``isinstance`` off CPython's fast path)."""
