"""Venue stream health: sequence gaps, and staleness of market data and user streams.

Every venue event may carry the adapter's per-account ``venue_seq``. A jump past the next expected
number means events were lost: every symbol of the account is marked dirty (risk-increasing orders
refused) and a snapshot is requested; duplicates and late arrivals are absorbed (handlers are
idempotent and fills are deduplicated by trade id). ``Core.step`` records the highest number seen
and when each account's user stream last spoke, after ``decide`` has looked at the previous ones.

Venues whose user stream carries no sequence number (Binance spot) show a gap only in what the events say:
an order's cumulative fill running ahead of the fills the stream delivered, or a trade REST found that the
stream never delivered. The adapter reports it (``VenueStreamGap``): the same ``sequence_gap`` alert, and
while fills are missing the symbol is dirty and the order looked up (which backfills them); the flag clears
when they are booked, or with a clean reconciliation.

On each timer tick, a market-data stream (per symbol) or a user stream (per account) older than the
configured limit becomes stale: an alert, and new risk on what it covers is refused (``feed_stale``)
until fresh data arrives.
"""

from decimal import Decimal

from oms_daemon.core.enums import AlertSeverity
from oms_daemon.core.events import (
    AlertRaised,
    Event,
    FeedStatusChanged,
    FillGapOpened,
    PositionsMarkedDirty,
    QueryAtVenue,
    SnapshotRequested,
)
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    ReconciliationSnapshot,
    TimerTick,
    VenueEvent,
    VenueStreamGap,
)
from oms_daemon.core.model import Order
from oms_daemon.core.state import OmsState

__all__ = [
    "GAP",
    "account_symbols",
    "feed_refusal_reason",
    "fill_gap_closed",
    "fresh_quote",
    "observe_venue_event",
    "on_stream_gap",
    "sequence_gap",
    "stale_feeds",
    "user_stream_alive",
]

_SNAPSHOTS = (OpenOrdersSnapshot, PositionsSnapshot, BalancesSnapshot, ReconciliationSnapshot)
_MS = 1_000_000
GAP = "stream gap: "
"""Dirty reason prefix of fills the user stream skipped (cleared once they are booked)."""


def account_symbols(state: OmsState, account_id: str) -> list[str]:
    """The symbols an account trades or holds."""
    config = state.account_configs.get(account_id)
    configured = set(config.symbols) if config and config.symbols else set(state.instruments)
    held = {symbol for (acct, symbol), ids in state.open_positions.items() if acct == account_id and ids}
    return sorted(configured | held)


def sequence_gap(state: OmsState, inp: VenueEvent) -> list[Event]:
    """Events for a gap in the account's venue sequence (none when in order, repeated or late)."""
    if inp.venue_seq is None or isinstance(inp, _SNAPSHOTS):
        return []
    last = state.stream_seq.get(inp.account_id)
    if last is None or inp.venue_seq <= last + 1:
        return []
    missing = inp.venue_seq - last - 1
    reason = f"venue sequence gap: {missing} event(s) missing after {last}"
    events: list[Event] = [
        AlertRaised(code="sequence_gap", severity=AlertSeverity.WARNING, message=reason, account_id=inp.account_id),
        SnapshotRequested(account_id=inp.account_id, reason=reason),
    ]
    events.extend(
        PositionsMarkedDirty(account_id=inp.account_id, symbol=symbol, dirty=True, reason=reason)
        for symbol in account_symbols(state, inp.account_id)
    )
    return events


def on_stream_gap(state: OmsState, inp: VenueStreamGap) -> list[Event]:
    """The venue's user stream skipped an event: alert; while fills are missing, distrust and look the order up."""
    oid = state.order_by_client_id.get(inp.client_order_id)
    order = state.orders.get(oid) if oid is not None else None
    booked = order.filled_qty if order is not None else Decimal(0)
    where = {"account_id": inp.account_id, "symbol": inp.symbol, "order_id": oid}
    if booked >= inp.venue_filled:
        message = f"user stream gap on {inp.client_order_id} ({inp.reason}); its fills are booked already"
        return [AlertRaised(code="sequence_gap", severity=AlertSeverity.WARNING, message=message, **where)]
    reason = f"{GAP}{inp.client_order_id} filled {inp.venue_filled} at the venue, {booked} booked ({inp.reason})"
    events: list[Event] = [
        AlertRaised(code="sequence_gap", severity=AlertSeverity.WARNING, message=reason, **where),
        PositionsMarkedDirty(account_id=inp.account_id, symbol=inp.symbol, dirty=True, reason=reason),
    ]
    if order is None:  # an order omsd does not know: only a reconciliation can place its fills
        events.append(SnapshotRequested(account_id=inp.account_id, reason=reason))
        return events
    events.append(
        FillGapOpened(
            account_id=order.account_id, symbol=order.symbol, order_id=order.order_id, venue_filled=inp.venue_filled
        )
    )
    events.append(QueryAtVenue(account_id=order.account_id, client_order_id=order.client_order_id, symbol=order.symbol))
    return events


def fill_gap_closed(state: OmsState, order: Order, filled: Decimal) -> list[Event]:
    """``order`` now has ``filled`` booked: if that closes the last fill gap of its symbol, the position is trusted
    again (unless something else made it dirty since)."""
    gap = state.fill_gaps.get(order.order_id)
    if gap is None or filled < gap:
        return []
    key = (order.account_id, order.symbol)
    if not state.dirty.get(key, "").startswith(GAP):
        return []
    orders = state.orders
    others = [
        oid for oid in state.fill_gaps if oid != order.order_id and (orders[oid].account_id, orders[oid].symbol) == key
    ]
    if others:
        return []
    return [
        PositionsMarkedDirty(
            account_id=order.account_id, symbol=order.symbol, dirty=False, reason="stream gap filled in"
        )
    ]


def observe_venue_event(state: OmsState, inp: VenueEvent) -> None:
    """Remember the account's highest venue sequence number and when its stream last spoke."""
    account = inp.account_id
    state.stream_seen[account] = inp.ts_recv
    if inp.venue_seq is not None and inp.venue_seq > state.stream_seq.get(account, 0):
        state.stream_seq[account] = inp.venue_seq


def stale_feeds(state: OmsState, tick: TimerTick) -> list[Event]:
    """Streams that went stale or came back since the last tick."""
    feeds = state.config.feeds if state.config else None
    if feeds is None:
        return []
    now = tick.ts_recv
    events: list[Event] = []
    if feeds.market_data_max_age_ms is not None:
        limit = feeds.market_data_max_age_ms * _MS
        traded = {s for account in state.account_configs for s in account_symbols(state, account)}
        for symbol in sorted(traded):
            quote = state.quotes.get(symbol)
            last = quote.ts_recv if quote else state.session_start
            events.extend(_status(state, f"market:{symbol}", now - last > limit, now - last, None))
    if feeds.user_stream_max_silence_ms is not None:
        limit = feeds.user_stream_max_silence_ms * _MS
        for account in sorted(state.account_configs):
            last = max(state.stream_seen.get(account, 0), state.session_start)
            events.extend(_status(state, f"user:{account}", now - last > limit, now - last, account))
    return events


def user_stream_alive(state: OmsState, account_id: str) -> list[Event]:
    """The account's user stream spoke: it is fresh again."""
    return _status(state, f"user:{account_id}", False, 0, account_id)


def fresh_quote(state: OmsState, symbol: str) -> list[Event]:
    """A quote arrived: its market-data stream is fresh again."""
    return _status(state, f"market:{symbol}", False, 0, None)


def _status(state: OmsState, stream: str, stale: bool, age_ns: int, account_id: str | None) -> list[Event]:
    if stale == (stream in state.stale_feeds):
        return []
    reason = f"no data for {age_ns // _MS} ms" if stale else "data flowing again"
    return [
        FeedStatusChanged(stream=stream, stale=stale, reason=reason),
        AlertRaised(
            code="feed_stale" if stale else "feed_recovered",
            severity=AlertSeverity.WARNING if stale else AlertSeverity.INFO,
            message=f"{stream}: {reason}",
            account_id=account_id,
        ),
    ]


def feed_refusal_reason(state: OmsState, account_id: str, symbol: str) -> str | None:
    """Why new risk on (account, symbol) is gated by a stale stream, or None."""
    if not state.stale_feeds:
        return None
    for stream in (f"market:{symbol}", f"user:{account_id}"):
        reason = state.stale_feeds.get(stream)
        if reason is not None:
            return f"{stream} is stale ({reason})"
    return None
