"""The daemon: one writer task owns the state and applies the inbox in order.

For every batch taken from the inbox: journal append (one write to the OS, fsync per policy) →
core step → replies, venue commands and publications. Nothing leaves the process before the input
that caused it is in the journal. Start-up replays the journal (verifying its checksums), then
journals ``SessionStarted`` and asks the venue about every order whose outcome is open.

A journal that can no longer be written (a full disk with its reserve spent, an I/O error) stops the
daemon: every request taken in is answered ``journal_unavailable`` (it was not applied), nothing else takes
effect, and the process exits with ``EXIT_JOURNAL_UNWRITABLE``.
"""

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any, get_args

import structlog
from aiohttp import web

from adapters.contract import VenueAdapter
from adapters.paper import PaperVenue
from journal import FsyncPolicy, JournalError, JournalWriter, RecordKind, read_journal
from oms_daemon.config import DaemonConfig
from oms_daemon.core import Core
from oms_daemon.core.codec import SCHEMA_VERSION, encode_input
from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.events import (
    AlertRaised,
    AnyVenueCommand,
    Event,
    ModeChanged,
    OrderUpdated,
    Replied,
    SnapshotRequested,
)
from oms_daemon.core.inputs import (
    ClockStep,
    Input,
    Intent,
    OperatorCommand,
    SessionStarted,
    TimerTick,
    VenueEvent,
)
from oms_daemon.core.reasons import Reason
from oms_daemon.core.reconcile import known_fill
from oms_daemon.core.session import OPEN_OUTCOMES
from oms_daemon.core.state import OmsState
from oms_daemon.disk import MB, DiskWatch
from oms_daemon.gateway import GatewayClosed
from oms_daemon.http_api import build_app
from oms_daemon.inbox import EventInbox
from oms_daemon.metrics import Metrics
from oms_daemon.venues import VenueRouter, build_venues, restore_paper
from oms_daemon.zmq_api import ZmqApi
from replay import Checkpoint, encode_checkpoint, fold

__all__ = ["EXIT_JOURNAL_UNWRITABLE", "Daemon"]

log = structlog.get_logger("omsd")

BATCH = 512
EXIT_JOURNAL_UNWRITABLE = 75
"""Exit code when the journal could not be written (EX_TEMPFAIL): free space or fix the disk, then restart."""

_VENUE_COMMANDS = frozenset(get_args(AnyVenueCommand))


class Daemon:
    """omsd: journal, core, venues, ZeroMQ API and /metrics around one writer task (a Gateway)."""

    def __init__(self, config: DaemonConfig, *, venues: dict[str, VenueAdapter] | None = None) -> None:
        self.config = config
        self.metrics = Metrics()
        self.inbox = EventInbox()
        self.core = Core()
        self._venues = venues if venues is not None else build_venues(config)
        self._router = VenueRouter(
            self._venues,
            {a.account_id: a.venue for a in config.accounts},
            self.inbox,
            self.metrics,
            policy=config.resiliency,
            reconcile_min_interval_s=config.reconciliation.min_interval_s,
        )
        self._pending: dict[str, tuple[asyncio.Future[Replied], Callable[[Replied], None] | None]] = {}
        """Each request in flight: its future, and the hook that hears its reply first (see ``Gateway.submit``)."""
        self._digest_due = False
        self._replies: list[Replied] = []
        """Replies decided but not sent yet: they leave before the next publication, or once the batch is applied."""
        self._submitted_at: dict[str, int] = {}
        self._journal: JournalWriter | None = None
        self._zmq: ZmqApi | None = None
        self._http: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = False
        self._stopped = asyncio.Event()
        self._since_checkpoint = 0
        self._events = 0
        self._order_counts: Counter[str] = Counter()
        self._publishers: list[Callable[[list[Event]], None]] = []
        self._unpublished: list[Event] = []
        self._disk: DiskWatch | None = None
        self._clock_behind = False
        self._journal_lost: JournalError | None = None
        self.failed = False

    # --- Gateway ---------------------------------------------------------------------------------------

    @property
    def state(self) -> OmsState:
        """The live state (read on the loop thread only)."""
        return self.core.state

    def now_ns(self) -> int:
        """Receive time for new inputs."""
        return self.inbox.now_ns()

    def add_publisher(self, publish: Callable[[list[Event]], None]) -> None:
        """Hand every step's events to ``publish`` too (ZeroMQ PUB, HTTP WebSocket streams)."""
        self._publishers.append(publish)

    def submit(
        self, request: Intent | OperatorCommand, on_reply: Callable[[Replied], None] | None = None
    ) -> "asyncio.Future[Replied]":
        """Enqueue an intent or operator command; the future resolves with its one reply (see ``Gateway``)."""
        if not self._accepting:
            raise GatewayClosed("omsd is not accepting requests")
        if request.request_id in self._pending:
            raise ValueError(f"request id {request.request_id!r} is already in flight")
        try:
            encode_input(request)  # what cannot be journaled is refused here, not in the writer
        except (OverflowError, TypeError, ValueError) as error:
            raise ValueError(f"request cannot be journaled: {error}") from error
        future: asyncio.Future[Replied] = asyncio.get_running_loop().create_future()
        self._pending[request.request_id] = (future, on_reply)
        self.inbox.put(request)
        return future

    # --- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover from the journal, start the session, connect venues, open the APIs."""
        settings = self.config.daemon
        self._journal = JournalWriter(
            settings.journal_dir,
            schema_version=SCHEMA_VERSION,
            policy=FsyncPolicy(settings.fsync),
            group_interval_ms=settings.group_commit_ms,
            group_max_events=settings.group_commit_events,
            observer=self.metrics,
            reserve_bytes=int(settings.disk_reserve_mb * MB),
        )
        self._disk = DiskWatch(self._journal, int(settings.disk_low_water_mb * MB))
        if self._journal.torn_tail is not None:
            log.warning("journal torn tail cut", tail=str(self._journal.torn_tail))
        recovered = self._journal.next_seq > 1
        venue_seqs = self._recover() if recovered else {}
        self.inbox.clock.resume_after(self.state.last_ts)  # event time goes on from the journal, whatever the clock
        self._order_counts.update(o.status for o in self.state.orders.values())
        self.metrics.init_accounts(a.account_id for a in self.config.accounts)
        for name, venue in self._venues.items():
            if recovered and isinstance(venue, PaperVenue):
                restore_paper(venue, self.state, venue_seqs)
            await venue.connect(self.inbox)
            log.info("venue connected", venue=name)
        # journaled before anything the venues said meanwhile; it queries orders the last run left open
        self._apply_now([SessionStarted(ts_recv=self.now_ns(), config=self.config.core_config())])
        writer = asyncio.ensure_future(self._write_loop())
        writer.add_done_callback(self._writer_done)
        self._tasks = [
            writer,
            asyncio.ensure_future(self._timer_loop()),
            asyncio.ensure_future(self._reconcile_loop()),
        ]
        self._zmq = ZmqApi(
            self,
            self.config.zmq.requests,
            self.config.zmq.events,
            max_frame_bytes=self.config.zmq.max_frame_bytes,
            request_prefix=f"z{self._journal.next_seq}-",  # request ids stay unique across restarts
        )
        self._zmq.start()
        self.add_publisher(self._zmq.publish)
        self._accepting = True
        await self._start_http()
        log.info(
            "omsd started",
            requests=self._zmq.request_endpoint,
            events=self._zmq.events_endpoint,
            journal=str(settings.journal_dir),
            next_seq=self._journal.next_seq,
            orders=len(self.state.orders),
        )

    def _recover(self) -> dict[str, int]:
        """Fold the journal into the core, verifying checksums; returns the last venue_seq per account."""
        venue_seqs: dict[str, int] = {}

        def observe(_seq: int, inp: Input, _events: list[Event]) -> None:
            if isinstance(inp, VenueEvent) and inp.venue_seq is not None:
                venue_seqs[inp.account_id] = max(inp.venue_seq, venue_seqs.get(inp.account_id, 0))

        _, result = fold(read_journal([self.config.daemon.journal_dir]), self.core, verify=True, observer=observe)
        self._events = result.events
        log.info("journal replayed", events=result.events, checksums=result.checksums_verified, seq=result.last_seq)
        return venue_seqs

    async def _start_http(self) -> None:
        self._http = web.AppRunner(
            build_app(self), access_log=None, shutdown_timeout=self.config.daemon.shutdown_grace_s
        )
        await self._http.setup()
        await web.TCPSite(self._http, self.config.http.host, self.config.http.port).start()

    async def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT, then shut down in order."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopped.set)
        await self.start()
        await self._stopped.wait()
        await self.stop()

    def request_stop(self) -> None:
        """Ask ``run`` to shut down."""
        self._stopped.set()

    async def stop(self) -> None:
        """Stop taking intents, wait (bounded) for in-flight work, checkpoint and close the journal."""
        log.info("omsd stopping")
        self._accepting = False
        if self._zmq is not None:
            self._zmq.stop_accepting()
        grace = self.config.daemon.shutdown_grace_s
        await self._router.wait(grace)
        await self._router.close()
        await self._drain_inbox(grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for venue in self._venues.values():
            await venue.disconnect()
        self._apply_now(list(self.inbox.take_all()))
        if self._journal is not None:
            if self._journal_lost is None:
                self._checkpoint()
            self._journal.close()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(GatewayClosed("omsd stopped before answering"))
        if self._zmq is not None:
            await self._zmq.drain(grace)
            self._zmq.close()
        if self._http is not None:
            await self._http.cleanup()
        log.info("omsd stopped", events=self._events)

    async def _drain_inbox(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.inbox) and loop.time() < deadline:
            await asyncio.sleep(0.005)

    # --- the writer --------------------------------------------------------------------------------------

    def _writer_done(self, task: "asyncio.Task[None]") -> None:
        """The writer never ends on its own: if it died, stop the daemon (fail-stop) rather than hang."""
        if task.cancelled() or task.exception() is None:
            return
        log.critical("writer task failed: stopping", error=repr(task.exception()))
        self.failed = True
        self.request_stop()

    async def _write_loop(self) -> None:
        take = self.inbox.take
        while True:
            batch = await take(BATCH)
            self._apply_now(batch)
            self.metrics.set_inbox_depth(len(self.inbox))

    def _apply_now(self, batch: list[Input]) -> None:
        """Journal the batch (one write), then apply each input and perform what it decided.

        What leaves, in order: replies and venue commands first; stream events as soon as their input is
        applied (after any reply still queued), until an input of the batch starts venue calls. From then
        on the batch's replies go together once its inputs are applied, and its events are published on
        the next loop turn, after those calls went out: publication stays off an order's critical path.
        """
        state = self.core.state
        batch = [inp for inp in batch if not known_fill(state, inp)]  # fills fetched again over REST: no news
        if not batch:
            return
        journal = self._journal
        assert journal is not None
        if self._journal_lost is not None:
            self._unjournaled(batch)
            return
        append = journal.append
        try:
            for inp in batch:
                append(RecordKind.EVENT, inp.ts_recv, encode_input(inp))
            journal.flush()
        except JournalError as error:
            self._lose_journal(error)
            self._unjournaled(batch)
            return
        step = self.core.step
        counts: Counter[str] = Counter()
        held: list[Event] = []
        hold = bool(self._unpublished)  # an earlier batch's publication is still due: keep the stream in order
        try:
            for inp in batch:
                events = step(inp)
                counts[type(inp).__name__] += 1
                if not events:
                    continue
                hold |= self._perform(inp, events)
                if hold:
                    held += events
                else:
                    self._answer_queued()
                    self._publish(events)
        finally:
            self._answer_queued()
        if held:
            if not self._unpublished:
                asyncio.get_running_loop().call_soon(self._publish_due)
            self._unpublished += held
        self._events += len(batch)
        self._since_checkpoint += len(batch)
        for kind, count in counts.items():
            self.metrics.observe_events(kind, count)
        self.metrics.set_journal_seq(journal.next_seq - 1)
        if not self._digest_due and self.core.state.touched():
            self._digest_due = True
            asyncio.get_running_loop().call_soon(self._digest)
        if self._since_checkpoint >= self.config.daemon.checksum_every:
            self._checkpoint()
            try:
                journal.flush()
            except JournalError as error:  # the batch itself is journaled: only what follows is lost
                self._lose_journal(error)

    def _lose_journal(self, error: JournalError) -> None:
        """Nothing more can be journaled: stop taking requests and stop the daemon (fail-stop)."""
        if self._journal_lost is not None:
            return
        self._journal_lost = error
        self.failed = True
        self._accepting = False
        if self._zmq is not None:
            self._zmq.stop_accepting()
        log.critical(
            "journal cannot be written: stopping; free space or fix the disk, then restart",
            error=str(error),
            exit_code=EXIT_JOURNAL_UNWRITABLE,
        )
        self.request_stop()

    def _unjournaled(self, batch: list[Input]) -> None:
        """Inputs that could not be journaled take no effect; their requesters hear so."""
        message = f"not applied: the journal cannot be written ({self._journal_lost})"
        for inp in batch:
            request_id = getattr(inp, "request_id", "")
            if request_id and request_id in self._pending:
                self._answer(
                    Replied(request_id=request_id, ok=False, reason=Reason.JOURNAL_UNAVAILABLE, message=message)
                )

    @property
    def exit_code(self) -> int:
        """0 after a clean stop; ``EXIT_JOURNAL_UNWRITABLE`` when the journal failed; 1 for any other failure."""
        if self._journal_lost is not None:
            return EXIT_JOURNAL_UNWRITABLE
        return 1 if self.failed else 0

    def _digest(self) -> None:
        """Hash the entities the last batches touched, after their replies, venue calls and publication.

        A state checksum then has only what came since to hash: taking every digest at the checksum stalled
        the writer 18 to 24 ms every 10k inputs at 13k intents/s.
        """
        self._digest_due = False
        self.core.state.digest_touched()

    def _answer_queued(self) -> None:
        """Send the replies decided so far (see ``_apply_now``)."""
        replies = self._replies
        for reply in replies:
            self._answer(reply)
        replies.clear()

    def _perform(self, inp: Input, events: list[Event]) -> bool:
        """Queue the reply, start the venue commands, count orders and alerts; True if commands went out.

        Dispatch is on the exact type: a class pattern on a Struct goes through its metaclass's ``__instancecheck__``.
        """
        commands: list[AnyVenueCommand] = []
        for event in events:
            kind = type(event)
            if kind is OrderUpdated:
                self._count_order(inp, event)
            elif kind is Replied:
                self._replies.append(event)
            elif kind in _VENUE_COMMANDS:
                commands.append(event)
            elif kind is AlertRaised:
                self.metrics.observe_alert(event.code, str(event.severity))
                log.warning("alert", code=event.code, severity=str(event.severity), message=event.message)
            elif kind is ModeChanged:
                self.metrics.set_safe_mode(event.account_id, event.safe)
                self.metrics.set_armed(event.account_id, event.armed)
                log.info(
                    "mode changed",
                    account=event.account_id,
                    safe=event.safe,
                    armed=event.armed,
                    operator=event.operator,
                )
        if commands:
            self._router.send(commands)
            return True
        return False

    def _count_order(self, inp: Input, event: OrderUpdated) -> None:
        """Orders by status, and the intent→venue-ack latency of each new order."""
        order, previous = event.order, event.previous_status
        self._order_counts[order.status] += 1
        if previous is not None:
            self._order_counts[previous] -= 1
        if previous is None and not order.external:
            self._submitted_at[order.client_order_id] = inp.ts_recv
        elif order.status == OrderStatus.NEW and previous in (OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN):
            started = self._submitted_at.pop(order.client_order_id, None)
            if started is not None:
                self.metrics.observe_ack_latency(max(0, inp.ts_recv - started) / 1e9)
        if order.status not in OPEN_OUTCOMES and order.status != OrderStatus.NEW:
            self._submitted_at.pop(order.client_order_id, None)

    def _publish_due(self) -> None:
        events, self._unpublished = self._unpublished, []
        self._publish(events)

    def _publish(self, events: list[Event]) -> None:
        for publish in self._publishers:
            publish(events)

    def _answer(self, reply: Replied) -> None:
        self.metrics.observe_intent("accepted" if reply.ok else "rejected", reply.reason or "")
        future, hook = self._pending.pop(reply.request_id, (None, None))
        if future is None or future.done():
            return
        if hook is not None:
            try:
                hook(reply)
            except Exception:  # an ingress bug must not stop the writer; the future still resolves
                log.exception("reply hook failed", request_id=reply.request_id)
        future.set_result(reply)

    def _checkpoint(self) -> None:
        journal = self._journal
        assert journal is not None
        last_seq = journal.next_seq - 1
        checkpoint = Checkpoint(last_seq=last_seq, state_hash=self.state.state_hash(), events=self._events)
        journal.append(RecordKind.CHECKSUM, self.state.last_ts, encode_checkpoint(checkpoint))
        self._since_checkpoint = 0

    async def _reconcile_loop(self) -> None:
        """A reconciliation pass per account at start-up and then every ``interval_s``."""
        accounts = [a.account_id for a in self.config.accounts]
        reason = "start-up reconciliation"
        while True:
            self._router.send([SnapshotRequested(account_id=a, reason=reason) for a in accounts])
            await asyncio.sleep(self.config.reconciliation.interval_s)
            reason = "periodic reconciliation"

    async def _timer_loop(self) -> None:
        interval = self.config.daemon.timer_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            self.inbox.put(TimerTick(ts_recv=self.now_ns()))
            behind = self.inbox.clock.behind_ns
            if bool(behind) != self._clock_behind:
                self._clock_behind = bool(behind)
                self.inbox.put(ClockStep(ts_recv=self.now_ns(), behind_ns=behind))
            if self._disk is not None:
                space = self._disk.check(self.now_ns())
                if space is not None:
                    self.inbox.put(space)
                self.metrics.set_journal_free(self._disk.free_bytes)
            self.metrics.set_order_counts({str(status): n for status, n in self._order_counts.items()})

    def describe(self) -> dict[str, Any]:
        """Small status summary for logs and tests."""
        return {"orders": len(self.state.orders), "fills": len(self.state.fills), "events": self._events}
