"""From HTTP to the writer: strict body and query decoding, core inputs, and awaiting the one reply.

The HTTP layer never touches state for writes: it builds an intent with a unique ``request_id``
(``h1``, ``h2``, …) and ``ts_recv`` from the gateway, submits it to the writer queue and awaits the
core's ``Replied`` (bounded by a timeout).
"""

import asyncio
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from oms_daemon.core.events import Replied
from oms_daemon.core.inputs import CancelOrder, CloseAll, ClosePosition, Intent, ReplaceOrder, SubmitOrder
from oms_daemon.core.model import Order
from oms_daemon.gateway import Gateway, GatewayClosed
from oms_daemon.http_api.errors import ApiError, ErrorCode
from oms_daemon.http_api.schema import (
    MONEY_LIMIT,
    CancelCommand,
    ChangeOrder,
    CloseAllCommand,
    ClosePositionCommand,
    Command,
    SendOrder,
)

__all__ = ["Writer", "decode_body", "decode_query", "to_input"]

T = TypeVar("T", bound=msgspec.Struct)
IntentT = TypeVar("IntentT", bound=Intent)

_INPUTS: dict[type, type[Intent]] = {
    SendOrder: SubmitOrder,
    ChangeOrder: ReplaceOrder,
    CancelCommand: CancelOrder,
    ClosePositionCommand: ClosePosition,
    CloseAllCommand: CloseAll,
}
_NOT_INPUT = ("account", "strategy", "wait")


def _invalid(message: str) -> ApiError:
    return ApiError(400, ErrorCode.VALIDATION_ERROR, message)


def _check_money(value: msgspec.Struct) -> None:
    for field in msgspec.structs.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, Decimal) and not (item.is_finite() and abs(item) < MONEY_LIMIT):
            raise _invalid(f"expected a finite decimal below {MONEY_LIMIT:f} in magnitude - at `$.{field.encode_name}`")


def decode_body(raw: bytes, kind: type[T]) -> T:
    """Decode a JSON body strictly into ``kind``; raises ``validation_error`` naming the bad field."""
    try:
        value = msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as err:
        raise _invalid(str(err)) from None
    except msgspec.DecodeError as err:
        raise _invalid(f"body is not one JSON value: {err}") from None
    except RecursionError:
        raise _invalid("body nests objects or arrays too deeply") from None
    _check_money(value)
    return value


def decode_query(request: web.Request, kind: type[T]) -> T:
    """Decode the query string into ``kind`` (numbers and booleans from their text)."""
    try:
        return msgspec.convert(dict(request.query), kind, strict=False)
    except msgspec.ValidationError as err:
        raise _invalid(str(err)) from None


def to_input(command: Command, account: str, strategy: str, request_id: str, ts_recv: int) -> Intent:
    """The core intent for ``command``, acting for ``strategy`` on ``account``."""
    fields = {k: v for k, v in msgspec.structs.asdict(command).items() if k not in _NOT_INPUT}
    return _INPUTS[type(command)](
        ts_recv=ts_recv, request_id=request_id, account_id=account, strategy_id=strategy, **fields
    )


class Writer:
    """Submits intents to the writer queue and awaits their reply."""

    def __init__(self, gateway: Gateway, *, timeout: float = 10.0, prefix: str = "h") -> None:
        self._gateway = gateway
        self._timeout = timeout
        self._prefix = prefix
        self._counter = 0

    def next_request_id(self) -> str:
        """A request id no other input of this process carries."""
        self._counter += 1
        return f"{self._prefix}{self._counter}"

    def now_ns(self) -> int:
        """Receive time for a new input."""
        return self._gateway.now_ns()

    async def command(self, command: Command, account: str, strategy: str) -> Replied:
        """Submit ``command`` for ``strategy`` on ``account`` and await the core's reply."""
        return await self.submit(to_input(command, account, strategy, self.next_request_id(), self.now_ns()))

    def stamp(self, kind: type[IntentT], **fields: Any) -> IntentT:
        """A new ``kind`` intent with a fresh ``request_id`` and ``ts_recv``."""
        return kind(ts_recv=self.now_ns(), request_id=self.next_request_id(), **fields)

    async def cancel(self, order: Order) -> Replied:
        """Cancel ``order`` for the strategy that placed it, and await the reply."""
        intent = self.stamp(
            CancelOrder, account_id=order.account_id, strategy_id=order.strategy_id, order_id=order.order_id
        )
        return await self.submit(intent)

    async def submit(self, intent: Intent) -> Replied:
        """Submit ``intent`` and await its reply; ``shutting_down`` or ``timeout`` when none can come."""
        try:
            future = self._gateway.submit(intent)
        except GatewayClosed:
            raise ApiError(503, ErrorCode.SHUTTING_DOWN, "the daemon is shutting down") from None
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._timeout)
        except TimeoutError:
            raise ApiError(504, ErrorCode.TIMEOUT, f"no reply from the writer within {self._timeout}s") from None
        except GatewayClosed:
            raise ApiError(503, ErrorCode.SHUTTING_DOWN, "the daemon stopped before answering") from None
