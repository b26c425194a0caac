"""``AsyncOmsClient``: the asyncio client strategies use; many requests in flight, replies matched by id.

Like the server, it reads plain (non-asyncio) sockets in batches from the loop's reader callback
rather than awaiting each message, which keeps a pipelining strategy's overhead per request small.
"""

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Sequence
from functools import partial
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

__all__ = ["AsyncOmsClient"]

T = TypeVar("T")
log = logging.getLogger(__name__)
_encode = msgspec.msgpack.Encoder().encode
_NOBLOCK = int(zmq.NOBLOCK)
_RCVMORE = int(zmq.RCVMORE)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_POLLOUT = int(zmq.POLLOUT)


class AsyncOmsClient:
    """Talk to omsd as ``strategy`` on ``account``: intents, queries, operator commands and the event stream."""

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
        self._dealer.setsockopt(zmq.SNDHWM, 100_000)
        self._dealer.setsockopt(zmq.RCVHWM, 100_000)
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
        self._pending: dict[int | str | None, asyncio.Future[WireReply]] = {}
        self._send_waiters: list[asyncio.Future[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._listening = False
        self._closed = False

    async def __aenter__(self) -> "AsyncOmsClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop reading, fail requests still waiting, close the sockets."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._dealer.get(zmq.FD))
        for future in [*self._pending.values(), *self._send_waiters]:
            if not future.done():
                future.set_exception(p.OmsClientError("client closed"))
        self._pending.clear()
        self._send_waiters.clear()
        self._dealer.close(0)
        if self._sub is not None:
            self._sub.close(0)
        self._context.term()

    # --- intents -------------------------------------------------------------------------------------------

    async def submit(
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
        return await self._intent(request)

    async def preview(
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
        return await self._intent(request, PreviewView)

    async def cancel(self, order_id: int) -> Reply:
        """Cancel a working order."""
        request = CancelRequest(
            id=next(self._ids), account=self.account_id, strategy=self.strategy_id, order_id=order_id
        )
        return await self._intent(request)

    async def replace(
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
        return await self._intent(request)

    async def close_position(
        self, symbol: str, *, quantity: Amount | None = None, position_id: int | None = None
    ) -> Reply:
        """Flatten (or reduce by ``quantity``) a position; ``order_ids`` are the closing orders."""
        request = ClosePositionRequest(
            id=next(self._ids),
            account=self.account_id,
            strategy=self.strategy_id,
            symbol=symbol,
            quantity=p.money(quantity),
            position_id=position_id,
        )
        return await self._intent(request)

    async def close_all(self, symbol: str | None = None) -> Reply:
        """Flatten every open position of the account (optionally one symbol)."""
        request = CloseAllRequest(id=next(self._ids), account=self.account_id, strategy=self.strategy_id, symbol=symbol)
        return await self._intent(request)

    # --- queries (raise OmsRejected on refusal) --------------------------------------------------------------

    async def orders(
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
        return await self._query(request, Page[OrderView])

    async def fills(
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
        return await self._query(request, Page[FillView])

    async def positions(
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
        return await self._query(request, Page[PositionView])

    async def account(self) -> AccountView:
        """This client's account: balances, equity, margin, mode."""
        views = await self.accounts(self.account_id)
        return views[0]

    async def accounts(self, account: str | None = None) -> list[AccountView]:
        """Every account (or one)."""
        return await self._query(AccountQuery(id=next(self._ids), account=account), list[AccountView]) or []

    async def status(self, account: str | None = None, *, limit: int = 100) -> StatusView:
        """Daemon summary (of every account unless one is given)."""
        return await self._query(StatusQuery(id=next(self._ids), account=account, limit=limit), StatusView)

    # --- operator commands -----------------------------------------------------------------------------------

    async def safe_mode(
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
        return await self._intent(request)

    async def arm(
        self, *, confirm: bool, reason: str = "", all_accounts: bool = False, operator: str | None = None
    ) -> Reply:
        """Arm (let orders reach the venue); refused with ``confirmation_required`` unless ``confirm``."""
        request = ArmRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            armed=True,
            confirm=confirm,
        )
        return await self._intent(request)

    async def disarm(self, *, reason: str = "", all_accounts: bool = False, operator: str | None = None) -> Reply:
        """Disarm: nothing new reaches the venue."""
        request = ArmRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
            armed=False,
        )
        return await self._intent(request)

    async def reconcile(self, *, reason: str = "", all_accounts: bool = False, operator: str | None = None) -> Reply:
        """Run a reconciliation pass now on this client's account (or every account)."""
        request = ReconcileRequest(
            id=next(self._ids),
            account=self._operator_account(all_accounts),
            operator=operator or self.operator,
            reason=reason,
        )
        return await self._intent(request)

    async def kill(
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
        return await self._intent(request)

    # --- event stream ------------------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[StreamMessage]:
        """Stream messages on the subscribed topics, in publish order (``seq`` gaps mean drops: re-query).

        One iteration at a time per client.
        """
        sub = self._sub
        if sub is None:
            raise p.OmsClientError("no events endpoint was given")
        if self._listening:
            raise p.OmsClientError("events() is already being iterated on this client")
        self._listening = True
        loop = asyncio.get_running_loop()
        try:
            while not self._closed:
                try:
                    message = p.decode_event(_recv_last(sub))
                except zmq.Again:
                    await _readable(loop, sub)
                    continue
                if message is not None:
                    yield message
        finally:
            self._listening = False

    # --- plumbing -------------------------------------------------------------------------------------------

    def _operator_account(self, all_accounts: bool) -> str | None:
        return None if all_accounts or not self.account_id else self.account_id

    async def _intent(self, request: Request, kind: type | None = None) -> Reply:
        wire = await self._call(request)
        reply = p.to_reply(wire, p.typed_data(wire, kind) if kind is not None else None)
        if not reply.ok and self.raise_on_reject:
            raise OmsRejected(reply)
        return reply

    async def _query(self, request: Request, kind: type[T]) -> T:
        wire = await self._call(request)
        if not wire.ok:
            raise OmsRejected(p.to_reply(wire))
        return p.typed_data(wire, kind)  # type: ignore[return-value]

    async def _call(self, request: Request) -> WireReply:
        if self._closed:
            raise p.OmsClientError("client closed")
        loop = self._attach()
        future: asyncio.Future[WireReply] = loop.create_future()
        self._pending[request.id] = future
        timer = (
            None if self.timeout is None else loop.call_later(self.timeout, _expire, future, request.id, self.timeout)
        )
        try:
            await self._send(_encode(request), future)
            self._schedule()  # a send can swallow the FD's edge: re-check on the next loop turn
            return await future
        finally:
            self._pending.pop(request.id, None)
            if timer is not None:
                timer.cancel()

    async def _send(self, payload: bytes, reply: "asyncio.Future[WireReply]") -> None:
        while not reply.done():
            try:
                self._dealer.send(payload, _NOBLOCK)
                return
            except zmq.Again:  # at the high-water mark: wait for the reader callback to see room (or a timeout)
                waiter: asyncio.Future[None] = self._attach().create_future()
                self._send_waiters.append(waiter)
                reply.add_done_callback(partial(_wake, waiter))
                self._schedule()
                await waiter

    def _attach(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            loop.add_reader(self._dealer.get(zmq.FD), self._drain)
        elif self._loop is not loop:
            raise p.OmsClientError("an AsyncOmsClient is bound to the event loop it was first used on")
        return loop

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def _drain(self) -> None:
        """Read every waiting reply (the FD is edge-triggered: read until Again), then wake blocked senders."""
        self._scheduled = False
        if self._closed:
            return
        dealer = self._dealer
        while True:
            try:
                payload = _recv_last(dealer)
            except zmq.Again:
                break
            wire = p.decode_reply(payload)
            if wire is None:
                log.warning("ignoring a reply that is not one (%d bytes)", len(payload))
                continue
            future = self._pending.get(wire.id)
            if future is not None and not future.done():
                future.set_result(wire)
        if self._send_waiters and dealer.get(_EVENTS) & _POLLOUT:
            waiters, self._send_waiters = self._send_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)


def _recv_last(sock: zmq.Socket) -> bytes:
    """The last frame of the next message (a reply may come behind an empty delimiter); raises zmq.Again."""
    frame = sock.recv(_NOBLOCK)
    while sock.get(_RCVMORE):
        frame = sock.recv(_NOBLOCK)
    return frame


async def _readable(loop: asyncio.AbstractEventLoop, sock: zmq.Socket) -> None:
    """Wait until ``sock`` has a message (checking EVENTS first: its FD only signals changes)."""
    if sock.get(_EVENTS) & _POLLIN:
        return
    ready: asyncio.Future[None] = loop.create_future()
    fd = sock.get(zmq.FD)
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _wake(waiter: "asyncio.Future[None]", _: object) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _expire(future: "asyncio.Future[WireReply]", request_id: object, timeout: float) -> None:
    if not future.done():
        future.set_exception(OmsTimeout(f"no reply to request {request_id} within {timeout} s"))


def _required(value: Amount) -> str | int:
    converted = p.money(value)
    if converted is None:
        raise TypeError("quantity is required")
    return converted
