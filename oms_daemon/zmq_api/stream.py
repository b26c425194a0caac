"""Core events to event-stream messages: the topic each goes out on and its payload.

Topics are ``"{account}/{strategy}/{kind}"`` for orders and fills, ``"{account}/_/{kind}"`` for
account-level news (position, account, mode, dirty), ``"{account or _}/_/alert"`` for alerts and
``"_/_/quote"`` for quotes, so a strategy subscribes to ``"{account}/{strategy}/"`` and ``"{account}/_/"``.
"""

from collections.abc import Callable
from typing import Any

from oms_daemon import views
from oms_daemon.core.events import (
    AccountUpdated,
    AlertRaised,
    Event,
    FillBooked,
    ModeChanged,
    OrderUpdated,
    PositionsMarkedDirty,
    PositionUpdated,
    QuoteUpdated,
)
from oms_daemon.core.state import OmsState
from oms_daemon.zmq_api.schema import (
    AccountEvent,
    AlertEvent,
    DirtyEvent,
    FillEvent,
    ModeEvent,
    OrderEvent,
    PositionEvent,
    QuoteEvent,
    StreamMessage,
)

__all__ = ["NO_ID", "stream_message", "stream_topic"]

NO_ID = "_"
"""Topic part standing for "no strategy" (account-level news) or "no account" (daemon-wide)."""


def stream_topic(event: Event, quotes: bool = False) -> str | None:
    """The topic ``event`` is published on; None if it is not published."""
    topic = _TOPICS.get(type(event))  # exact-type dispatch: a class pattern on a Struct is several times slower
    if topic is None or (not quotes and type(event) is QuoteUpdated):
        return None
    return topic(event)


def stream_message(state: OmsState, event: Event, seq: int) -> StreamMessage | None:
    """The message publishing ``event`` as number ``seq`` of its topic; None if it is not published."""
    build = _MESSAGES.get(type(event))
    return None if build is None else build(state, event, seq)


def _account_message(state: OmsState, event: AccountUpdated, seq: int) -> AccountEvent | None:
    view = views.account_view(state, event.account.account_id)
    return None if view is None else AccountEvent(seq=seq, data=view)


_TOPICS: dict[type, Callable[[Any], str]] = {
    OrderUpdated: lambda e: f"{e.order.account_id}/{e.order.strategy_id}/order",
    FillBooked: lambda e: f"{e.fill.account_id}/{e.fill.strategy_id or NO_ID}/fill",
    PositionUpdated: lambda e: f"{e.position.account_id}/{NO_ID}/position",
    AccountUpdated: lambda e: f"{e.account.account_id}/{NO_ID}/account",
    ModeChanged: lambda e: f"{e.account_id}/{NO_ID}/mode",
    PositionsMarkedDirty: lambda e: f"{e.account_id}/{NO_ID}/dirty",
    AlertRaised: lambda e: f"{e.account_id or NO_ID}/{NO_ID}/alert",
    QuoteUpdated: lambda e: f"{NO_ID}/{NO_ID}/quote",
}

_MESSAGES: dict[type, Callable[[OmsState, Any, int], StreamMessage | None]] = {
    OrderUpdated: lambda state, e, seq: OrderEvent(seq=seq, data=views.order_view(e.order)),
    FillBooked: lambda state, e, seq: FillEvent(seq=seq, data=views.fill_view(e.fill)),
    PositionUpdated: lambda state, e, seq: PositionEvent(seq=seq, data=views.position_view(state, e.position)),
    AccountUpdated: _account_message,
    ModeChanged: lambda state, e, seq: ModeEvent(seq=seq, data=views.mode_change_view(e)),
    PositionsMarkedDirty: lambda state, e, seq: DirtyEvent(seq=seq, data=views.dirty_view(e)),
    AlertRaised: lambda state, e, seq: AlertEvent(seq=seq, data=views.alert_view(e)),
    QuoteUpdated: lambda state, e, seq: QuoteEvent(seq=seq, data=views.quote_view(e.quote)),
}
