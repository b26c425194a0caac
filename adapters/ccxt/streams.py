"""``StreamSupervisor``: keeps one account's ccxt.pro streams up; reconnects with back-off and backfills.

Each stream is a loop around one ``watch_*`` call. When the connection drops every loop fails together;
the supervisor then waits (``reconnect_initial_s``, doubling up to ``reconnect_max_s``, with jitter),
starts the loops again (ccxt.pro dials and resubscribes on the first watch), and once the socket is up
runs ``on_up`` (the backfill of what the gap hid: ccxt issues #26945 and #27412). ccxt's own dial
back-off can grow to 30 s; it is cleared before each attempt so this supervisor's cap decides.

``StreamLink`` is what the session sees of its streams (up or not, how often, the breaker and ``on_up``
bookkeeping); ``StreamSupervisor`` is the link that runs the watches itself, ``StreamProcess``
(``adapters.ccxt.stream_process``) the one whose watches run in a child process.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.ccxt.config import CcxtVenueConfig
from adapters.resilience import Backoff, Guard, ResiliencePolicy

__all__ = ["HEARTBEAT_S", "StreamLink", "StreamSupervisor", "Watch", "deliver", "watch_calls"]

log = logging.getLogger("omsd.ccxt.streams")

HEARTBEAT_S = 1.0
"""How often a connected private stream is reported alive (``StreamHeartbeat``)."""

Watch = tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], None]]
"""(name, the watch call, what to do with each result)."""


def watch_calls(client: Any, config: CcxtVenueConfig) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The ccxt.pro watch calls an account's config asks for, by name (``my_trades``, ``orders``, ...)."""
    calls: dict[str, Callable[[], Awaitable[Any]]] = {}
    if config.stream_private:
        calls["my_trades"] = lambda: client.watch_my_trades()
        calls["orders"] = lambda: client.watch_orders()
        if config.stream_balances:
            calls["balance"] = lambda: client.watch_balance()
    if config.stream_quotes:
        symbols = list(config.symbols)
        calls["quotes"] = lambda: client.watch_bids_asks(symbols)
    return calls


def deliver(name: str, handle: Callable[[Any], None], result: Any) -> None:
    """Hand one watch result to its handler; a bug in a handler is logged and must not take the stream down."""
    try:
        handle(result)
    except Exception:
        log.exception("handling %s failed", name)


class StreamLink:
    """The state of one account's streams and what changes it: up (breaker success, ``on_up(first)``: the
    backfill after a reconnect) and down (breaker failure); ``connected`` says whether they are up now."""

    def __init__(
        self,
        on_up: Callable[[bool], Awaitable[None]],
        guard: Callable[[], Guard],
        policy: ResiliencePolicy,
        on_down: Callable[[str], None] | None = None,
    ) -> None:
        self._on_up = on_up
        self._on_down = on_down
        self._guard = guard
        self._backoff = Backoff(policy.reconnect_initial_s, 2.0, policy.reconnect_max_s, 0.25)
        self.connected = False
        self.connects = 0
        self.disconnects = 0

    def alive(self) -> bool:
        """True while the streams are up and whoever runs them is known to be running."""
        return self.connected

    async def _went_up(self) -> None:
        self.connected = True
        self._guard().breaker.success()
        first = self.connects == 0
        self.connects += 1
        await self._on_up(first)

    def _went_down(self, error: object) -> None:
        self.connected = False
        self.disconnects += 1
        self._guard().breaker.failure(f"stream lost: {error}")
        if self._on_down is not None:
            self._on_down(str(error))


class StreamSupervisor(StreamLink):
    """Runs the watch loops of one account until cancelled (``on_down`` is told each time they drop)."""

    def __init__(
        self,
        client: Any,
        watches: list[Watch],
        on_up: Callable[[bool], Awaitable[None]],
        guard: Callable[[], Guard],
        policy: ResiliencePolicy,
        on_down: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(on_up, guard, policy, on_down)
        self._client = client
        self._watches = watches
        self._up_timeout = max(5.0, policy.reconnect_max_s * 2)

    async def run(self) -> None:
        """Keep the streams up until cancelled."""
        attempt = 0
        while True:
            await self._gate_open()
            self._client.ws_dial_backoff = {}
            loops = [asyncio.create_task(self._loop(name, watch, handle)) for name, watch, handle in self._watches]
            error: BaseException | None = None
            try:
                if await self._wait_up(loops):
                    attempt = 0
                    await self._went_up()
                    done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
                    error = next((t.exception() for t in done if t.exception() is not None), None)
                else:
                    done = {t for t in loops if t.done()}
                    error = next((t.exception() for t in done if t.exception() is not None), None)
                    error = error or TimeoutError("the stream did not connect")
            finally:
                for task in loops:
                    task.cancel()
                for task in loops:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            self._went_down(error)
            delay = self._backoff.delay(attempt)
            attempt += 1
            log.warning("private stream lost (%s); reconnecting in %.2fs", error, delay)
            await asyncio.sleep(delay)

    async def _gate_open(self) -> None:
        """Wait out the account's rate-limit pause: connecting and subscribing count at the venue too."""
        gate = self._guard().gate
        while (left := gate.remaining) > 0:
            await asyncio.sleep(left)

    async def _loop(self, name: str, watch: Callable[[], Awaitable[Any]], handle: Callable[[Any], None]) -> None:
        while True:
            deliver(name, handle, await watch())

    def _socket_up(self) -> bool:
        for client in (getattr(self._client, "clients", None) or {}).values():
            connected = getattr(client, "connected", None)
            if connected is not None and connected.done() and not connected.cancelled() and not connected.exception():
                return True
        return False

    async def _wait_up(self, loops: list[asyncio.Task[None]]) -> bool:
        """Wait until a socket is open (True) or a loop failed or the wait timed out (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._up_timeout
        while loop.time() < deadline:
            if self._socket_up():
                return True
            if any(t.done() for t in loops):
                return False
            await asyncio.sleep(0.005)
        return False
