"""What both Python clients share: sockets, typed replies, errors, argument conversion and reply decoding."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
import zmq

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.zmq_api.schema import Money, StreamMessage

__all__ = [
    "Amount",
    "OmsClientError",
    "OmsRejected",
    "OmsTimeout",
    "Reply",
    "WireReply",
    "connect",
    "decode_event",
    "decode_reply",
    "default_topics",
    "money",
    "order_type",
    "side",
    "statuses",
    "time_in_force",
    "to_reply",
    "typed_data",
]

T = TypeVar("T")

Amount = Decimal | int | str
"""A price, quantity or money amount as a client passes it (never a float)."""


class OmsClientError(Exception):
    """Root of the client's errors."""


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """The daemon's answer to one request; ``reason`` is a stable code when ``ok`` is false."""

    id: int | str | None
    ok: bool
    order_id: int | None = None
    order_ids: tuple[int, ...] = ()
    reason: str | None = None
    message: str | None = None
    data: Any = None


class OmsRejected(OmsClientError):
    """The daemon refused a request (raised when ``raise_on_reject`` is set, and always for queries)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"{reply.reason}: {reply.message}")
        self.reply = reply
        self.reason = reply.reason


class OmsTimeout(OmsClientError, TimeoutError):
    """No reply came within the client's timeout (the request may still have been applied)."""


class WireReply(msgspec.Struct, kw_only=True, tag_field="type", tag="reply"):
    """A reply as it arrives; ``data`` stays raw until the caller says what type it is."""

    id: int | str | None = None
    ok: bool = False
    order_id: int | None = None
    order_ids: tuple[int, ...] = ()
    reason: str | None = None
    message: str | None = None
    data: msgspec.Raw = msgspec.Raw()


_reply_decoder = msgspec.msgpack.Decoder(WireReply)
_event_decoder = msgspec.msgpack.Decoder(StreamMessage)
_NIL = b"\xc0"


def decode_reply(payload: bytes) -> WireReply | None:
    """The reply in ``payload``, or None if it is not one."""
    try:
        return _reply_decoder.decode(payload)
    except msgspec.DecodeError:
        return None


def decode_event(payload: bytes) -> StreamMessage | None:
    """The stream message in ``payload``, or None if it is unknown (e.g. a kind added by a newer daemon)."""
    try:
        return _event_decoder.decode(payload)
    except msgspec.DecodeError:
        return None


def typed_data(wire: WireReply, kind: type[T]) -> T | None:
    """The reply's ``data`` decoded as ``kind`` (None when nil)."""
    raw = bytes(wire.data)
    if not raw or raw == _NIL:
        return None
    return msgspec.msgpack.decode(raw, type=kind)


def to_reply(wire: WireReply, data: Any = None) -> Reply:
    """The public reply for a wire reply."""
    return Reply(
        id=wire.id,
        ok=wire.ok,
        order_id=wire.order_id,
        order_ids=wire.order_ids,
        reason=wire.reason,
        message=wire.message,
        data=data,
    )


def money(value: Amount | None) -> Money | None:
    """A price or quantity for the wire: a fixed-point decimal string (floats are refused: they are not money)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"amounts must be Decimal, int or str, not {type(value).__name__} (binary floats are not money)"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"amount must be finite, got {value}")
        return format(value, "f")
    return value


def side(value: OrderSide | str) -> OrderSide:
    """An order side from ``OrderSide`` or its name in any case."""
    return OrderSide(value.upper())


def order_type(value: OrderType | str) -> OrderType:
    """An order type from ``OrderType`` or its name in any case."""
    return OrderType(value.upper())


def time_in_force(value: TimeInForce | str) -> TimeInForce:
    """A time in force from ``TimeInForce`` or its name in any case."""
    return TimeInForce(value.upper())


def statuses(value: OrderStatus | str | Sequence[OrderStatus | str] | None) -> list[OrderStatus] | None:
    """Order statuses to filter on."""
    if value is None:
        return None
    if isinstance(value, str):
        return [OrderStatus(value.upper())]
    return [OrderStatus(v.upper()) for v in value]


def default_topics(account: str, strategy: str) -> list[str]:
    """What a strategy hears by default: its own orders and fills, its account's news, daemon-wide alerts."""
    if not account:
        return [""]
    topics = [f"{account}/_/", "_/_/alert"]
    if strategy:
        topics.insert(0, f"{account}/{strategy}/")
    return topics


def connect(
    request_endpoint: str,
    events_endpoint: str | None,
    topics: Sequence[str],
    dealer_hwm: int | None = None,
) -> tuple[zmq.Context, zmq.Socket, zmq.Socket | None]:
    """A context, the DEALER for requests and (with an events endpoint) the SUB on ``topics``, connected."""
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    if dealer_hwm is not None:
        dealer.setsockopt(zmq.SNDHWM, dealer_hwm)
        dealer.setsockopt(zmq.RCVHWM, dealer_hwm)
    dealer.connect(request_endpoint)
    sub: zmq.Socket | None = None
    if events_endpoint is not None:
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVHWM, 100_000)
        for topic in topics:
            sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        sub.connect(events_endpoint)
    return context, dealer, sub
