"""A real core behind a real ZmqApi on its own uvloop thread, and the waiting helpers the tests use.

``CoreGateway`` speaks the ``Gateway`` protocol the daemon's writer task will: inputs are stepped in
the order submitted, one batch per loop turn, events published after each step, and each future
resolved with the core's ``Replied``.
"""

import asyncio
import concurrent.futures
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import uvloop
import zmq

from oms_daemon.client import AsyncOmsClient
from oms_daemon.core import Core
from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.enums import AccountKind, AlertSeverity, OrderSide
from oms_daemon.core.events import AlertRaised, Event, Replied
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    Input,
    Intent,
    MarketQuote,
    OperatorCommand,
    SessionStarted,
    VenueBalance,
    VenueFill,
    VenueOrderAccepted,
)
from oms_daemon.core.state import OmsState
from oms_daemon.gateway import GatewayClosed
from oms_daemon.zmq_api import DEFAULT_MAX_FRAME_BYTES, StreamMessage, ZmqApi
from oms_daemon.zmq_api.schema import AlertEvent

__all__ = [
    "CONFIG",
    "CoreGateway",
    "Daemon",
    "Heard",
    "RawSockets",
    "eventually",
    "eventually_sync",
    "listen",
    "raw_dealer",
]

T = TypeVar("T")
D = Decimal
PROBE = "listen-probe"

CONFIG = CoreConfig(
    instance_id="t",
    accounts=(
        AccountConfig(account_id="A", venue="paper", armed_on_start=True),
        AccountConfig(
            account_id="M", venue="paper", kind=AccountKind.MARGIN, settlement_currency="USDT", armed_on_start=True
        ),
        AccountConfig(account_id="R", venue="paper", armed_on_start=True, strategies=("alpha",)),
    ),
    instruments=(
        Instrument(symbol="BTC/USDT", base_currency="BTC", quote_currency="USDT", step_size=D("0.001")),
        Instrument(symbol="ETH/USDT", base_currency="ETH", quote_currency="USDT", margin_rate=D("0.1")),
    ),
)


class CoreGateway:
    """The ``Gateway`` protocol over a real ``Core``, stepping submitted inputs on the loop like the writer."""

    def __init__(self) -> None:
        self.core = Core()
        self.api: ZmqApi | None = None
        self.closed = False
        self._queue: list[tuple[Input, asyncio.Future[Replied], Callable[[Replied], None] | None]] = []
        self._scheduled = False
        self._last_ns = 0
        self._trade_ids = itertools.count(1)

    @property
    def state(self) -> OmsState:
        """The live state."""
        return self.core.state

    def now_ns(self) -> int:
        """Strictly increasing wall-clock ns."""
        self._last_ns = max(self._last_ns + 1, time.time_ns())
        return self._last_ns

    def submit(
        self, request: Intent | OperatorCommand, on_reply: Callable[[Replied], None] | None = None
    ) -> "asyncio.Future[Replied]":
        """Queue a request for the next step batch; ``on_reply`` hears the reply before the future resolves."""
        if self.closed:
            raise GatewayClosed("closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Replied] = loop.create_future()
        self._queue.append((request, future, on_reply))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._run)
        return future

    def feed(self, inp: Input) -> list[Event]:
        """Step one venue/market input and publish what it decided."""
        events = self.core.step(inp)
        if self.api is not None:
            self.api.publish(events)
        return events

    def _run(self) -> None:
        self._scheduled = False
        batch, self._queue = self._queue, []
        for request, future, on_reply in batch:
            events = self.feed(request)
            replied = next(e for e in events if isinstance(e, Replied) and e.request_id == request.request_id)
            if on_reply is not None:
                on_reply(replied)
            future.set_result(replied)

    # --- a tiny venue --------------------------------------------------------------------------------------

    def seed(self, quotes: bool = True) -> None:
        """Start the session, fund the accounts and (unless told not to) quote both symbols."""
        self.feed(SessionStarted(ts_recv=self.now_ns(), config=CONFIG))
        self.fund("A", USDT="1000000", BTC="10", ETH="100")
        self.fund("M", USDT="100000")
        self.fund("R", USDT="100000")
        if quotes:
            self.quote("BTC/USDT", "100", "101")
            self.quote("ETH/USDT", "10", "11")

    def fund(self, account: str, **balances: str) -> None:
        """Overwrite an account's balances."""
        rows = tuple(VenueBalance(currency=c, total=D(v)) for c, v in balances.items())
        self.feed(BalancesSnapshot(ts_recv=self.now_ns(), account_id=account, balances=rows))

    def quote(self, symbol: str, bid: str, ask: str) -> None:
        """A new best bid/ask."""
        self.feed(MarketQuote(ts_recv=self.now_ns(), symbol=symbol, bid=D(bid), ask=D(ask)))

    def accept(self, order_id: int) -> None:
        """The venue acknowledges an order."""
        order = self.state.orders[order_id]
        self.feed(
            VenueOrderAccepted(
                ts_recv=self.now_ns(),
                account_id=order.account_id,
                client_order_id=order.client_order_id,
                venue_order_id=f"v{order_id}",
            )
        )

    def fill(self, order_id: int, quantity: str, price: str) -> None:
        """The venue fills (part of) an order."""
        order = self.state.orders[order_id]
        self.feed(
            VenueFill(
                ts_recv=self.now_ns(),
                account_id=order.account_id,
                client_order_id=order.client_order_id,
                trade_id=f"x{next(self._trade_ids)}",
                symbol=order.symbol,
                side=OrderSide(order.side),
                price=D(price),
                quantity=D(quantity),
            )
        )


class Daemon:
    """A seeded ``CoreGateway`` behind a ``ZmqApi`` on 127.0.0.1 ephemeral ports, served by a uvloop thread."""

    def __init__(self, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES, publish_quotes: bool = False) -> None:
        self.gateway = CoreGateway()
        self.api = ZmqApi(
            self.gateway,
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            max_frame_bytes=max_frame_bytes,
            publish_quotes=publish_quotes,
        )
        self.gateway.api = self.api
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="omsd-test", daemon=True)

    @property
    def requests(self) -> str:
        """The resolved request endpoint."""
        return self.api.request_endpoint

    @property
    def events(self) -> str:
        """The resolved events endpoint."""
        return self.api.events_endpoint

    def __enter__(self) -> "Daemon":
        self._thread.start()
        if not self._ready.wait(5) or self._error is not None:
            raise RuntimeError("daemon did not start") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the daemon's loop thread and return its result."""
        assert self._loop is not None
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as error:
                done.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout=5)

    def _main(self) -> None:
        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.gateway.seed()
        self.api.start()
        self._ready.set()
        await self._stop.wait()
        self.api.close()


async def eventually(check: Callable[[], T | Awaitable[T]], timeout: float = 5.0) -> T:
    """Poll ``check`` until it returns something truthy without raising AssertionError; return that."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return result  # type: ignore[return-value]
            failure: AssertionError = AssertionError(f"still {result!r}")
        except AssertionError as error:
            failure = error
        if time.monotonic() > deadline:
            raise failure
        await asyncio.sleep(0.005)


def eventually_sync(check: Callable[[], T], timeout: float = 5.0) -> T:
    """Blocking ``eventually`` for tests without a loop."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
            failure = AssertionError(f"still {result!r}")
        except AssertionError as error:
            failure = error
        if time.monotonic() > deadline:
            raise failure
        time.sleep(0.005)


class RawSockets:
    """Plain pyzmq sockets for a test, all closed (with their context) at the end."""

    def __init__(self) -> None:
        self.context = zmq.Context()
        self._open: list[zmq.Socket] = []

    def dealer(self, endpoint: str) -> zmq.Socket:
        """A DEALER connected to ``endpoint``."""
        sock = raw_dealer(self.context, endpoint)
        self._open.append(sock)
        return sock

    def socket(self, kind: int) -> zmq.Socket:
        """Any socket, closed at the end."""
        sock = self.context.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        self._open.append(sock)
        return sock

    def close(self) -> None:
        """Close every socket and the context."""
        for sock in self._open:
            sock.close(0)
        self.context.term()


def raw_dealer(context: zmq.Context, endpoint: str) -> zmq.Socket:
    """A plain DEALER connected to ``endpoint``, as a client in any language would open one."""
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    sock.setsockopt(zmq.SNDTIMEO, 5000)
    sock.connect(endpoint)
    return sock


class Heard:
    """Every stream message one client has received (listen probes kept apart), collected in the background."""

    def __init__(self, client: AsyncOmsClient) -> None:
        self.messages: list[StreamMessage] = []
        self.probes = 0
        self._task = asyncio.get_running_loop().create_task(self._collect(client))

    async def _collect(self, client: AsyncOmsClient) -> None:
        async for message in client.events():
            if isinstance(message, AlertEvent) and message.data.code == PROBE:
                self.probes += 1
            else:
                self.messages.append(message)

    def of(self, kind: str) -> list[StreamMessage]:
        """Messages of one ``type`` (order, fill, position, account, mode, dirty, alert, quote)."""
        return [m for m in self.messages if m.__struct_config__.tag == kind]

    async def stop(self) -> None:
        """Stop collecting."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def listen(daemon: Daemon, client: AsyncOmsClient, account: str = "A") -> Heard:
    """Collect ``client``'s stream once its subscription has reached the daemon (probe until one is heard)."""
    heard = Heard(client)
    probe = AlertRaised(code=PROBE, severity=AlertSeverity.INFO, message="probe", account_id=account)

    def probe_heard() -> bool:
        daemon.call(daemon.api.publish, [probe])
        return heard.probes > 0

    await eventually(probe_heard)
    return heard
