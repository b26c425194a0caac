"""Prometheus metrics of one daemon, in a registry of its own, and the aiohttp handler for ``GET /metrics``.

Every update method is cheap enough for the writer task's hot path: labelled children are created once
and cached in plain dicts, so an update is a dict lookup plus prometheus_client's own locked increment.
The journal's sync thread calls ``observe_fsync``; prometheus_client values are thread-safe.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import choose_encoder

from oms_daemon.core.enums import OrderStatus

__all__ = ["ACK_LATENCY_BUCKETS", "JOURNAL_BUCKETS", "METRIC_NAMES", "Metrics", "metrics_handler"]

#: Intent received → venue ack, 50 µs to 5 s.
ACK_LATENCY_BUCKETS: tuple[float, ...] = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
#: One journal write or fsync, 5 µs to 1 s.
JOURNAL_BUCKETS: tuple[float, ...] = (
    0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0,
)  # fmt: skip

#: Every metric family this module exposes (as named in the exposition, before any suffix).
METRIC_NAMES: tuple[str, ...] = (
    "omsd_events_total",
    "omsd_inbox_depth",
    "omsd_intents_total",
    "omsd_intent_ack_latency_seconds",
    "omsd_journal_append_seconds",
    "omsd_journal_fsync_seconds",
    "omsd_journal_seq",
    "omsd_journal_free_bytes",
    "omsd_orders",
    "omsd_safe_mode",
    "omsd_armed",
    "omsd_alerts_total",
    "omsd_venue_commands_total",
)


class Metrics:
    """The daemon's metrics; also the journal's observer (``observe_append`` / ``observe_fsync``)."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process_metrics: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        if process_metrics:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self._events = Counter(
            "omsd_events_total", "Inputs processed by the writer task, by input type.", ["type"], registry=r
        )
        self._inbox_depth = Gauge("omsd_inbox_depth", "Inputs waiting in the inbox.", registry=r)
        self._intents = Counter(
            "omsd_intents_total",
            "Strategy intents handled, by result and refusal reason.",
            ["result", "reason"],
            registry=r,
        )
        self._ack_latency = Histogram(
            "omsd_intent_ack_latency_seconds",
            "Time from an intent's receipt to the venue's acknowledgement.",
            buckets=ACK_LATENCY_BUCKETS,
            registry=r,
        )
        self._append = Histogram(
            "omsd_journal_append_seconds", "Time of one journal write (one flush).", buckets=JOURNAL_BUCKETS, registry=r
        )
        self._fsync = Histogram(
            "omsd_journal_fsync_seconds", "Time of one journal fsync.", buckets=JOURNAL_BUCKETS, registry=r
        )
        self._journal_seq = Gauge("omsd_journal_seq", "Sequence number of the last journaled event.", registry=r)
        self._journal_free = Gauge(
            "omsd_journal_free_bytes",
            "Free bytes on the journal's filesystem (its space reserve not counted).",
            registry=r,
        )
        self._orders = Gauge("omsd_orders", "Orders currently known, by status.", ["status"], registry=r)
        self._safe_mode = Gauge("omsd_safe_mode", "1 while the account is in safe mode.", ["account"], registry=r)
        self._armed = Gauge("omsd_armed", "1 while the account is armed for trading.", ["account"], registry=r)
        self._alerts = Counter(
            "omsd_alerts_total", "Alerts raised, by code and severity.", ["code", "severity"], registry=r
        )
        self._venue_commands = Counter(
            "omsd_venue_commands_total",
            "Commands sent to venues, by venue, command and result.",
            ["venue", "command", "result"],
            registry=r,
        )
        self._event_children: dict[str, Counter] = {}
        self._intent_children: dict[tuple[str, str], Counter] = {}
        self._order_children: dict[str, Gauge] = {}
        self._safe_mode_children: dict[str, Gauge] = {}
        self._armed_children: dict[str, Gauge] = {}
        self._alert_children: dict[tuple[str, str], Counter] = {}
        self._venue_children: dict[tuple[str, str, str], Counter] = {}
        for status in OrderStatus:  # every status is exported, zero until it has orders
            self._order_child(status.value)

    # --- writer task -------------------------------------------------------------------------------------

    def observe_events(self, input_type: str, count: int = 1) -> None:
        """Count ``count`` processed inputs of ``input_type`` (e.g. the input class name)."""
        child = self._event_children.get(input_type)
        if child is None:
            child = self._event_children[input_type] = self._events.labels(input_type)
        child.inc(count)

    def set_inbox_depth(self, depth: int) -> None:
        """Record how many inputs wait in the inbox."""
        self._inbox_depth.set(depth)

    def observe_intent(self, result: str, reason: str = "") -> None:
        """Count one handled intent, e.g. ``("accepted", "")`` or ``("rejected", "INSUFFICIENT_BALANCE")``."""
        key = (result, reason)
        child = self._intent_children.get(key)
        if child is None:
            child = self._intent_children[key] = self._intents.labels(result, reason)
        child.inc()

    def observe_ack_latency(self, seconds: float) -> None:
        """Record the time from an intent's receipt to its venue acknowledgement."""
        self._ack_latency.observe(seconds)

    def set_journal_seq(self, seq: int) -> None:
        """Record the sequence number of the last journaled event."""
        self._journal_seq.set(seq)

    def set_journal_free(self, free_bytes: int) -> None:
        """Record the free space of the journal's filesystem."""
        self._journal_free.set(free_bytes)

    def set_order_counts(self, counts: Mapping[str, int]) -> None:
        """Record every status's order count at once; statuses missing from ``counts`` drop to zero."""
        for status, child in self._order_children.items():
            child.set(counts.get(status, 0))
        for status, count in counts.items():
            if status not in self._order_children:
                self._order_child(status).set(count)

    def set_safe_mode(self, account: str, on: bool) -> None:
        """Record whether ``account`` is in safe mode."""
        child = self._safe_mode_children.get(account)
        if child is None:
            child = self._safe_mode_children[account] = self._safe_mode.labels(account)
        child.set(1 if on else 0)

    def set_armed(self, account: str, armed: bool) -> None:
        """Record whether ``account`` is armed."""
        child = self._armed_children.get(account)
        if child is None:
            child = self._armed_children[account] = self._armed.labels(account)
        child.set(1 if armed else 0)

    def observe_alert(self, code: str, severity: str) -> None:
        """Count one alert."""
        key = (code, severity)
        child = self._alert_children.get(key)
        if child is None:
            child = self._alert_children[key] = self._alerts.labels(code, severity)
        child.inc()

    def observe_venue_command(self, venue: str, command: str, result: str) -> None:
        """Count one command sent to a venue, e.g. ``("paper", "submit", "ok")``."""
        key = (venue, command, result)
        child = self._venue_children.get(key)
        if child is None:
            child = self._venue_children[key] = self._venue_commands.labels(venue, command, result)
        child.inc()

    def init_accounts(self, accounts: Iterable[str]) -> None:
        """Export the per-account gauges (as 0) before anything happens to the accounts."""
        for account in accounts:
            self.set_safe_mode(account, False)
            self.set_armed(account, False)

    # --- journal observer (journal.sync.JournalObserver) ---------------------------------------------------

    def observe_append(self, seconds: float) -> None:
        """Record one journal write's time."""
        self._append.observe(seconds)

    def observe_fsync(self, seconds: float) -> None:
        """Record one journal fsync's time (called from the journal's sync thread too)."""
        self._fsync.observe(seconds)

    # --- exposition --------------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)

    def _order_child(self, status: str) -> Gauge:
        child = self._order_children.get(status)
        if child is None:
            child = self._order_children[status] = self._orders.labels(status)
        return child


def metrics_handler(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for ``GET /metrics`` (text format, or OpenMetrics when the scraper asks for it)."""

    async def handle(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(metrics.registry), headers={"Content-Type": content_type})

    return handle
