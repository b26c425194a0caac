"""``OmsClient``: the blocking client (scripts, notebooks, the CLI); one request at a time."""

import itertools
import logging
from collections.abc import Iterator, Sequence
from typing import TypeVar

import msgspec
import zmq

from oms_daemon.client import protocol as p
from oms_daemon.client.protocol import Amount, OmsRejected, OmsTimeout, Reply, WireReply
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
    OrdersQuery,
    PositionsQuery,
    PreviewRequest,
    ReconcileRequest,
    ReplaceRequest,
    Request,
    SafeModeRequest,
    StatusQuery,
    StreamMessage,
    SubmitRequest,
)

__all__ = ["OmsClient"]

T = TypeVar("T")
log = logging.getLogger(__name__)
_encode = msgspec.msgpack.Encoder().encode


class OmsClient:
    """Blocking twin of ``AsyncOmsClient``: same methods, same arguments, same results."""

    def __init__(
        self,
        request_endpoint: str,
        events_endpoint: str | None = None,
        account: str = "",
        strategy: str = "",
        *,
        raise_on_reject: bool = False,
        timeout: float | None = 10.0,
        topics: Sequence[str] | None = None,
        operator: str | None = None,
    ) -> None:
        self.account_id = account
        self.strategy_id = strategy
        self.operator = operator or strategy or "client"
        self.raise_on_reject = raise_on_reject
        self.timeout = timeout
        self._context = zmq.Context()
        self._dealer = self._context.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        self._dealer.connect(request_endpoint)
        self._sub: zmq.Socket | None = None
        if events_endpoint is not None:
            self._sub = self._context.socket(zmq.SUB)
            self._sub.setsockopt(zmq.LINGER, 0)
            self._sub.setsockopt(zmq.RCVHWM, 100_000)
            for topic in p.default_topics(account, strategy) if topics is None else topics:
                self._sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
            self._sub.connect(events_endpoint)
        self._ids = itertools.count(1)
        self._closed = False

    def __enter__(self) -> "OmsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the sockets."""
        if self._closed:
            return
        self._closed = True
        self._dealer.close(0)
        if self._sub is not None:
            self._sub.close(0)
        self._context.term()

    # --- intents -------------------------------------------------------------------------------------------

    def submit(
        self,
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
    ) -> Reply:
        """Place an order; the reply carries its ``order_id``."""
        request = SubmitRequest(
            id=next(self._ids),
            account=self.account_id,
            strategy=self.strategy_id,
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
        return self._intent(request)

    def preview(
        self,
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
    ) -> Reply:
        """What a submit would do; ``data`` is a ``PreviewView`` (``ok`` false when it would be refused)."""
        request = PreviewRequest(
            id=next(self._ids),
            account=self.account_id,
            strategy=self.strategy_id,
            symbol=symbol,
            side=p.side(side),
            quantity=_required(quantity),
            order_type=p.order_type(order_type),
            time_in_force=p.time_in_force(time_in_force),
            price=p.money(price),
            stop_price=p.money(stop_price),
            post_only=post_only,
            reduce_only=reduce_only,
            position_id=position_id,
        )
        return self._intent(request, PreviewView)

    def cancel(self, order_id: int) -> Reply:
        """Cancel a working order."""
        request = CancelRequest(
            id=next(self._ids), account=self.account_id, strategy=self.strategy_id, order_id=order_id
        )
        return self._intent(request)

    def replace(
        self,
        order_id: int,
        *,
        quantity: Amount | None = None,
        price: Amount | None = None,
        stop_price: Amount | None = None,
    ) -> Reply:
        """Change a working order; the reply's ``order_id`` is the replacement's."""
        request = ReplaceRequest(
            id=next(self._ids),
            account=self.account_id,
            strategy=self.strategy_id,
            order_id=order_id,
            quantity=p.money(quantity),
            price=p.money(price),
            stop_price=p.money(stop_price),
        )
        return self._intent(request)

    def close_position(self, symbol: str, *, quantity: Amount | None = None, position_id: int | None = None) -> Reply:
        """Flatten (or reduce by ``quantity``) a position; ``order_ids`` are the closing orders."""
        request = ClosePositionRequest(
            id=next(self._ids),
            account=self.account_id,
            strategy=self.strategy_id,
            symbol=symbol,
            quantity=p.money(quantity),
            position_id=position_id,
        )
        return self._intent(request)

    def close_all(self, symbol: str | None = None) -> Reply:
        """Flatten every open position of the account (optionally one symbol)."""
        request = CloseAllRequest(id=next(self._ids), account=self.account_id, strategy=self.strategy_id, symbol=symbol)
        return self._intent(request)

    # --- queries (raise OmsRejected on refusal) --------------------------------------------------------------

    def orders(
        self,
        *,
        symbol: str | None = None,
        status: OrderStatus | str | Sequence[OrderStatus | str] | None = None,
        scope: Scope = "open",
        since: int | None = None,
        cursor: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
        all_strategies: bool = False,
    ) -> Page[OrderView]:
        """This strategy's orders (every strategy's with ``all_strategies``) on the account."""
        request = OrdersQuery(
            id=next(self._ids),
            account=self.account_id or None,
            strategy=None if all_strategies else self.strategy_id or None,
            symbol=symbol,
            status=p.statuses(status),
            scope=scope,
            since=since,
            cursor=cursor,
            limit=limit,
            newest_first=newest_first,
        )
        return self._query(request, Page[OrderView])

    def fills(
        self,
        *,
        symbol: str | None = None,
        order_id: int | None = None,
        since: int | None = None,
        cursor: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
        all_strategies: bool = False,
    ) -> Page[FillView]:
        """This strategy's fills (every strategy's with ``all_strategies``) on the account."""
        request = FillsQuery(
            id=next(self._ids),
            account=self.account_id or None,
            strategy=None if all_strategies else self.strategy_id or None,
            symbol=symbol,
            order_id=order_id,
            since=since,
            cursor=cursor,
            limit=limit,
            newest_first=newest_first,
        )
        return self._query(request, Page[FillView])

    def positions(
        self,
        *,
        symbol: str | None = None,
        scope: Scope = "open",
        strategy: str | None = None,
        since: int | None = None,
        cursor: int | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> Page[PositionView]:
        """The account's positions (optionally only those a given strategy opened)."""
        request = PositionsQuery(
            id=next(self._ids),
            account=self.account_id or None,
            strategy=strategy,
            symbol=symbol,
            scope=scope,
            since=since,
            cursor=cursor,
            limit=limit,
            newest_first=newest_first,
        )
        return self._query(request, Page[PositionView])

    def account(self) -> AccountView:
        """This client's account: balances, equity, margin, mode."""
        views = self.accounts(self.account_id)
        return views[0]

    def accounts(self, account: str | None = None) -> list[AccountView]:
        """Every account (or one)."""
        return self._query(AccountQuery(id=next(self._ids), account=account), list[AccountView]) or []

    def status(self, account: str | None = None, *, limit: int = 100) -> StatusView:
        """Daemon summary (of every account unless one is given)."""
        return self._query(StatusQuery(id=next(self._ids), account=account, limit=limit), StatusView)

    # --- operator commands -----------------------------------------------------------------------------------

    def safe_mode(
        self, enabled: bool = True, *, reason: str = "", all_accounts: bool = False, operator: str | None = None
    ) -> Reply:
        """Enter (or leave) SAFE mode on this client's account, or on every account."""
        request = SafeModeRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            enabled=enabled,
        )
        return self._intent(request)

    def arm(self, *, confirm: bool, reason: str = "", all_accounts: bool = False, operator: str | None = None) -> Reply:
        """Arm (let orders reach the venue); refused with ``confirmation_required`` unless ``confirm``."""
        request = ArmRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            armed=True,
            confirm=confirm,
        )
        return self._intent(request)

    def disarm(self, *, reason: str = "", all_accounts: bool = False, operator: str | None = None) -> Reply:
        """Disarm: nothing new reaches the venue."""
        request = ArmRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            armed=False,
        )
        return self._intent(request)

    def reconcile(self, *, reason: str = "", all_accounts: bool = False, operator: str | None = None) -> Reply:
        """Run a reconciliation pass now on this client's account (or every account)."""
        request = ReconcileRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
        )
        return self._intent(request)

    def kill(
        self,
        *,
        flatten: bool = False,
        reason: str = "",
        all_accounts: bool = False,
        operator: str | None = None,
    ) -> Reply:
        """Kill switch: cancel every working order, optionally flatten, and disarm."""
        request = KillRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            flatten=flatten,
        )
        return self._intent(request)

    # --- event stream ------------------------------------------------------------------------------------------

    def next_event(self, timeout: float | None = None) -> StreamMessage | None:
        """The next stream message on the subscribed topics, or None after ``timeout`` seconds."""
        sub = self._sub
        if sub is None:
            raise p.OmsClientError("no events endpoint was given")
        wait_ms = None if timeout is None else int(timeout * 1000)
        while sub.poll(wait_ms):
            message = p.decode_event(sub.recv_multipart()[-1])
            if message is not None:
                return message
        return None

    def events(self) -> Iterator[StreamMessage]:
        """Stream messages forever, in publish order (``seq`` gaps mean drops: re-query)."""
        while True:
            message = self.next_event()
            if message is not None:
                yield message

    # --- plumbing -------------------------------------------------------------------------------------------

    def _operator_account(self, all_accounts: bool) -> str | None:
        return None if all_accounts or not self.account_id else self.account_id

    def _intent(self, request: Request, kind: type | None = None) -> Reply:
        wire = self._call(request)
        reply = p.to_reply(wire, p.typed_data(wire, kind) if kind is not None else None)
        if not reply.ok and self.raise_on_reject:
            raise OmsRejected(reply)
        return reply

    def _query(self, request: Request, kind: type[T]) -> T:
        wire = self._call(request)
        if not wire.ok:
            raise OmsRejected(p.to_reply(wire))
        return p.typed_data(wire, kind)  # type: ignore[return-value]

    def _call(self, request: Request) -> WireReply:
        if self._closed:
            raise p.OmsClientError("client closed")
        self._dealer.send(_encode(request))
        wait_ms = None if self.timeout is None else int(self.timeout * 1000)
        while self._dealer.poll(wait_ms):
            wire = p.decode_reply(self._dealer.recv_multipart()[-1])
            if wire is not None and wire.id == request.id:
                return wire
            log.debug("ignoring a stale or foreign reply")
        raise OmsTimeout(f"no reply to request {request.id} within {self.timeout} s")


def _required(value: Amount) -> str | int:
    converted = p.money(value)
    if converted is None:
        raise TypeError("quantity is required")
    return converted
