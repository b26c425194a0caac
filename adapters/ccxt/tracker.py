"""``OrderTracker``: what one account's adapter has told the OMS, so each venue fact reaches it once, in order.

The same fact arrives by several roads: the REST reply to a command, the private stream, a backfill
after a reconnect, the periodic sweep. The tracker turns them into OMS venue events exactly once:

- an order's acknowledgement once, and before anything else about it;
- each fill once (by trade id), with the order's client order id even when the venue's trade report
  lacks it (learned from the order's venue id; trades of still unknown orders wait as orphans);
- a terminal status (canceled, expired) once, and only after every fill the venue counted on the order
  (ccxt's watchOrders merges updates and may show the cancel before the fills arrive);
- while a replace is in flight, stream news about both orders is held, then replayed (fills) or
  dropped (the original's cancel, which the replace itself explains).

Every event gets ``ts_recv`` from the inbox and the account's own ``venue_seq``, one higher each time (but fills
learned over REST, which carry none: a fill the OMS has booked already, say re-reported by the backfill after
a restart, is then left out of its journal without leaving a hole): the numbers count what the tracker
reported, after its dedup, so they never have holes. Gaps in the venue's user
stream (Binance spot's has no sequence number) show in what its events say instead, and are reported as
``VenueStreamGap``: an order's cumulative fill on the stream running ahead of the fills the stream delivered
for it (a dropped trade report), or a trade REST reported that the stream, up meanwhile, never delivered
within ``STREAM_SETTLE_S``.
"""

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapters.ccxt.translate import client_order_id_of, to_decimal, trade_client_order_id
from adapters.contract import Inbox
from oms_daemon.core.enums import OrderSide
from oms_daemon.core.inputs import (
    VenueCancelRejected,
    VenueEvent,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueReplaceRejected,
    VenueStreamGap,
)

__all__ = ["STREAM_SETTLE_S", "OrderTracker"]

ZERO = Decimal(0)
_DONE = frozenset({"closed", "canceled", "expired", "rejected"})
STREAM_SETTLE_S = 3.0
"""How long the user stream gets to deliver a trade REST reported first, before its silence counts as a gap."""
_MAX_UNCONFIRMED = 10_000


@dataclass(slots=True)
class _Known:
    client_order_id: str
    symbol: str | None = None
    venue_order_id: str | None = None
    acked: bool = False
    closed: bool = False
    done: bool = False
    filled: Decimal = ZERO
    venue_filled: Decimal = ZERO
    deferred: tuple[type[VenueEvent], dict[str, Any]] | None = None
    held: list[tuple[str, dict[str, Any], bool]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    placed: bool = False  # sent this session: the stream reports its whole life
    stream_filled: Decimal = ZERO  # fills the user stream delivered for it (this session)
    stream_base: Decimal | None = None  # filled before the stream first showed it (orders from before a restart)
    gap_at: Decimal = ZERO  # the cumulative fill last reported as a gap


def _may_change(known: _Known) -> bool:
    """Open, unacknowledged, or waiting for fills the venue counted (an order without a symbol is not traded)."""
    return known.symbol is not None and (
        not known.done or known.deferred is not None or known.filled < known.venue_filled
    )


class OrderTracker:
    """One account's orders and trades as reported to the OMS."""

    def __init__(self, account_id: str, inbox: Inbox, first_seq: int, max_trade_ids: int = 200_000) -> None:
        self.account_id = account_id
        self._inbox = inbox
        self._seq = first_seq
        self._emitted = 0
        self._orders: dict[str, _Known] = {}
        self._live: dict[str, _Known] = {}
        """Orders touched since they were last seen finished: every order that may still change is here."""
        self._by_venue_id: dict[str, str] = {}
        self._trade_ids: set[str] = set()
        self._trade_order: deque[str] = deque()
        self._max_trade_ids = max_trade_ids
        self.orphans: dict[str, dict[str, Any]] = {}
        self.last_trade_ms: dict[str, int] = {}
        self._stream_since_ms: int | None = None
        self._unconfirmed: dict[str, tuple[float, str, str]] = {}
        """Trades REST reported while the stream was up, not delivered by it yet: id -> (when, cid, symbol)."""

    # --- emitting ----------------------------------------------------------------------------------------

    def emit(self, kind: type[VenueEvent], numbered: bool = True, **fields: Any) -> None:
        """Put one venue event into the inbox, stamped and (``numbered``) numbered."""
        self._emitted += 1
        seq = None
        if numbered:
            self._seq = seq = self._seq + 1
        self._inbox.put(kind(ts_recv=self._inbox.now_ns(), account_id=self.account_id, venue_seq=seq, **fields))

    @property
    def seq(self) -> int:
        """The ``venue_seq`` of the last event put (a snapshot taken now reflects at least those)."""
        return self._seq

    @property
    def emitted(self) -> int:
        """How many events this tracker has put so far (a running count)."""
        return self._emitted

    # --- what we know ---------------------------------------------------------------------------------------

    def _known(self, client_order_id: str) -> _Known:
        known = self._orders.get(client_order_id)
        if known is None:
            known = self._orders[client_order_id] = _Known(client_order_id)
        self._live[client_order_id] = known  # every change goes through here: it may be active again
        return known

    def track(self, client_order_id: str, symbol: str, venue_order_id: str | None = None, placed: bool = False) -> None:
        """Remember an order we are about to send (``placed``) or one the OMS knows from before."""
        known = self._known(client_order_id)
        known.symbol = symbol
        known.placed = known.placed or placed
        if venue_order_id:
            self._map(known, venue_order_id)

    def _map(self, known: _Known, venue_order_id: str) -> None:
        known.venue_order_id = venue_order_id
        self._by_venue_id[venue_order_id] = known.client_order_id

    def venue_order_id(self, client_order_id: str) -> str | None:
        """The venue's id of an order, once seen."""
        known = self._orders.get(client_order_id)
        return known.venue_order_id if known else None

    def client_order_id(self, venue_order_id: str) -> str | None:
        """The client order id of a venue order id, once seen."""
        return self._by_venue_id.get(venue_order_id)

    def filled(self, client_order_id: str) -> Decimal:
        """Quantity of the order's fills reported so far."""
        known = self._orders.get(client_order_id)
        return known.filled if known else ZERO

    def active_symbols(self) -> set[str]:
        """Symbols with orders that may still change (open, unacknowledged, or waiting for fills)."""
        return {k.symbol for k in self._active() if k.symbol is not None}

    def active_orders(self) -> list[tuple[str, str]]:
        """(client order id, symbol) of orders that may still change."""
        return [
            (k.client_order_id, k.symbol)
            for k in self._active()
            if k.symbol is not None and (not k.done or k.deferred is not None)
        ]

    def _active(self) -> list[_Known]:
        """Orders that may still change; the others leave ``_live`` until touched again (cost O(live), not O(all))."""
        self._live = {cid: k for cid, k in self._live.items() if _may_change(k)}  # a new dict: compact again
        return list(self._live.values())

    # --- facts from the venue ------------------------------------------------------------------------------------

    def on_stream_order(self, order: dict[str, Any]) -> None:
        """An order update from the user stream."""
        self.on_order(order, stream=True)

    def on_stream_trade(self, trade: dict[str, Any]) -> None:
        """A trade from the user stream."""
        self.on_trade(trade, stream=True)

    def on_order(self, order: dict[str, Any], client_order_id: str | None = None, stream: bool = False) -> None:
        """A ccxt order (REST reply, stream, backfill): acknowledge it, then report a terminal status once."""
        cid = client_order_id or client_order_id_of(order)
        if cid is None:
            return
        known = self._known(cid)
        if known.held is not None:
            known.held.append(("order", order, stream))
            return
        self.learn(order, cid)
        if stream:
            self._check_stream(known, order)
        status = order.get("status")
        if known.closed:
            return
        venue_id = known.venue_order_id
        if status == "rejected" and not known.acked:
            known.closed = True
            self.emit(VenueOrderRejected, client_order_id=cid, reason="venue_rejected", message=str(order.get("info")))
            return
        if status in ("open", "closed", "canceled", "expired") and not known.acked:
            known.acked = True
            self.emit(VenueOrderAccepted, client_order_id=cid, venue_order_id=venue_id or "")
        if status in ("canceled", "expired"):
            known.closed = True
            kind = VenueOrderCanceled if status == "canceled" else VenueOrderExpired
            self._terminal(known, kind, {"client_order_id": cid, "venue_order_id": venue_id})

    def learn(self, order: dict[str, Any], client_order_id: str) -> None:
        """Take the order's venue id, symbol and cumulative fill without reporting anything."""
        known = self._known(client_order_id)
        if order.get("id"):
            self._map(known, str(order["id"]))
        known.symbol = known.symbol or order.get("symbol")
        known.venue_filled = max(known.venue_filled, to_decimal(order.get("filled")) or ZERO)
        if order.get("status") in _DONE:
            known.done = True

    def _check_stream(self, known: _Known, order: dict[str, Any]) -> None:
        """A stream update's cumulative fill beyond the fills the stream delivered for the order: it skipped some.

        The stream delivers an execution's trade before its order update, so the comparison is fair at once; an
        order first seen on the stream mid-life (placed before a restart) counts from where it stood then."""
        cumulative = to_decimal(order.get("filled"))
        if cumulative is None:
            return
        if known.stream_base is None:
            known.stream_base = ZERO if known.placed else max(ZERO, cumulative - known.stream_filled)
        delivered = known.stream_base + known.stream_filled
        if cumulative > delivered and cumulative > known.gap_at:
            known.gap_at = cumulative
            self.emit(
                VenueStreamGap,
                client_order_id=known.client_order_id,
                symbol=known.symbol or str(order.get("symbol")),
                venue_filled=cumulative,
                reason=f"the user stream reports {cumulative} filled and delivered fills for {delivered}",
            )

    def _owed_by_stream(self, timestamp_ms: int) -> bool:
        """Whether the user stream, up since before the trade at ``timestamp_ms``, must deliver it too."""
        since = self._stream_since_ms
        return since is not None and timestamp_ms >= since and len(self._unconfirmed) < _MAX_UNCONFIRMED

    def stream_up(self, since_ms: int) -> None:
        """The user stream is (re)connected: trades from ``since_ms`` on must come through it."""
        self._stream_since_ms = since_ms
        self._unconfirmed.clear()

    def stream_down(self) -> None:
        """The user stream is down: nothing is owed by it until it is up again."""
        self._stream_since_ms = None
        self._unconfirmed.clear()

    def overdue(self, now: float) -> None:
        """Report each trade REST reported that the stream has not delivered within ``STREAM_SETTLE_S``."""
        for trade_id, (learned, cid, symbol) in list(self._unconfirmed.items()):
            if now - learned < STREAM_SETTLE_S:
                continue
            del self._unconfirmed[trade_id]
            self.emit(
                VenueStreamGap,
                client_order_id=cid,
                symbol=symbol,
                venue_filled=self.filled(cid),
                reason=f"the user stream never delivered trade {trade_id}, which REST reported",
            )

    def reported(self, client_order_id: str, closed: bool) -> None:
        """The OMS learned the order's status another way (a query answer): no acknowledgement needed any more."""
        known = self._known(client_order_id)
        known.acked = True
        known.closed = known.closed or closed

    def _terminal(self, known: _Known, kind: type[VenueEvent], fields: dict[str, Any]) -> None:
        if known.filled < known.venue_filled:
            known.deferred = (kind, fields)
        else:
            self.emit(kind, **fields)

    def on_trade(
        self,
        trade: dict[str, Any],
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
        stream: bool = False,
    ) -> None:
        """A ccxt trade: one fill per trade id; one of an order not known yet waits in ``orphans``."""
        trade_id = str(trade["id"])
        seen = trade_id in self._trade_ids
        if seen and not stream:
            return
        venue_id = str(trade.get("order") or venue_order_id or "") or None
        cid = client_order_id or trade_client_order_id(trade) or (self._by_venue_id.get(venue_id) if venue_id else None)
        if seen:  # REST reported it first: the stream delivered it too
            self._unconfirmed.pop(trade_id, None)
            known = self._orders.get(cid) if cid is not None else None
            if known is not None:
                known.stream_filled += to_decimal(trade.get("amount")) or ZERO
            return
        if cid is None:
            self.orphans[trade_id] = trade
            return
        self.orphans.pop(trade_id, None)
        known = self._known(cid)
        if known.held is not None:
            known.held.append(("trade", trade, stream))
            return
        self._remember(trade_id)
        if venue_id and known.venue_order_id is None:
            self._map(known, venue_id)
        quantity = to_decimal(trade.get("amount")) or ZERO
        fee = trade.get("fee") or {}
        symbol = str(trade["symbol"])
        timestamp = int(trade.get("timestamp") or 0)
        self.emit(
            VenueFill,
            numbered=stream,
            client_order_id=cid,
            trade_id=trade_id,
            symbol=symbol,
            side=OrderSide(str(trade["side"]).upper()),
            price=to_decimal(trade.get("price")) or ZERO,
            quantity=quantity,
            commission=to_decimal(fee.get("cost")) or ZERO,
            commission_currency=fee.get("currency"),
            venue_order_id=venue_id or known.venue_order_id,
            ts_event=timestamp * 1_000_000,
        )
        known.symbol = known.symbol or symbol
        known.filled += quantity
        known.venue_filled = max(known.venue_filled, known.filled)
        self.last_trade_ms[symbol] = max(self.last_trade_ms.get(symbol, 0), timestamp)
        if stream:
            known.stream_filled += quantity
        elif known.filled > known.gap_at and self._owed_by_stream(timestamp):  # not in a gap reported already
            self._unconfirmed[trade_id] = (time.monotonic(), cid, symbol)
        if known.deferred is not None and known.filled >= known.venue_filled:
            kind, fields = known.deferred
            known.deferred = None
            self.emit(kind, **fields)

    def _remember(self, trade_id: str) -> None:
        self._trade_ids.add(trade_id)
        self._trade_order.append(trade_id)
        if len(self._trade_order) > self._max_trade_ids:
            self._trade_ids.discard(self._trade_order.popleft())

    # --- refusals of our commands ------------------------------------------------------------------------------

    def rejected(self, client_order_id: str, reason: str, message: str) -> None:
        """The venue refused a new order."""
        known = self._known(client_order_id)
        known.closed = known.done = True
        self.emit(VenueOrderRejected, client_order_id=client_order_id, reason=reason, message=message)

    def cancel_refused(self, client_order_id: str, reason: str) -> None:
        """The venue refused a cancel."""
        self.emit(VenueCancelRejected, client_order_id=client_order_id, reason=reason)

    def canceled(self, client_order_id: str, order: dict[str, Any]) -> None:
        """The venue confirmed a cancel (REST reply): report it once, after the order's fills."""
        known = self._known(client_order_id)
        if known.held is not None or known.closed:
            return
        self.learn({k: v for k, v in order.items() if k != "status"} | {"status": "canceled"}, client_order_id)
        if not known.acked:
            known.acked = True
            self.emit(VenueOrderAccepted, client_order_id=client_order_id, venue_order_id=known.venue_order_id or "")
        known.closed = True
        self._terminal(
            known, VenueOrderCanceled, {"client_order_id": client_order_id, "venue_order_id": known.venue_order_id}
        )

    # --- replaces --------------------------------------------------------------------------------------------------

    def hold(self, *client_order_ids: str) -> None:
        """Hold stream news about these orders while a replace is in flight."""
        for cid in client_order_ids:
            self._known(cid).held = []

    def release(self, client_order_id: str, drop_status: bool) -> None:
        """Replay what was held (fills always; order statuses unless ``drop_status``)."""
        known = self._known(client_order_id)
        held, known.held = known.held or [], None
        for kind, item, stream in held:
            if kind == "trade":
                self.on_trade(item, client_order_id, stream=stream)
            elif not drop_status:
                self.on_order(item, client_order_id, stream=stream)

    def replaced(self, original: str, replacement: str, venue_order_id: str | None) -> None:
        """The venue applied a replace: report it, close the original, acknowledge the replacement."""
        old, new = self._known(original), self._known(replacement)
        old.closed = old.done = True
        new.acked = True
        if venue_order_id:
            self._map(new, venue_order_id)
        self.emit(
            VenueOrderReplaced,
            client_order_id=replacement,
            orig_client_order_id=original,
            venue_order_id=venue_order_id,
        )
        self.release(original, drop_status=True)
        self.release(replacement, drop_status=False)

    def replace_refused(self, original: str, replacement: str, reason: str) -> None:
        """The venue refused a replace: report it, then what was held about both orders."""
        new = self._known(replacement)
        new.closed = new.done = True
        self.emit(VenueReplaceRejected, client_order_id=replacement, orig_client_order_id=original, reason=reason)
        self.release(original, drop_status=False)
        self.release(replacement, drop_status=True)
