"""Core events to event-stream messages: the topic each goes out on and its payload.

Topics are ``"{account}/{strategy}/{kind}"`` for orders and fills, ``"{account}/_/{kind}"`` for
account-level news (position, account, mode, dirty), ``"{account or _}/_/alert"`` for alerts and
``"_/_/quote"`` for quotes, so a strategy subscribes to ``"{account}/{strategy}/"`` and ``"{account}/_/"``.
"""

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
    match event:
        case OrderUpdated(order=order):
            return f"{order.account_id}/{order.strategy_id}/order"
        case FillBooked(fill=fill):
            return f"{fill.account_id}/{fill.strategy_id or NO_ID}/fill"
        case PositionUpdated(position=position):
            return f"{position.account_id}/{NO_ID}/position"
        case AccountUpdated(account=account):
            return f"{account.account_id}/{NO_ID}/account"
        case ModeChanged():
            return f"{event.account_id}/{NO_ID}/mode"
        case PositionsMarkedDirty():
            return f"{event.account_id}/{NO_ID}/dirty"
        case AlertRaised():
            return f"{event.account_id or NO_ID}/{NO_ID}/alert"
        case QuoteUpdated() if quotes:
            return f"{NO_ID}/{NO_ID}/quote"
    return None


def stream_message(state: OmsState, event: Event, seq: int) -> StreamMessage | None:
    """The message publishing ``event`` as number ``seq`` of its topic; None if it is not published."""
    match event:
        case OrderUpdated(order=order):
            return OrderEvent(seq=seq, data=views.order_view(order))
        case FillBooked(fill=fill):
            return FillEvent(seq=seq, data=views.fill_view(fill))
        case PositionUpdated(position=position):
            return PositionEvent(seq=seq, data=views.position_view(state, position))
        case AccountUpdated(account=account):
            view = views.account_view(state, account.account_id)
            return None if view is None else AccountEvent(seq=seq, data=view)
        case ModeChanged():
            return ModeEvent(seq=seq, data=views.mode_change_view(event))
        case PositionsMarkedDirty():
            return DirtyEvent(seq=seq, data=views.dirty_view(event))
        case AlertRaised():
            return AlertEvent(seq=seq, data=views.alert_view(event))
        case QuoteUpdated(quote=quote):
            return QuoteEvent(seq=seq, data=views.quote_view(quote))
    return None
