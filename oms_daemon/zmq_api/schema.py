"""The ZeroMQ wire schema: request payloads (a union tagged by ``"type"``), replies and stream messages.

Shared by the server (to decode requests precisely) and the Python client (to encode them).
Money fields are decimal strings or integers on the wire; binary floats are refused.
"""

from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.views import (
    AccountView,
    AlertView,
    DirtyView,
    FillView,
    ModeChangeView,
    OrderView,
    PositionView,
    QuoteView,
    Scope,
)

__all__ = [
    "MONEY_FIELDS",
    "REQUEST_TYPES",
    "AccountEvent",
    "AccountQuery",
    "AlertEvent",
    "AnyRequest",
    "ArmRequest",
    "CancelRequest",
    "CloseAllRequest",
    "ClosePositionRequest",
    "DeadLettersQuery",
    "DirtyEvent",
    "DropDeadLetterRequest",
    "FillEvent",
    "FillsQuery",
    "IntentRequest",
    "KillRequest",
    "ModeEvent",
    "Money",
    "OperatorRequest",
    "OrderEvent",
    "OrderFields",
    "OrdersQuery",
    "PositionEvent",
    "PositionsQuery",
    "PreviewRequest",
    "QuoteEvent",
    "ReconcileRequest",
    "RedriveDeadLetterRequest",
    "ReplaceRequest",
    "Reply",
    "Request",
    "RequestId",
    "SafeModeRequest",
    "StatusQuery",
    "StreamMessage",
    "SubmitRequest",
    "WireCode",
]

Money = str | int
"""A decimal string such as ``"101.25"`` (or an integer); validated when the request is translated."""

RequestId = str | int | None
"""The client's request id, echoed in the reply."""

Limit = Annotated[int, Meta(ge=1, le=1000)]

MONEY_FIELDS = frozenset({"quantity", "price", "stop_price"})
"""Request fields that carry money, prices or quantities."""


class WireCode(StrEnum):
    """Refusals made by the API itself, before a request reaches the core (codes never change meaning)."""

    NOT_MSGPACK = "not_msgpack"
    FRAME_TOO_LARGE = "frame_too_large"
    MALFORMED_REQUEST = "malformed_request"
    UNKNOWN_REQUEST_TYPE = "unknown_request_type"
    FLOAT_NOT_ALLOWED = "float_not_allowed"
    CONFIRMATION_REQUIRED = "confirmation_required"
    SHUTTING_DOWN = "shutting_down"
    INTERNAL_ERROR = "internal_error"


# --- requests ------------------------------------------------------------------------------------------


class Request(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="type", forbid_unknown_fields=True
):
    """Base of every request; on queries ``account`` / ``strategy`` are filters (absent or nil: all)."""

    id: RequestId = None
    account: str | None = None
    strategy: str | None = None


class IntentRequest(Request, frozen=True, kw_only=True):
    """A strategy intent: acts for ``strategy`` on ``account``."""

    account: str
    strategy: str


class OrderFields(IntentRequest, frozen=True, kw_only=True):
    """The fields of a new order (submit and preview)."""

    symbol: str
    side: OrderSide
    quantity: Money
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Money | None = None
    stop_price: Money | None = None
    post_only: bool = False
    reduce_only: bool = False
    idempotency_key: str | None = None
    position_id: int | None = None


class SubmitRequest(OrderFields, frozen=True, kw_only=True, tag="submit"):
    """Place a new order."""


class PreviewRequest(OrderFields, frozen=True, kw_only=True, tag="preview"):
    """What a submit would do, without placing anything."""


class CancelRequest(IntentRequest, frozen=True, kw_only=True, tag="cancel"):
    """Cancel a working order."""

    order_id: int


class ReplaceRequest(IntentRequest, frozen=True, kw_only=True, tag="replace"):
    """Change quantity and/or prices of a working order (the replacement gets a new order id)."""

    order_id: int
    quantity: Money | None = None
    price: Money | None = None
    stop_price: Money | None = None


class ClosePositionRequest(IntentRequest, frozen=True, kw_only=True, tag="close_position"):
    """Flatten (or reduce by ``quantity``) a symbol's position, or one ticket in hedging mode."""

    symbol: str
    quantity: Money | None = None
    position_id: int | None = None


class CloseAllRequest(IntentRequest, frozen=True, kw_only=True, tag="close_all"):
    """Flatten every open position of the account (optionally one symbol)."""

    symbol: str | None = None


class OrdersQuery(Request, frozen=True, kw_only=True, tag="orders"):
    """List orders."""

    symbol: str | None = None
    status: OrderStatus | list[OrderStatus] | None = None
    scope: Scope = "open"
    since: int | None = None
    cursor: int | None = None
    limit: Limit = 100
    newest_first: bool = False


class PositionsQuery(Request, frozen=True, kw_only=True, tag="positions"):
    """List positions."""

    symbol: str | None = None
    scope: Scope = "open"
    since: int | None = None
    cursor: int | None = None
    limit: Limit = 100
    newest_first: bool = False


class FillsQuery(Request, frozen=True, kw_only=True, tag="fills"):
    """List fills."""

    symbol: str | None = None
    order_id: int | None = None
    since: int | None = None
    cursor: int | None = None
    limit: Limit = 100
    newest_first: bool = False


class AccountQuery(Request, frozen=True, kw_only=True, tag="account"):
    """Balances and modes of one account (or all)."""


class StatusQuery(Request, frozen=True, kw_only=True, tag="status"):
    """Daemon summary: accounts, modes, working orders, open positions, counts."""

    limit: Limit = 100


class DeadLettersQuery(Request, frozen=True, kw_only=True, tag="dlq_list"):
    """The dead-letter queue: venue commands that exhausted their retries (of one account, or all)."""


class OperatorRequest(Request, frozen=True, kw_only=True):
    """A control-plane request; ``operator`` names who asks, for the audit trail (``account`` nil: all)."""

    operator: str
    reason: str = ""


class SafeModeRequest(OperatorRequest, frozen=True, kw_only=True, tag="safe_mode"):
    """Enter (or leave) SAFE mode."""

    enabled: bool = True


class ArmRequest(OperatorRequest, frozen=True, kw_only=True, tag="arm"):
    """Arm (needs ``confirm`` true) or disarm an account."""

    armed: bool = True
    confirm: bool = False


class KillRequest(OperatorRequest, frozen=True, kw_only=True, tag="kill"):
    """Cancel all working orders, optionally flatten, and disarm."""

    flatten: bool = False


class ReconcileRequest(OperatorRequest, frozen=True, kw_only=True, tag="reconcile"):
    """Run a reconciliation pass now (needed before SAFE mode can be left)."""


class RedriveDeadLetterRequest(OperatorRequest, frozen=True, kw_only=True, tag="dlq_redrive"):
    """Send a dead-lettered venue command again (when its order still needs it)."""

    entry_id: int


class DropDeadLetterRequest(OperatorRequest, frozen=True, kw_only=True, tag="dlq_drop"):
    """Discard a dead-lettered venue command; its order is settled as not sent."""

    entry_id: int


AnyRequest = (
    SubmitRequest
    | PreviewRequest
    | CancelRequest
    | ReplaceRequest
    | ClosePositionRequest
    | CloseAllRequest
    | OrdersQuery
    | PositionsQuery
    | FillsQuery
    | AccountQuery
    | StatusQuery
    | SafeModeRequest
    | ArmRequest
    | KillRequest
    | ReconcileRequest
    | DeadLettersQuery
    | RedriveDeadLetterRequest
    | DropDeadLetterRequest
)
"""Every request, decoded by its ``"type"``."""

REQUEST_TYPES: tuple[str, ...] = tuple(
    str(cls.__struct_config__.tag)
    for cls in AnyRequest.__args__  # type: ignore[attr-defined]
)
"""Every ``"type"`` a request may have."""


# --- replies ----------------------------------------------------------------------------------------------


class Reply(msgspec.Struct, kw_only=True, tag_field="type", tag="reply"):
    """The one answer to a request; every key is always present (nil when unused)."""

    id: RequestId
    ok: bool
    order_id: int | None = None
    order_ids: list[int] = msgspec.field(default_factory=list)
    reason: str | None = None
    message: str | None = None
    data: Any = None


# --- event stream -----------------------------------------------------------------------------------------


class _Stream(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    seq: int


class OrderEvent(_Stream, frozen=True, kw_only=True, tag="order"):
    """An order was created or changed."""

    data: OrderView


class FillEvent(_Stream, frozen=True, kw_only=True, tag="fill"):
    """A fill was booked."""

    data: FillView


class PositionEvent(_Stream, frozen=True, kw_only=True, tag="position"):
    """A position opened, changed or closed."""

    data: PositionView


class AccountEvent(_Stream, frozen=True, kw_only=True, tag="account"):
    """An account's balances changed."""

    data: AccountView


class ModeEvent(_Stream, frozen=True, kw_only=True, tag="mode"):
    """An account's safety mode changed."""

    data: ModeChangeView


class DirtyEvent(_Stream, frozen=True, kw_only=True, tag="dirty"):
    """Positions of a symbol became untrusted (or trusted again)."""

    data: DirtyView


class AlertEvent(_Stream, frozen=True, kw_only=True, tag="alert"):
    """Something an operator should see."""

    data: AlertView


class QuoteEvent(_Stream, frozen=True, kw_only=True, tag="quote"):
    """A symbol's quote changed (published only when the daemon is configured to)."""

    data: QuoteView


StreamMessage = OrderEvent | FillEvent | PositionEvent | AccountEvent | ModeEvent | DirtyEvent | AlertEvent | QuoteEvent
"""Every payload of the event stream."""
