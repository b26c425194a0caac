"""``StreamProcess``: one account's ccxt.pro streams in a child process (the account's ``stream_process = true``).

Parsing the private stream's messages (an order's acknowledgement, its trades, the balance update) costs
the daemon's one writer thread about as much as the rest of the order; in a child process it overlaps
with the daemon's own work. The child (``python -m adapters.ccxt.stream_process``) gets a ``StreamSetup``
(config, credentials, the markets the daemon loaded) on stdin, never in its argv or environment, and runs
the same ``StreamSupervisor`` as an in-process account: connecting, subscribing, parsing, reconnecting with
back-off. It writes what the watches return, already parsed, to stdout; the daemon hands each result to
the same handlers as in-process streams. REST (commands, backfills, snapshots) stays in the daemon. Once
its streams are up the child runs at a lower CPU priority (``NICENESS``).

Frames, both ways: a 4-byte big-endian length and msgpack. Child to daemon: ``["ready"]`` once it has
started (the daemon then sends the setup), ``[watch name, result]`` (the fields of it the daemon reads, see
``payloads``; a loop turn's results in one write), ``["up"]`` when the streams
(re)connected, ``["down", reason]`` when they dropped, ``["beat"]`` while they are up (a child that hangs
goes quiet) and ``["log", level, logger, text]`` (the child's log records, logged by the daemon). Daemon to
child: the ``StreamSetup``, then ``["pause", seconds]`` whenever the account is rate-limited (connecting and
subscribing count at the venue too: the child waits at its own gate like every REST call does). The child
ends when its stdin reaches EOF: the daemon closed it, or died, so no child outlives a ``kill -9`` of the
daemon. A child that dies is a stream loss: restarted with the stream back-off, then backfilled like any
reconnect.
"""

import asyncio
import contextlib
import logging
import os
import signal
import struct
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
import uvloop

from adapters.ccxt.config import CcxtVenueConfig, Credentials
from adapters.ccxt.exchange import build_stream
from adapters.ccxt.stream_process.payloads import shipped
from adapters.ccxt.streams import HEARTBEAT_S, StreamLink, StreamSupervisor, deliver, watch_calls
from adapters.resilience import Guard, ResiliencePolicy

__all__ = ["StreamProcess", "StreamSetup"]

log = logging.getLogger("omsd.ccxt.streams")

_LENGTH = struct.Struct(">I")
_STOP_S = 3.0
"""How long a child gets to close its sockets after its stdin closed, before it is terminated."""
_SILENT_S = 3 * HEARTBEAT_S
"""A child not heard from for this long is not counted alive (it says it is every ``HEARTBEAT_S / 2``)."""
NICENESS = 10
"""The child's ``nice`` increment once its streams are up (starting up takes a lot of CPU, and must not wait):
when the CPU is short, the daemon's commands (whose REST replies report what the stream will repeat) go
before parsing the stream; an idle CPU still parses it at once."""


class StreamSetup(msgspec.Struct, frozen=True, kw_only=True):
    """What the child needs: the account, its credentials, the back-off policy and the markets to parse with."""

    config: CcxtVenueConfig
    api_key: str | None = None
    secret: str | None = None
    password: str | None = None
    uid: str | None = None
    policy: ResiliencePolicy
    markets: Any = None
    currencies: Any = None
    log_level: int = logging.INFO

    @classmethod
    def of(
        cls, config: CcxtVenueConfig, credentials: Credentials, policy: ResiliencePolicy, rest: Any, log_level: int
    ) -> "StreamSetup":
        """The setup of an account whose REST client ``rest`` has loaded the markets."""
        return cls(
            config=config,
            api_key=credentials.api_key,
            secret=credentials.secret,
            password=credentials.password,
            uid=credentials.uid,
            policy=policy,
            markets=rest.markets,
            currencies=rest.currencies,
            log_level=log_level,
        )

    def credentials(self) -> Credentials:
        """The account's credentials."""
        return Credentials(self.api_key, self.secret, self.password, self.uid)

    def __repr__(self) -> str:
        return f"StreamSetup({self.config.account_id}, credentials ***)"


def _framed(body: bytes) -> bytes:
    return _LENGTH.pack(len(body)) + body


# --- the daemon's side ----------------------------------------------------------------------------------------


class _Child(asyncio.SubprocessProtocol):
    """Splits the child's stdout into frames and hands each to ``on_frame``; ``exited`` is set when it ends,
    ``drained`` when its stdout is closed. A child that writes something unreadable is killed (and restarted)."""

    def __init__(self, on_frame: Callable[[list[Any]], None]) -> None:
        self._on_frame = on_frame
        self._decode = msgspec.msgpack.Decoder().decode
        self._buffer = bytearray()
        self._transport: Any = None
        self.exited = asyncio.get_running_loop().create_future()
        self.drained = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def pipe_data_received(self, fd: int, data: bytes | bytearray) -> None:
        buffer = self._buffer
        buffer += data
        start, size = 0, len(buffer)
        while size - start >= 4:
            (length,) = _LENGTH.unpack_from(buffer, start)
            end = start + 4 + length
            if end > size:
                break
            try:
                payload = self._decode(buffer[start + 4 : end])
            except msgspec.DecodeError as error:
                log.error("stream process wrote an unreadable frame (%s); ending it", error)
                buffer.clear()
                if self._transport is not None:
                    self._transport.kill()
                return
            start = end
            self._on_frame(payload)
        del buffer[:start]

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1 and not self.drained.done():
            self.drained.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


class StreamProcess(StreamLink):
    """``StreamSupervisor``'s surface (``run``, ``connected``, ``connects``, ``disconnects``) over a child process
    that runs the watches; results reach ``handlers`` (by watch name) on the daemon's loop, already parsed."""

    def __init__(
        self,
        setup: Callable[[], Awaitable[StreamSetup]],
        handlers: Mapping[str, Callable[[Any], None]],
        on_up: Callable[[bool], Awaitable[None]],
        guard: Callable[[], Guard],
        policy: ResiliencePolicy,
    ) -> None:
        super().__init__(on_up, guard, policy)
        self._setup = setup
        self._handlers = handlers
        self._events: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._lived = False
        self._heard = 0.0

    def alive(self) -> bool:
        """True while the child says its streams are up and it was heard from lately (a child that hangs,
        e.g. stopped, goes quiet: the daemon's stream heartbeats stop with it)."""
        return self.connected and time.monotonic() - self._heard < _SILENT_S

    async def run(self) -> None:
        """Keep a child running and its streams up until cancelled."""
        attempt = 0
        while True:
            self._lived = False
            error = await self._child()
            self._went_down(error)  # a child that died (or never started) is a stream loss like any other
            if self._lived:
                attempt = 0
            delay = self._backoff.delay(attempt)
            attempt += 1
            log.warning("%s; restarting it in %.2fs", error, delay)
            await asyncio.sleep(delay)

    async def _child(self) -> str:
        """Run one child until it ends (it starts while the markets load); why it ended."""
        loop = asyncio.get_running_loop()
        self._events = asyncio.Queue()
        try:
            transport, child = await loop.subprocess_exec(
                lambda: _Child(self._on_frame),
                sys.executable,
                "-m",
                __name__,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=None,
            )
        except OSError as error:
            return f"stream process did not start: {error}"
        try:
            if await self._event(child) is not None:  # the child is ready (imports done): it connects on its setup
                await self._serve(transport.get_pipe_transport(0), child)
            with contextlib.suppress(TimeoutError):  # the frames it wrote before it ended are still handled
                await asyncio.wait_for(asyncio.shield(child.drained), 1.0)
            return f"stream process exited with {transport.get_returncode()}"
        finally:
            await _stop(transport, child)

    async def _serve(self, stdin: Any, child: _Child) -> None:
        """Send the setup, then the account's rate-limit pauses (the child's connects wait them out), and act on
        the child's "up" and "down" until it exits."""
        setup = msgspec.msgpack.encode(await self._setup())
        gate = self._guard().gate

        def pause(seconds: float) -> None:
            stdin.write(_framed(msgspec.msgpack.encode(("pause", seconds))))

        stdin.write(_framed(setup))
        if gate.remaining > 0:
            pause(gate.remaining)
        gate.watch(pause)
        try:
            while (event := await self._event(child)) is not None:
                await self._control(event)
        finally:
            gate.unwatch(pause)

    async def _event(self, child: _Child) -> list[Any] | None:
        """The child's next control frame ("ready", "up", "down"); None once it has exited."""
        event = asyncio.ensure_future(self._events.get())
        await asyncio.wait((event, child.exited), return_when=asyncio.FIRST_COMPLETED)
        if event.done():
            return event.result()
        event.cancel()
        return None

    async def _control(self, event: list[Any]) -> None:
        if event[0] == "up":
            self._lived = True
            await self._went_up()
        else:
            self._went_down(event[1])

    def _on_frame(self, payload: list[Any]) -> None:
        name = payload[0]
        handle = self._handlers.get(name)
        if handle is not None:
            deliver(name, handle, payload[1])
        elif name == "log":
            logging.getLogger(payload[2]).log(payload[1], "%s", payload[3])
        elif name == "beat":
            self._heard = time.monotonic()
        elif name in ("ready", "up", "down"):
            self._heard = time.monotonic()
            self._events.put_nowait(payload)


async def _stop(transport: asyncio.SubprocessTransport, child: _Child) -> None:
    """End a child: close its stdin, let it close its sockets, then terminate it, then kill it."""
    with contextlib.suppress(Exception):
        transport.get_pipe_transport(0).close()
    for send_signal in (None, transport.terminate, transport.kill):
        if send_signal is not None:
            with contextlib.suppress(ProcessLookupError):
                send_signal()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(child.exited), _STOP_S)
            break
    transport.close()


# --- the child's side -----------------------------------------------------------------------------------------


class _Frames:
    """Writes frames to the daemon (blocking: a busy daemon slows the child rather than losing a result).

    Watch results of one loop turn leave in one write, so the daemon wakes once for all of them (an order's
    acknowledgement, its trade and the balance it changed usually come together); anything else is written at
    once, behind whatever is queued, so the order of frames is kept.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._encode = msgspec.msgpack.Encoder().encode
        self._queued: list[bytes] = []

    def send(self, *payload: Any) -> None:
        """Write one frame now (after the frames still queued)."""
        self._queued.append(_framed(self._encode(payload)))
        self.flush()

    def queue(self, *payload: Any) -> None:
        """Write one frame with the others of this loop turn."""
        if not self._queued:
            asyncio.get_running_loop().call_soon(self.flush)
        self._queued.append(_framed(self._encode(payload)))

    def flush(self) -> None:
        """Write what is queued; the daemon is gone when its end of the pipe is: then the child ends at once."""
        if not self._queued:
            return
        data = memoryview(b"".join(self._queued))
        self._queued.clear()
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError:
            os._exit(0)

    def result(self, name: str) -> Callable[[Any], None]:
        """The handler of watch ``name``: what the daemon reads of its results (``payloads``) goes to it."""

        def send(result: Any) -> None:
            self.queue(name, shipped(name, result))

        return send


class _Forward(logging.Handler):
    """The child's log records, to the daemon's log."""

    def __init__(self, frames: _Frames) -> None:
        super().__init__()
        self._frames = frames

    def emit(self, record: logging.LogRecord) -> None:
        self._frames.send("log", record.levelno, record.name, self.format(record))


async def _read_frame(stdin: asyncio.StreamReader) -> bytes:
    (length,) = _LENGTH.unpack(await stdin.readexactly(_LENGTH.size))
    return await stdin.readexactly(length)


async def _serve(frames: _Frames) -> None:
    """The child: say it is ready, read the setup, run the streams until stdin reaches EOF, close the client."""
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    frames.send("ready")
    setup = msgspec.msgpack.decode(await _read_frame(stdin), type=StreamSetup)
    logging.getLogger().setLevel(setup.log_level)
    client = build_stream(setup.config, setup.credentials())
    client.set_markets(setup.markets, setup.currencies)
    guard = Guard(setup.policy)  # the daemon's breaker is told through "up" and "down"

    async def up(first: bool) -> None:
        if first:
            os.nice(NICENESS)
        frames.send("up")

    def down(reason: str) -> None:
        frames.send("down", reason)

    watches = [(name, call, frames.result(name)) for name, call in watch_calls(client, setup.config).items()]
    supervisor = StreamSupervisor(client, watches, up, lambda: guard, setup.policy, down)
    streams = asyncio.create_task(supervisor.run())
    beats = asyncio.create_task(_beat(supervisor, frames))
    try:
        while True:  # the daemon's rate-limit pauses, until EOF
            _, seconds = msgspec.msgpack.decode(await _read_frame(stdin))
            guard.gate.pause(seconds, "the daemon was rate-limited")
    except asyncio.IncompleteReadError:
        pass
    finally:
        for task in (beats, streams):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), _STOP_S - 1)
        frames.flush()  # results of the last loop turn


async def _beat(supervisor: StreamSupervisor, frames: _Frames) -> None:
    """While the streams are up, tell the daemon this child is running."""
    while True:
        await asyncio.sleep(HEARTBEAT_S / 2)
        if supervisor.connected:
            frames.send("beat")


def main() -> None:
    """Entry point of the child: frames go to the stdout it was given; anything printed goes to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the daemon, which stops the child
    frames = _Frames(os.dup(1))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.getLogger().addHandler(_Forward(frames))
    uvloop.run(_serve(frames))
