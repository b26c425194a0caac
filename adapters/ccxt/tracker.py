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

Every event gets ``ts_recv`` from the inbox and the account's own ``venue_seq``, one higher each time.
"""

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
)

__all__ = ["OrderTracker"]

ZERO = Decimal(0)
_DONE = frozenset({"closed", "canceled", "expired", "rejected"})


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
    held: list[tuple[str, dict[str, Any]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
        self._seq = self._first_seq = first_seq
        self._orders: dict[str, _Known] = {}
        self._live: dict[str, _Known] = {}
        """Orders touched since they were last seen finished: every order that may still change is here."""
        self._by_venue_id: dict[str, str] = {}
        self._trade_ids: set[str] = set()
        self._trade_order: deque[str] = deque()
        self._max_trade_ids = max_trade_ids
        self.orphans: dict[str, dict[str, Any]] = {}
        self.last_trade_ms: dict[str, int] = {}

    # --- emitting ----------------------------------------------------------------------------------------

    def emit(self, kind: type[VenueEvent], **fields: Any) -> None:
        """Put one venue event into the inbox, stamped and numbered."""
        self._seq += 1
        self._inbox.put(kind(ts_recv=self._inbox.now_ns(), account_id=self.account_id, venue_seq=self._seq, **fields))

    @property
    def seq(self) -> int:
        """The ``venue_seq`` of the last event put (a snapshot taken now reflects at least those)."""
        return self._seq

    @property
    def emitted(self) -> int:
        """How many events this tracker has put so far (a running count)."""
        return self._seq - self._first_seq

    # --- what we know ---------------------------------------------------------------------------------------

    def _known(self, client_order_id: str) -> _Known:
        known = self._orders.get(client_order_id)
        if known is None:
            known = self._orders[client_order_id] = _Known(client_order_id)
        self._live[client_order_id] = known  # every change goes through here: it may be active again
        return known

    def track(self, client_order_id: str, symbol: str, venue_order_id: str | None = None) -> None:
        """Remember an order we are about to send (or one the OMS knows from before)."""
        known = self._known(client_order_id)
        known.symbol = symbol
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

    def on_order(self, order: dict[str, Any], client_order_id: str | None = None) -> None:
        """A ccxt order (REST reply, stream, backfill): acknowledge it, then report a terminal status once."""
        cid = client_order_id or client_order_id_of(order)
        if cid is None:
            return
        known = self._known(cid)
        if known.held is not None:
            known.held.append(("order", order))
            return
        self.learn(order, cid)
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
        self, trade: dict[str, Any], client_order_id: str | None = None, venue_order_id: str | None = None
    ) -> None:
        """A ccxt trade: one fill per trade id; one of an order not known yet waits in ``orphans``."""
        trade_id = str(trade["id"])
        if trade_id in self._trade_ids:
            return
        venue_id = str(trade.get("order") or venue_order_id or "") or None
        cid = client_order_id or trade_client_order_id(trade) or (self._by_venue_id.get(venue_id) if venue_id else None)
        if cid is None:
            self.orphans[trade_id] = trade
            return
        self.orphans.pop(trade_id, None)
        known = self._known(cid)
        if known.held is not None:
            known.held.append(("trade", trade))
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
        for kind, item in held:
            if kind == "trade":
                self.on_trade(item, client_order_id)
            elif not drop_status:
                self.on_order(item, client_order_id)

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
