"""An order's whole story: every input that touched it and what the core decided each time."""

from collections.abc import Iterable

import msgspec

from journal import JournalRecord
from oms_daemon.core import Core
from oms_daemon.core.events import (
    AlertRaised,
    CancelAtVenue,
    Event,
    FillBooked,
    ModifyAtVenue,
    OrderUpdated,
    QueryAtVenue,
    Replied,
    SubmitToVenue,
)
from oms_daemon.core.inputs import Input
from replay.fold import fold

__all__ = ["StoryLine", "order_story"]


class StoryLine(msgspec.Struct, frozen=True):
    """One input in an order's story and the events it produced for that order."""

    seq: int
    ts_recv: int
    input: Input
    events: tuple[Event, ...]


def _mentions(event: Event, order_id: int, client_order_id: str | None) -> bool:
    match event:
        case OrderUpdated(order=order):
            return order.order_id == order_id or order.replaced_by_id == order_id
        case FillBooked(fill=fill):
            return fill.order_id == order_id
        case SubmitToVenue(order=order) | CancelAtVenue(order=order):
            return order.order_id == order_id
        case ModifyAtVenue(order=order, replacement=replacement):
            return order_id in (order.order_id, replacement.order_id)
        case QueryAtVenue(client_order_id=cid):
            return cid == client_order_id
        case Replied(order_id=oid, order_ids=oids):
            return oid == order_id or order_id in oids
        case AlertRaised(order_id=oid):
            return oid == order_id
    return False


def order_story(records: Iterable[JournalRecord], order_id: int) -> tuple[Core, list[StoryLine]]:
    """Replay ``records`` and collect every input that touched ``order_id``, in journal order."""
    lines: list[StoryLine] = []
    core = Core()

    def observe(seq: int, inp: Input, events: list[Event]) -> None:
        order = core.state.orders.get(order_id)
        client_id = order.client_order_id if order else None
        touching = tuple(e for e in events if _mentions(e, order_id, client_id))
        named = getattr(inp, "order_id", None) == order_id or (
            client_id is not None
            and client_id in (getattr(inp, "client_order_id", None), getattr(inp, "orig_client_order_id", None))
        )
        if touching or named:
            lines.append(StoryLine(seq=seq, ts_recv=inp.ts_recv, input=inp, events=touching))

    fold(records, core, observer=observe)
    return core, lines
