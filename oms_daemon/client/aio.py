"""``AsyncOmsClient``: the asyncio client strategies use; many requests in flight, replies matched by id.

Like the server, it reads plain (non-asyncio) sockets in batches from the loop's reader callback
rather than awaiting each message, which keeps a pipelining strategy's overhead per request small.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec
import zmq

from oms_daemon.client import protocol as p
from oms_daemon.client import requests as r
from oms_daemon.client.protocol import OmsTimeout, WireReply
from oms_daemon.client.requests import ClientBase, ClientCall
from oms_daemon.views import AccountView
from oms_daemon.zmq_api.schema import Request, StreamMessage

__all__ = ["AsyncOmsClient"]

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)
_encode = msgspec.msgpack.Encoder().encode
_NOBLOCK = int(zmq.NOBLOCK)
_RCVMORE = int(zmq.RCVMORE)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_POLLOUT = int(zmq.POLLOUT)


def _awaitable(call: ClientCall[P, R]) -> "Callable[Concatenate[AsyncOmsClient, P], Coroutine[Any, Any, R]]":
    """``call`` as an awaitable method."""
    build, answer = call.build, call.answer

    async def method(self: "AsyncOmsClient", *args: P.args, **kwargs: P.kwargs) -> R:
        return answer(await self._roundtrip(build(self, *args, **kwargs)), self.raise_on_reject)

    return call.dress(method)


class AsyncOmsClient(ClientBase):
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
        super().__init__(account, strategy, operator)
        self.raise_on_reject = raise_on_reject
        self.timeout = timeout
        self._context, self._dealer, self._sub = p.connect(
            request_endpoint,
            events_endpoint,
            p.default_topics(account, strategy) if topics is None else topics,
            dealer_hwm=100_000,
        )
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

    # --- intents, queries (raise OmsRejected on refusal) and operator commands: see ``requests`` -------

    submit = _awaitable(r.submit)
    preview = _awaitable(r.preview)
    cancel = _awaitable(r.cancel)
    replace = _awaitable(r.replace)
    close_position = _awaitable(r.close_position)
    close_all = _awaitable(r.close_all)
    orders = _awaitable(r.orders)
    fills = _awaitable(r.fills)
    positions = _awaitable(r.positions)
    accounts = _awaitable(r.accounts)
    status = _awaitable(r.status)
    safe_mode = _awaitable(r.safe_mode)
    arm = _awaitable(r.arm)
    disarm = _awaitable(r.disarm)
    reconcile = _awaitable(r.reconcile)
    kill = _awaitable(r.kill)

    async def account(self) -> AccountView:
        """This client's account: balances, equity, margin, mode."""
        views = await self.accounts(self.account_id)
        return views[0]

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
                if not sub.get(_EVENTS) & _POLLIN:  # asking is cheaper than the Again of an empty read
                    await _readable(loop, sub)
                    continue
                message = p.decode_event(_recv_last(sub))
                if message is not None:
                    yield message
        finally:
            self._listening = False

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _roundtrip(self, request: Request) -> WireReply:
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
        """Read every waiting reply, then wake blocked senders."""
        self._scheduled = False
        if self._closed:
            return
        dealer = self._dealer
        while dealer.get(_EVENTS) & _POLLIN:  # reading until no POLLIN re-arms the edge-triggered FD
            payload = _recv_last(dealer)
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
    """The last frame of the next message (a reply may come behind an empty delimiter); one must be waiting."""
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
