"""Every method of the Python clients, written once: the request it sends and how its reply answers it.

Each public function here (``submit``, ``orders``, ``kill``, …) builds one method's request from the
client's identity (``ClientBase``) and the call's arguments; ``intent`` or ``query`` makes it a
``ClientCall`` that also knows how to read the reply. ``OmsClient`` and ``AsyncOmsClient`` turn every
``ClientCall`` into their method of the same name, signature and docstring, so the blocking and the asyncio
client differ only in how they send a request and wait for its reply.
"""

import functools
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from oms_daemon.client import protocol as p
from oms_daemon.client.protocol import Amount, OmsRejected, Reply, WireReply
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.views import AccountView, FillView, OrderView, Page, PositionView, PreviewView, Scope, StatusView
from oms_daemon.zmq_api.schema import (
    AccountQuery,
    ArmRequest,
    CancelRequest,
    CloseAllRequest,
    ClosePositionRequest,
    FillsQuery,
    KillRequest,
    OperatorRequest,
    OrderFields,
    OrdersQuery,
    PositionsQuery,
    PreviewRequest,
    ReconcileRequest,
    ReplaceRequest,
    Request,
    SafeModeRequest,
    StatusQuery,
    SubmitRequest,
)

__all__ = [
    "ClientBase",
    "ClientCall",
    "accounts",
    "arm",
    "cancel",
    "close_all",
    "close_position",
    "disarm",
    "fills",
    "intent",
    "kill",
    "orders",
    "positions",
    "preview",
    "query",
    "reconcile",
    "replace",
    "safe_mode",
    "status",
    "submit",
]

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=Callable[..., Any])
Ord = TypeVar("Ord", bound=OrderFields)
Op = TypeVar("Op", bound=OperatorRequest)
Build = Callable[Concatenate[Any, P], Request]


class ClientCall(Generic[P, R]):
    """One client method, written once: ``build`` makes its request and ``answer`` reads the reply.

    ``answer(wire, raise_on_reject)`` raises ``OmsRejected`` for a refused query (and for a refused intent
    when the client raises on rejects).
    """

    def __init__(self, build: Build[P], returns: Any, answer: Callable[[WireReply, bool], R]) -> None:
        self.build = build
        self.answer = answer
        self._returns = returns

    def dress(self, method: M) -> M:
        """``method`` named, documented and signed as the builder (its client as ``self``), answering ``R``."""
        build = self.build
        functools.update_wrapper(method, build)
        signature = inspect.signature(build)
        client, *arguments = signature.parameters.values()
        method.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[client.replace(name="self", annotation=inspect.Parameter.empty), *arguments],
            return_annotation=self._returns,
        )
        method.__annotations__ = {a.name: a.annotation for a in arguments} | {"return": self._returns}
        return method


def intent(kind: type | None = None) -> Callable[[Build[P]], ClientCall[P, Reply]]:
    """Make a builder an intent or operator command: the call answers the ``Reply`` (``data`` as ``kind``)."""

    def answer(wire: WireReply, raise_on_reject: bool) -> Reply:
        reply = p.to_reply(wire, p.typed_data(wire, kind) if kind is not None else None)
        if not reply.ok and raise_on_reject:
            raise OmsRejected(reply)
        return reply

    return lambda build: ClientCall(build, Reply, answer)


def query(kind: type[R], empty: Callable[[], R] | None = None) -> Callable[[Build[P]], ClientCall[P, R]]:
    """Make a builder a query: the call answers the reply's data as ``kind`` (``empty()`` when it has none)."""

    def answer(wire: WireReply, raise_on_reject: bool) -> R:
        if not wire.ok:
            raise OmsRejected(p.to_reply(wire))
        data = p.typed_data(wire, kind)
        if empty is not None and not data:
            return empty()
        return data  # type: ignore[return-value]

    return lambda build: ClientCall(build, kind, answer)


class ClientBase:
    """What every client has: its identity (account, strategy, operator) and the ids of its requests."""

    def __init__(self, account: str, strategy: str, operator: str | None) -> None:
        self.account_id = account
        self.strategy_id = strategy
        self.operator = operator or strategy or "client"
        self._ids = itertools.count(1)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give the methods a ``ClientCall`` dressed the module and qualified name of the client they belong to."""
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if getattr(value, "__wrapped__", None) is not None:
                value.__module__ = cls.__module__
                value.__qualname__ = f"{cls.__qualname__}.{name}"


# --- intents -------------------------------------------------------------------------------------------


@intent()
def submit(
    client: ClientBase,
    symbol: str,
    side: OrderSide | str,
    quantity: Amount,
    *,
    order_type: OrderType | str = OrderType.MARKET,
    time_in_force: TimeInForce | str = TimeInForce.GTC,
    price: Amount | None = None,
    stop_price: Amount | None = None,
    post_only: bool = False,
    reduce_only: bool = False,
    idempotency_key: str | None = None,
    position_id: int | None = None,
) -> SubmitRequest:
    """Place an order; the reply carries its ``order_id``."""
    flags = (post_only, reduce_only, idempotency_key, position_id)
    return _order(client, SubmitRequest, symbol, side, quantity, order_type, time_in_force, price, stop_price, *flags)


@intent(PreviewView)
def preview(
    client: ClientBase,
    symbol: str,
    side: OrderSide | str,
    quantity: Amount,
    *,
    order_type: OrderType | str = OrderType.MARKET,
    time_in_force: TimeInForce | str = TimeInForce.GTC,
    price: Amount | None = None,
    stop_price: Amount | None = None,
    post_only: bool = False,
    reduce_only: bool = False,
    position_id: int | None = None,
) -> PreviewRequest:
    """What a submit would do; ``data`` is a ``PreviewView`` (``ok`` false when it would be refused)."""
    flags = (post_only, reduce_only, None, position_id)
    return _order(client, PreviewRequest, symbol, side, quantity, order_type, time_in_force, price, stop_price, *flags)


@intent()
def cancel(client: ClientBase, order_id: int) -> CancelRequest:
    """Cancel a working order."""
    return CancelRequest(
        id=next(client._ids), account=client.account_id, strategy=client.strategy_id, order_id=order_id
    )


@intent()
def replace(
    client: ClientBase,
    order_id: int,
    *,
    quantity: Amount | None = None,
    price: Amount | None = None,
    stop_price: Amount | None = None,
) -> ReplaceRequest:
    """Change a working order; the reply's ``order_id`` is the replacement's."""
    return ReplaceRequest(
        id=next(client._ids),
        account=client.account_id,
        strategy=client.strategy_id,
        order_id=order_id,
        quantity=p.money(quantity),
        price=p.money(price),
        stop_price=p.money(stop_price),
    )


@intent()
def close_position(
    client: ClientBase, symbol: str, *, quantity: Amount | None = None, position_id: int | None = None
) -> ClosePositionRequest:
    """Flatten (or reduce by ``quantity``) a position; ``order_ids`` are the closing orders."""
    return ClosePositionRequest(
        id=next(client._ids),
        account=client.account_id,
        strategy=client.strategy_id,
        symbol=symbol,
        quantity=p.money(quantity),
        position_id=position_id,
    )


@intent()
def close_all(client: ClientBase, symbol: str | None = None) -> CloseAllRequest:
    """Flatten every open position of the account (optionally one symbol)."""
    return CloseAllRequest(id=next(client._ids), account=client.account_id, strategy=client.strategy_id, symbol=symbol)


# --- queries (raise OmsRejected on refusal) --------------------------------------------------------------


@query(Page[OrderView])
def orders(
    client: ClientBase,
    *,
    symbol: str | None = None,
    status: OrderStatus | str | Sequence[OrderStatus | str] | None = None,
    scope: Scope = "open",
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
    all_strategies: bool = False,
) -> OrdersQuery:
    """This strategy's orders (every strategy's with ``all_strategies``) on the account."""
    return OrdersQuery(
        id=next(client._ids),
        account=client.account_id or None,
        strategy=None if all_strategies else client.strategy_id or None,
        symbol=symbol,
        status=p.statuses(status),
        scope=scope,
        since=since,
        cursor=cursor,
        limit=limit,
        newest_first=newest_first,
    )


@query(Page[FillView])
def fills(
    client: ClientBase,
    *,
    symbol: str | None = None,
    order_id: int | None = None,
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
    all_strategies: bool = False,
) -> FillsQuery:
    """This strategy's fills (every strategy's with ``all_strategies``) on the account."""
    return FillsQuery(
        id=next(client._ids),
        account=client.account_id or None,
        strategy=None if all_strategies else client.strategy_id or None,
        symbol=symbol,
        order_id=order_id,
        since=since,
        cursor=cursor,
        limit=limit,
        newest_first=newest_first,
    )


@query(Page[PositionView])
def positions(
    client: ClientBase,
    *,
    symbol: str | None = None,
    scope: Scope = "open",
    strategy: str | None = None,
    since: int | None = None,
    cursor: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> PositionsQuery:
    """The account's positions (optionally only those a given strategy opened)."""
    return PositionsQuery(
        id=next(client._ids),
        account=client.account_id or None,
        strategy=strategy,
        symbol=symbol,
        scope=scope,
        since=since,
        cursor=cursor,
        limit=limit,
        newest_first=newest_first,
    )


@query(list[AccountView], empty=list)
def accounts(client: ClientBase, account: str | None = None) -> AccountQuery:
    """Every account (or one)."""
    return AccountQuery(id=next(client._ids), account=account)


@query(StatusView)
def status(client: ClientBase, account: str | None = None, *, limit: int = 100) -> StatusQuery:
    """Daemon summary (of every account unless one is given)."""
    return StatusQuery(id=next(client._ids), account=account, limit=limit)


# --- operator commands -----------------------------------------------------------------------------------


@intent()
def safe_mode(
    client: ClientBase,
    enabled: bool = True,
    *,
    reason: str = "",
    all_accounts: bool = False,
    operator: str | None = None,
) -> SafeModeRequest:
    """Enter (or leave) SAFE mode on this client's account, or on every account."""
    return _operator(client, SafeModeRequest, all_accounts, operator, reason, enabled=enabled)


@intent()
def arm(
    client: ClientBase, *, confirm: bool, reason: str = "", all_accounts: bool = False, operator: str | None = None
) -> ArmRequest:
    """Arm (let orders reach the venue); refused with ``confirmation_required`` unless ``confirm``."""
    return _operator(client, ArmRequest, all_accounts, operator, reason, armed=True, confirm=confirm)


@intent()
def disarm(
    client: ClientBase, *, reason: str = "", all_accounts: bool = False, operator: str | None = None
) -> ArmRequest:
    """Disarm: nothing new reaches the venue."""
    return _operator(client, ArmRequest, all_accounts, operator, reason, armed=False)


@intent()
def reconcile(
    client: ClientBase, *, reason: str = "", all_accounts: bool = False, operator: str | None = None
) -> ReconcileRequest:
    """Run a reconciliation pass now on this client's account (or every account)."""
    return _operator(client, ReconcileRequest, all_accounts, operator, reason)


@intent()
def kill(
    client: ClientBase,
    *,
    flatten: bool = False,
    reason: str = "",
    all_accounts: bool = False,
    operator: str | None = None,
) -> KillRequest:
    """Kill switch: cancel every working order, optionally flatten, and disarm."""
    return _operator(client, KillRequest, all_accounts, operator, reason, flatten=flatten)


# --- shared parts ----------------------------------------------------------------------------------------


def _order(
    client: ClientBase,
    kind: type[Ord],
    symbol: str,
    side: OrderSide | str,
    quantity: Amount,
    order_type: OrderType | str,
    time_in_force: TimeInForce | str,
    price: Amount | None,
    stop_price: Amount | None,
    post_only: bool,
    reduce_only: bool,
    idempotency_key: str | None,
    position_id: int | None,
) -> Ord:
    return kind(
        id=next(client._ids),
        account=client.account_id,
        strategy=client.strategy_id,
        symbol=symbol,
        side=p.side(side),
        quantity=_required(quantity),
        order_type=p.order_type(order_type),
        time_in_force=p.time_in_force(time_in_force),
        price=p.money(price),
        stop_price=p.money(stop_price),
        post_only=post_only,
        reduce_only=reduce_only,
        idempotency_key=idempotency_key,
        position_id=position_id,
    )


def _operator(
    client: ClientBase, kind: type[Op], all_accounts: bool, operator: str | None, reason: str, **fields: Any
) -> Op:
    """An operator command on this client's account (on every account with ``all_accounts``)."""
    return kind(
        id=next(client._ids),
        account=None if all_accounts or not client.account_id else client.account_id,
        operator=operator or client.operator,
        reason=reason,
        **fields,
    )


def _required(value: Amount) -> str | int:
    converted = p.money(value)
    if converted is None:
        raise TypeError("quantity is required")
    return converted
