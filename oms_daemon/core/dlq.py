"""Venue availability and the dead-letter queue: what the core decides, and how ``evolve`` stores it.

The resiliency layer (``adapters/resilience``) journals two facts: a venue connection's circuit
breaker opened or closed (``VenueAvailability``), and a venue command exhausted its retries
(``CommandDeadLettered``). While an account's venue is unavailable the pre-trade checks refuse new
risk (``venue_unavailable``); cancels and reducing orders still go. A dead letter stays in the state
until an operator re-drives it (``RedriveDeadLetter``: the command goes out again with the order's
current version, if the order still needs it) or drops it (``DropDeadLetter``: the order is settled
as if the command had not been sent: a submit is rejected, a cancel or replace is undone).
"""

from typing import Any

import msgspec

from oms_daemon.core.enums import AlertSeverity, OrderStatus
from oms_daemon.core.events import (
    AlertRaised,
    AnyVenueCommand,
    CancelAtVenue,
    DeadLetter,
    DeadLetterAdded,
    DeadLetterRemoved,
    Event,
    ModifyAtVenue,
    OrderUpdated,
    Replied,
    SubmitToVenue,
    VenueAvailabilityChanged,
)
from oms_daemon.core.inputs import CommandDeadLettered, DropDeadLetter, RedriveDeadLetter, VenueAvailability
from oms_daemon.core.model import Order
from oms_daemon.core.reasons import Reason
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import WORKING, Move, classify

__all__ = ["APPLY", "HANDLERS"]

S = OrderStatus
_replace = msgspec.structs.replace


# --- decide ------------------------------------------------------------------------------------------------


def _on_availability(state: OmsState, inp: VenueAvailability) -> list[Event]:
    if inp.account_id not in state.account_configs:
        return [AlertRaised(code="unknown_account", severity=AlertSeverity.WARNING, message=f"{inp.account_id!r}")]
    if (inp.account_id not in state.venue_down) == inp.available:
        return []
    if inp.available:
        alert = AlertRaised(
            code="venue_available",
            severity=AlertSeverity.INFO,
            message=f"venue of {inp.account_id} is available again: new orders accepted ({inp.reason})",
            account_id=inp.account_id,
        )
    else:
        alert = AlertRaised(
            code="venue_unavailable",
            severity=AlertSeverity.CRITICAL,
            message=f"venue of {inp.account_id} is unavailable ({inp.reason}): new risk refused, cancels still go",
            account_id=inp.account_id,
        )
    changed = VenueAvailabilityChanged(account_id=inp.account_id, available=inp.available, reason=inp.reason)
    return [changed, alert]


def _order_id(command: AnyVenueCommand) -> int | None:
    match command:
        case SubmitToVenue(order=order) | CancelAtVenue(order=order):
            return order.order_id
        case ModifyAtVenue(replacement=replacement):
            return replacement.order_id
    return None


def _on_dead_lettered(state: OmsState, inp: CommandDeadLettered) -> list[Event]:
    entry = DeadLetter(
        entry_id=state.next_dead_letter_id,
        account_id=inp.account_id,
        command=inp.command,
        error=inp.error,
        attempts=inp.attempts,
        ts_recv=inp.ts_recv,
    )
    kind = type(inp.command).__name__
    alert = AlertRaised(
        code="dead_letter",
        severity=AlertSeverity.CRITICAL,
        message=(
            f"{kind} dead-lettered as entry {entry.entry_id} after {inp.attempts} attempt(s): {inp.error}; "
            f"`omsd dlq redrive {entry.entry_id}` or `omsd dlq drop {entry.entry_id}`"
        ),
        account_id=inp.account_id,
        order_id=_order_id(inp.command),
    )
    return [DeadLetterAdded(entry=entry), alert]


def _entry(state: OmsState, inp: RedriveDeadLetter | DropDeadLetter) -> DeadLetter | Replied:
    entry = state.dead_letters.get(inp.entry_id)
    if entry is None:
        return Replied(
            request_id=inp.request_id,
            ok=False,
            reason=Reason.DEAD_LETTER_NOT_FOUND,
            message=f"no dead letter {inp.entry_id}",
        )
    return entry


def _removed_by(entry: DeadLetter, inp: RedriveDeadLetter | DropDeadLetter, action: str) -> DeadLetterRemoved:
    return DeadLetterRemoved(entry_id=entry.entry_id, account_id=entry.account_id, action=action, operator=inp.operator)


def _current(state: OmsState, order: Order) -> Order:
    return state.orders.get(order.order_id, order)


def _still_needed(state: OmsState, command: AnyVenueCommand) -> AnyVenueCommand | str:
    """The command to send again with the orders' current versions, or why it is no longer needed."""
    match command:
        case SubmitToVenue(order=order):
            current = _current(state, order)
            if current.status == S.PENDING_NEW:
                return _replace(command, order=current)
            return f"order {order.order_id} is {current.status}"
        case CancelAtVenue(order=order):
            current = _current(state, order)
            if current.status in (S.PENDING_CANCEL, S.UNKNOWN):
                return _replace(command, order=current)
            return f"order {order.order_id} is {current.status}"
        case ModifyAtVenue(order=order, replacement=replacement):
            original, new = _current(state, order), _current(state, replacement)
            if original.status == S.PENDING_REPLACE and new.status == S.PENDING_NEW:
                return _replace(command, order=original, replacement=new)
            return f"order {order.order_id} is {original.status}, its replacement {new.status}"
    return command


def _on_redrive(state: OmsState, inp: RedriveDeadLetter) -> list[Event]:
    entry = _entry(state, inp)
    if isinstance(entry, Replied):
        return [entry]
    events: list[Event] = [_removed_by(entry, inp, "redriven")]
    command = _still_needed(state, entry.command)
    if isinstance(command, str):
        events.append(Replied(request_id=inp.request_id, ok=True, message=f"not sent again: {command}"))
    else:
        events.append(command)
        events.append(Replied(request_id=inp.request_id, ok=True, message=f"{type(command).__name__} sent again"))
    return events


def _move(order: Order, target: OrderStatus, ts: int, events: list[Event], **changes: Any) -> None:
    if classify(order.status, target) is not Move.ALLOWED:
        return
    new = _replace(order, status=target, ts_recv=ts, **changes)
    events.append(OrderUpdated(order=new, previous_status=order.status))


def _working_again(order: Order) -> OrderStatus:
    return S.PARTIALLY_FILLED if order.filled_qty > 0 else S.NEW


def _settle(state: OmsState, command: AnyVenueCommand, inp: DropDeadLetter, events: list[Event]) -> None:
    """Settle the order as if the dropped command had never been sent."""
    dropped = {"reason": Reason.DEAD_LETTER_DROPPED, "message": f"dropped by {inp.operator}: {inp.reason}"}
    match command:
        case SubmitToVenue(order=order):
            current = _current(state, order)
            if current.status in WORKING and current.venue_order_id is None and current.filled_qty == 0:
                _move(current, S.REJECTED, inp.ts_recv, events, **dropped)
                original = state.orders.get(current.replaces_id or 0)
                if original is not None and original.status == S.PENDING_REPLACE:
                    _move(original, _working_again(original), inp.ts_recv, events, replaced_by_id=None)
        case CancelAtVenue(order=order):
            current = _current(state, order)
            if current.status == S.PENDING_CANCEL:
                _move(current, _working_again(current), inp.ts_recv, events)
        case ModifyAtVenue(order=order, replacement=replacement):
            original, new = _current(state, order), _current(state, replacement)
            if new.status == S.PENDING_NEW:
                _move(new, S.REJECTED, inp.ts_recv, events, **dropped)
            if original.status == S.PENDING_REPLACE:
                _move(original, _working_again(original), inp.ts_recv, events, replaced_by_id=None)


def _on_drop(state: OmsState, inp: DropDeadLetter) -> list[Event]:
    entry = _entry(state, inp)
    if isinstance(entry, Replied):
        return [entry]
    events: list[Event] = [_removed_by(entry, inp, "dropped")]
    _settle(state, entry.command, inp, events)
    events.append(Replied(request_id=inp.request_id, ok=True, message=f"dead letter {entry.entry_id} dropped"))
    return events


HANDLERS: dict[type, Any] = {
    VenueAvailability: _on_availability,
    CommandDeadLettered: _on_dead_lettered,
    RedriveDeadLetter: _on_redrive,
    DropDeadLetter: _on_drop,
}
"""Decision per input type, registered in ``decide``."""


# --- evolve ------------------------------------------------------------------------------------------------


def _added(state: OmsState, event: DeadLetterAdded) -> None:
    entry = event.entry
    state.dead_letters[entry.entry_id] = entry
    if entry.entry_id >= state.next_dead_letter_id:
        state.next_dead_letter_id = entry.entry_id + 1


def _removed(state: OmsState, event: DeadLetterRemoved) -> None:
    state.dead_letters.pop(event.entry_id, None)


def _availability(state: OmsState, event: VenueAvailabilityChanged) -> None:
    if event.available:
        state.venue_down.pop(event.account_id, None)
    else:
        state.venue_down[event.account_id] = event.reason


APPLY: dict[type, Any] = {
    DeadLetterAdded: _added,
    DeadLetterRemoved: _removed,
    VenueAvailabilityChanged: _availability,
}
"""State change per event type, registered in ``evolve``."""
