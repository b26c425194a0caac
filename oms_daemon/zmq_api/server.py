"""``ZmqApi``: the strategy API over ZeroMQ — a ROUTER for requests and a PUB for the event stream.

Requests are drained in batches from a plain (non-asyncio) socket whose edge-triggered FD is
registered with the loop: one wake-up reads every waiting message, so the loop does not pay an
``await`` per message. Intents and operator commands go to the writer through the ``Gateway``;
queries are answered at once from ``views`` over the live state (on the loop thread).
"""

import asyncio
import logging
from collections import deque
from collections.abc import Iterable
from functools import partial

import msgspec
import zmq

from oms_daemon.core.events import Event, Replied
from oms_daemon.core.preview import Preview
from oms_daemon.gateway import Gateway, GatewayClosed
from oms_daemon.views import preview_view
from oms_daemon.zmq_api.schema import Reply, RequestId, WireCode
from oms_daemon.zmq_api.stream import stream_message, stream_topic
from oms_daemon.zmq_api.translate import QUERIES, Refused, answer, decode_request, to_input

__all__ = ["DEFAULT_MAX_FRAME_BYTES", "ZmqApi", "ZmqApiStats"]

DEFAULT_MAX_FRAME_BYTES = 64 * 1024
"""Largest request payload answered normally; larger ones get ``frame_too_large``."""

_HARD_LIMIT_FACTOR = 16
"""Frames beyond this many times the limit (and at least 1 MiB) are dropped by libzmq with the connection."""

log = logging.getLogger(__name__)
_encode = msgspec.msgpack.Encoder().encode
Frames = list[bytes]

# plain ints: pyzmq's multipart helpers combine IntFlag members per frame, which costs more than the send
_NOBLOCK = int(zmq.NOBLOCK)
_MORE_NOBLOCK = int(zmq.NOBLOCK | zmq.SNDMORE)
_RCVMORE = int(zmq.RCVMORE)
_POLLIN = int(zmq.POLLIN)
_EVENTS = int(zmq.EVENTS)


class ZmqApiStats(msgspec.Struct, kw_only=True):
    """Counters for metrics: requests taken, refusals made here, replies sent or dropped, events published."""

    requests: int = 0
    refused: int = 0
    replies_sent: int = 0
    replies_dropped: int = 0
    published: int = 0
    publish_errors: int = 0


class ZmqApi:
    """Serve strategy requests on a ROUTER and publish core events on a PUB (call everything on the loop thread)."""

    def __init__(
        self,
        gateway: Gateway,
        request_endpoint: str = "tcp://127.0.0.1:5555",
        events_endpoint: str = "tcp://127.0.0.1:5556",
        *,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        publish_quotes: bool = False,
        batch_size: int = 1024,
        hwm: int = 100_000,
        request_prefix: str = "z",
    ) -> None:
        self._gateway = gateway
        self._endpoints = (request_endpoint, events_endpoint)
        self._max_frame = max_frame_bytes
        self._publish_quotes = publish_quotes
        self._batch = batch_size
        self._hwm = hwm
        self._prefix = request_prefix
        self._context: zmq.Context | None = None
        self._router: zmq.Socket | None = None
        self._pub: zmq.Socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1
        self._accepting = False
        self._scheduled = False
        self._counter = 0
        self._topic_seq: dict[str, int] = {}
        self._subscriptions: set[bytes] = set()
        self._wanted: dict[str, bool] = {}
        self._pub_fd = -1
        self._in_flight = 0
        self._blocked: dict[bytes, deque[Frames]] = {}
        self._retry: asyncio.TimerHandle | None = None
        self._retry_delay = 0.001
        self.stats = ZmqApiStats()
        self.request_endpoint = request_endpoint
        self.events_endpoint = events_endpoint

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind both sockets and start serving; endpoints with port ``*`` are resolved in place."""
        if self._router is not None:
            return
        self._loop = asyncio.get_running_loop()
        context = zmq.Context()
        router = context.socket(zmq.ROUTER)
        pub = context.socket(zmq.XPUB)  # XPUB: we learn the subscriptions and skip unwanted messages
        try:
            router.setsockopt(zmq.ROUTER_MANDATORY, 1)
            router.setsockopt(zmq.RCVHWM, self._hwm)
            router.setsockopt(zmq.SNDHWM, self._hwm)
            router.setsockopt(zmq.MAXMSGSIZE, max(self._max_frame * _HARD_LIMIT_FACTOR, 1 << 20))
            router.setsockopt(zmq.LINGER, 0)
            router.bind(self._endpoints[0])
            pub.setsockopt(zmq.SNDHWM, self._hwm)
            pub.setsockopt(zmq.LINGER, 0)
            pub.bind(self._endpoints[1])
        except zmq.ZMQError:
            router.close(0)
            pub.close(0)
            context.term()
            raise
        self.request_endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
        self.events_endpoint = pub.getsockopt_string(zmq.LAST_ENDPOINT)
        self._context, self._router, self._pub = context, router, pub
        self._fd = router.getsockopt(zmq.FD)
        self._loop.add_reader(self._fd, self._pump)
        self._pub_fd = pub.getsockopt(zmq.FD)
        self._loop.add_reader(self._pub_fd, self._read_subscriptions)
        self._accepting = True
        self._schedule()
        log.info("zmq api serving requests on %s, events on %s", self.request_endpoint, self.events_endpoint)

    @property
    def accepting(self) -> bool:
        """True while intents and operator commands are taken."""
        return self._accepting

    @property
    def in_flight(self) -> int:
        """Requests handed to the writer whose reply has not been sent yet."""
        return self._in_flight

    def stop_accepting(self) -> None:
        """Refuse new intents and operator commands with ``shutting_down`` (queries are still answered)."""
        self._accepting = False

    async def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for in-flight requests to be answered; True if none is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (self._in_flight or self._blocked) and loop.time() < deadline:
            await asyncio.sleep(0.002)
        return not (self._in_flight or self._blocked)

    def close(self, linger_ms: int = 100) -> None:
        """Close both sockets (replies still queued get ``linger_ms`` to leave); idempotent."""
        self._accepting = False
        router, pub, context = self._router, self._pub, self._context
        if router is None or pub is None or context is None:
            return
        self._router = self._pub = self._context = None
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
            self._loop.remove_reader(self._pub_fd)
        self._blocked.clear()
        router.close(linger_ms)
        pub.close(linger_ms)
        context.term()

    # --- event stream ---------------------------------------------------------------------------------------

    def publish(self, events: Iterable[Event]) -> None:
        """Publish the stream messages for a step's events (the writer calls this after applying them).

        Only topics some subscriber asked for are built and sent; ``seq`` counts each topic's messages.
        """
        pub = self._pub
        if pub is None or not self._subscriptions:
            return
        state = self._gateway.state
        for event in events:
            topic = stream_topic(event, self._publish_quotes)
            if topic is None or not self._is_wanted(topic):
                continue
            try:
                seq = self._topic_seq.get(topic, 0) + 1
                message = stream_message(state, event, seq)
                if message is None:
                    continue
                pub.send_multipart((topic.encode(), _encode(message)), zmq.NOBLOCK)
                self._topic_seq[topic] = seq
                self.stats.published += 1
            except zmq.Again:
                self.stats.publish_errors += 1
            except Exception:
                self.stats.publish_errors += 1
                log.exception("could not publish %s", type(event).__name__)

    def _is_wanted(self, topic: str) -> bool:
        wanted = self._wanted.get(topic)
        if wanted is None:
            raw = topic.encode()
            wanted = self._wanted[topic] = any(raw.startswith(prefix) for prefix in self._subscriptions)
        return wanted

    def _read_subscriptions(self) -> None:
        """XPUB hands us (un)subscriptions: first subscriber of a prefix (b"\x01" + prefix), last one gone (b"\x00")."""
        pub = self._pub
        if pub is None:
            return
        while pub.get(_EVENTS) & _POLLIN:
            try:
                frame = pub.recv(_NOBLOCK)
            except zmq.Again:
                break
            if frame[:1] == b"\x01":
                self._subscriptions.add(frame[1:])
            elif frame[:1] == b"\x00":
                self._subscriptions.discard(frame[1:])
            self._wanted.clear()

    # --- requests ------------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._pump)

    def _pump(self) -> None:
        """Read up to a batch of requests while EVENTS says one is waiting (the FD is edge-triggered: reading
        until EVENTS has no POLLIN re-arms it). Asking EVENTS costs a few µs less than the ``Again`` a read of an
        empty socket raises, and this runs ahead of every request's batch."""
        self._scheduled = False
        router = self._router
        if router is None:
            return
        handled = 0
        recv, get = router.recv, router.get
        while handled < self._batch and self._router is not None and get(_EVENTS) & _POLLIN:
            frames = [recv(_NOBLOCK)]
            while get(_RCVMORE):
                frames.append(recv(_NOBLOCK))
            handled += 1
            try:
                self._handle(frames)
            except Exception:  # a bug must not stop the loop; the peer still gets an answer
                log.exception("request handling failed")
                envelope, _ = _split(frames)
                self._send([*envelope, _encode(_refusal(None, WireCode.INTERNAL_ERROR, "internal error"))])
        if self._router is not None and handled >= self._batch:  # more may be waiting: after this loop turn
            self._schedule()

    def _handle(self, frames: Frames) -> None:
        self.stats.requests += 1
        envelope, body = _split(frames)
        if len(body) != 1:
            self._refuse(envelope, None, WireCode.MALFORMED_REQUEST, f"expected one payload frame, got {len(body)}")
            return
        payload = body[0]
        if len(payload) > self._max_frame:
            message = f"payload is {len(payload)} bytes; the limit is {self._max_frame}"
            self._refuse(envelope, None, WireCode.FRAME_TOO_LARGE, message)
            return
        try:
            request = decode_request(payload)
            if isinstance(request, QUERIES):
                data = answer(self._gateway.state, request)
                self._send([*envelope, _encode(Reply(id=request.id, ok=True, data=data))])
                return
            if not self._accepting:
                raise Refused(
                    WireCode.SHUTTING_DOWN, "the daemon is shutting down and takes no new requests", request.id
                )
            self._counter += 1
            core_input = to_input(request, f"{self._prefix}{self._counter}", self._gateway.now_ns())
            try:
                future = self._gateway.submit(core_input, partial(self._reply, envelope, request.id))
            except GatewayClosed:
                raise Refused(WireCode.SHUTTING_DOWN, "the daemon is shutting down", request.id) from None
            except ValueError as error:
                raise Refused(WireCode.MALFORMED_REQUEST, str(error), request.id) from None
        except Refused as refused:
            self._refuse(envelope, refused.request_id, refused.code, refused.message)
            return
        self._in_flight += 1
        future.add_done_callback(partial(self._settled, envelope, request.id))

    def _reply(self, envelope: Frames, request_id: RequestId, replied: Replied) -> None:
        """Answer at once, from inside the writer's batch: the strategy does not wait for the batch to end."""
        reply = Reply(
            id=request_id,
            ok=replied.ok,
            order_id=replied.order_id,
            order_ids=list(replied.order_ids),
            reason=replied.reason,
            message=replied.message,
            data=preview_view(replied.data) if isinstance(replied.data, Preview) else replied.data,
        )
        self._answer(envelope, reply)

    def _settled(self, envelope: Frames, request_id: RequestId, future: "asyncio.Future[Replied]") -> None:
        """The request is done: answered by ``_reply`` already, or failed here (shutdown, writer error)."""
        self._in_flight -= 1
        if future.cancelled():
            reply = _refusal(request_id, WireCode.SHUTTING_DOWN, "the request was dropped at shutdown")
        elif (error := future.exception()) is None:
            return
        elif isinstance(error, GatewayClosed):
            reply = _refusal(request_id, WireCode.SHUTTING_DOWN, "the daemon is shutting down")
        else:
            log.error("request %r failed in the writer", request_id, exc_info=error)
            reply = _refusal(request_id, WireCode.INTERNAL_ERROR, "internal error")
        self._answer(envelope, reply)

    def _answer(self, envelope: Frames, reply: Reply) -> None:
        if self._router is None:
            return
        self._send([*envelope, _encode(reply)])
        self._schedule()  # a send can swallow the FD's edge: re-check EVENTS on the next pump

    def _refuse(self, envelope: Frames, request_id: RequestId, code: str, message: str) -> None:
        self.stats.refused += 1
        self._send([*envelope, _encode(_refusal(request_id, code, message))])

    # --- replies ---------------------------------------------------------------------------------------------

    def _send(self, frames: Frames) -> None:
        """Send a reply without blocking; a peer at its high-water mark gets it queued and retried."""
        router = self._router
        if router is None:
            return
        identity = frames[0]
        queued = self._blocked.get(identity)
        if queued is not None:
            if len(queued) < self._hwm:
                queued.append(frames)
            else:
                self.stats.replies_dropped += 1
            return
        try:
            _send_frames(router, frames)
            self.stats.replies_sent += 1
        except zmq.Again:
            self._blocked[identity] = deque([frames])
            self._arm_retry()
        except zmq.ZMQError as error:  # EHOSTUNREACH: the peer has gone
            self.stats.replies_dropped += 1
            log.debug("reply dropped: %s", error)

    def _arm_retry(self) -> None:
        if self._retry is None and self._loop is not None:
            self._retry = self._loop.call_later(self._retry_delay, self._flush_blocked)

    def _flush_blocked(self) -> None:
        self._retry = None
        router = self._router
        if router is None:
            return
        progressed = False
        for identity, queued in list(self._blocked.items()):
            while queued:
                try:
                    _send_frames(router, queued[0])
                except zmq.Again:
                    break
                except zmq.ZMQError:
                    self.stats.replies_dropped += len(queued)
                    queued.clear()
                    break
                queued.popleft()
                self.stats.replies_sent += 1
                progressed = True
            if not queued:
                del self._blocked[identity]
        self._retry_delay = 0.001 if progressed else min(self._retry_delay * 2, 0.05)
        if self._blocked:
            self._arm_retry()
        self._schedule()


def _send_frames(router: zmq.Socket, frames: Frames) -> None:
    """Send one message without blocking; libzmq takes a message whole once its first frame is accepted."""
    last = len(frames) - 1
    for index, frame in enumerate(frames):
        router.send(frame, _MORE_NOBLOCK if index < last else _NOBLOCK)


def _split(frames: Frames) -> tuple[Frames, Frames]:
    """(envelope, body): the identity, plus the empty delimiter when a REQ-style peer sent one."""
    if len(frames) >= 3 and not frames[1]:
        return frames[:2], frames[2:]
    return frames[:1], frames[1:]


def _refusal(request_id: RequestId, code: str, message: str) -> Reply:
    return Reply(id=request_id, ok=False, reason=code, message=message)
