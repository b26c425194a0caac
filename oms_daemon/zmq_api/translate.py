"""Wire requests to core inputs and query answers; every refusal made here has a ``WireCode``.

Decoding is strict: unknown fields, missing fields, wrong types and floats for money are refused
with msgspec's error path in the message, so a client can see exactly which field is wrong.
"""

import re
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from oms_daemon import views
from oms_daemon.core.inputs import (
    CancelOrder,
    CloseAll,
    ClosePosition,
    DropDeadLetter,
    Intent,
    KillSwitch,
    OperatorCommand,
    PreviewOrder,
    RedriveDeadLetter,
    ReplaceOrder,
    RequestReconciliation,
    SetArmed,
    SetSafeMode,
    SubmitOrder,
)
from oms_daemon.core.reasons import Reason
from oms_daemon.core.state import OmsState
from oms_daemon.dead_letters import dead_letters
from oms_daemon.zmq_api.schema import (
    MONEY_FIELDS,
    REQUEST_TYPES,
    AccountQuery,
    AnyRequest,
    ArmRequest,
    CancelRequest,
    CloseAllRequest,
    ClosePositionRequest,
    DeadLettersQuery,
    DropDeadLetterRequest,
    FillsQuery,
    IntentRequest,
    KillRequest,
    OperatorRequest,
    OrdersQuery,
    PositionsQuery,
    PreviewRequest,
    ReconcileRequest,
    RedriveDeadLetterRequest,
    ReplaceRequest,
    RequestId,
    SafeModeRequest,
    StatusQuery,
    SubmitRequest,
    WireCode,
)

__all__ = ["QUERIES", "Refused", "answer", "decode_request", "to_input"]

QUERIES = (OrdersQuery, PositionsQuery, FillsQuery, AccountQuery, StatusQuery, DeadLettersQuery)
"""Request types answered directly from state, without the writer."""

In = TypeVar("In", bound=Intent)
C = TypeVar("C", bound=OperatorCommand)
_decoder = msgspec.msgpack.Decoder(AnyRequest)
_generic = msgspec.msgpack.Decoder()
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?")
_MAX_DECIMAL_CHARS = 50
_PATH = re.compile(r" - at `\$\.([A-Za-z_]+)`$")


class Refused(Exception):
    """A request the API refuses before it reaches the core (control flow inside this package)."""

    def __init__(self, code: str, message: str, request_id: RequestId = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def decode_request(payload: bytes) -> AnyRequest:
    """Decode one request payload; raises ``Refused`` with the precise reason."""
    try:
        return _decoder.decode(payload)
    except msgspec.ValidationError as err:
        raise _invalid(payload, str(err)) from None
    except msgspec.DecodeError as err:
        raise Refused(WireCode.NOT_MSGPACK, f"payload is not one MessagePack value: {err}") from None
    except UnicodeDecodeError as err:
        raise Refused(
            WireCode.NOT_MSGPACK, f"payload is not one MessagePack value: a str is not UTF-8 ({err.reason})"
        ) from None
    except RecursionError:
        raise Refused(WireCode.MALFORMED_REQUEST, "payload nests maps or arrays too deeply") from None


def _invalid(payload: bytes, text: str) -> Refused:
    try:
        raw = _generic.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raw = None
    rid = _request_id(raw)
    if isinstance(raw, dict) and text.endswith("at `$.type`"):
        kind = raw.get("type")
        shown = repr(kind) if isinstance(kind, str | int) else type(kind).__name__
        return Refused(
            WireCode.UNKNOWN_REQUEST_TYPE,
            f"unknown request type {shown[:60]}; expected one of {', '.join(REQUEST_TYPES)}",
            rid,
        )
    path = _PATH.search(text)
    if "got `float`" in text and path is not None and path.group(1) in MONEY_FIELDS:
        field = path.group(1)
        return Refused(
            WireCode.FLOAT_NOT_ALLOWED,
            f'binary floats are not money: send `{field}` as a decimal string such as "101.25" - at `$.{field}`',
            rid,
        )
    return Refused(WireCode.MALFORMED_REQUEST, text, rid)


def _request_id(raw: object) -> RequestId:
    if isinstance(raw, dict):
        rid = raw.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def _money(value: str | int | None, field: str, rid: RequestId) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if len(value) <= _MAX_DECIMAL_CHARS and _DECIMAL.fullmatch(value):
        return Decimal(value)
    shown = value if len(value) <= _MAX_DECIMAL_CHARS else value[:_MAX_DECIMAL_CHARS] + "…"
    raise Refused(
        WireCode.MALFORMED_REQUEST, f'Expected a decimal string such as "101.25", got {shown!r} - at `$.{field}`', rid
    )


def _quantity(value: str | int, rid: RequestId) -> Decimal:
    quantity = _money(value, "quantity", rid)
    assert quantity is not None
    return quantity


def to_input(request: AnyRequest, request_id: str, ts_recv: int) -> Intent | OperatorCommand:
    """The core input for an intent or operator request (not for queries)."""
    rid = request.id
    match request:
        case SubmitRequest() | PreviewRequest():  # the hot path: spelled out rather than through ``_intent``
            cls = SubmitOrder if isinstance(request, SubmitRequest) else PreviewOrder
            return cls(
                ts_recv=ts_recv,
                request_id=request_id,
                account_id=request.account,
                strategy_id=request.strategy,
                symbol=request.symbol,
                side=request.side,
                quantity=_quantity(request.quantity, rid),
                order_type=request.order_type,
                time_in_force=request.time_in_force,
                price=_money(request.price, "price", rid),
                stop_price=_money(request.stop_price, "stop_price", rid),
                post_only=request.post_only,
                reduce_only=request.reduce_only,
                idempotency_key=request.idempotency_key,
                position_id=request.position_id,
            )
        case CancelRequest():
            return _intent(CancelOrder, request, request_id, ts_recv, order_id=request.order_id)
        case ReplaceRequest():
            return _intent(
                ReplaceOrder,
                request,
                request_id,
                ts_recv,
                order_id=request.order_id,
                quantity=_money(request.quantity, "quantity", rid),
                price=_money(request.price, "price", rid),
                stop_price=_money(request.stop_price, "stop_price", rid),
            )
        case ClosePositionRequest():
            return _intent(
                ClosePosition,
                request,
                request_id,
                ts_recv,
                symbol=request.symbol,
                quantity=_money(request.quantity, "quantity", rid),
                position_id=request.position_id,
            )
        case CloseAllRequest():
            return _intent(CloseAll, request, request_id, ts_recv, symbol=request.symbol)
        case SafeModeRequest():
            return _operator(SetSafeMode, request, request_id, ts_recv, enabled=request.enabled)
        case ArmRequest():
            if request.armed and not request.confirm:
                raise Refused(
                    WireCode.CONFIRMATION_REQUIRED,
                    "arming lets orders reach the venue: send the request again with confirm=true",
                    rid,
                )
            return _operator(SetArmed, request, request_id, ts_recv, armed=request.armed)
        case KillRequest():
            return _operator(KillSwitch, request, request_id, ts_recv, flatten=request.flatten)
        case ReconcileRequest():
            return _operator(RequestReconciliation, request, request_id, ts_recv)
        case RedriveDeadLetterRequest():
            return _operator(RedriveDeadLetter, request, request_id, ts_recv, entry_id=request.entry_id)
        case DropDeadLetterRequest():
            return _operator(DropDeadLetter, request, request_id, ts_recv, entry_id=request.entry_id)
    raise TypeError(f"{type(request).__name__} is a query, not an input")


def _intent(cls: type[In], request: IntentRequest, request_id: str, ts_recv: int, **fields: Any) -> In:
    """A strategy intent acting for the request's strategy on its account."""
    return cls(
        ts_recv=ts_recv, request_id=request_id, account_id=request.account, strategy_id=request.strategy, **fields
    )


def _operator(cls: type[C], request: OperatorRequest, request_id: str, ts_recv: int, **fields: Any) -> C:
    """An operator command on the request's account (nil: every account), with who asked and why."""
    return cls(
        ts_recv=ts_recv,
        request_id=request_id,
        operator=request.operator,
        account_id=request.account,
        reason=request.reason,
        **fields,
    )


def answer(state: OmsState, request: AnyRequest) -> Any:
    """The data answering a query, read from ``state``; an unknown ``account`` filter is refused."""
    if request.account is not None and request.account not in state.account_configs:
        raise Refused(Reason.UNKNOWN_ACCOUNT, f"unknown account {request.account!r}", request.id)
    match request:
        case OrdersQuery():
            status = request.status
            statuses = None if status is None else [status] if isinstance(status, str) else status
            filters = views.filters(request, request.account, request.strategy)
            return views.orders(state, statuses=statuses, scope=request.scope, **filters)
        case PositionsQuery():
            filters = views.filters(request, request.account, request.strategy)
            return views.positions(state, scope=request.scope, **filters)
        case FillsQuery():
            filters = views.filters(request, request.account, request.strategy)
            return views.fills(state, order_id=request.order_id, **filters)
        case AccountQuery():
            return views.accounts(state, request.account)
        case StatusQuery():
            return views.status(state, request.account, request.limit)
        case DeadLettersQuery():
            return dead_letters(state, request.account)
    raise TypeError(f"{type(request).__name__} is not a query")
