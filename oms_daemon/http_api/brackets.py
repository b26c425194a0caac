"""Stop-loss / take-profit protection for filled paper entries (``POST /paper/order``).

When a market entry fills, its filled quantity is protected by ordinary OMS orders, placed through the
writer like any intent (so they are journaled, risk-checked, visible and cancelable):

- stop loss only: a reduce-only STOP order at ``stop_loss``;
- take profit only: a reduce-only LIMIT order at ``take_profit``;
- both: the reduce-only STOP rests at the venue (it protects the position even while omsd is down),
  and the take profit is watched here: when the quote reaches it (bid for a long, ask for a short),
  the stop is canceled and, once canceled, a reduce-only MARKET order closes what the stop still
  covered (take-profit-market semantics). The core counts every working reduce-only order against
  the position, so a second resting reduce-only leg for the same quantity would be refused.

The link lives in the legs' idempotency keys (``bracket:<entry id>:sl[:tp=<price>]``,
``bracket:<entry id>:tp``), so ``recover`` rebuilds every bracket, and re-arms every take-profit
watch, from the journaled state after a restart. Known gap: a take profit that fired (stop canceled)
but whose closing order was not yet placed when omsd stopped is not re-fired.
"""

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.events import Event, OrderUpdated, QuoteUpdated
from oms_daemon.core.inputs import SubmitOrder
from oms_daemon.core.model import Order, Quote
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import TERMINAL
from oms_daemon.http_api.commands import Writer
from oms_daemon.http_api.errors import ApiError
from oms_daemon.http_api.feed import EventFeed

__all__ = ["LEG_PREFIX", "Bracket", "Brackets"]

log = logging.getLogger(__name__)

LEG_PREFIX = "bracket:"
"""Idempotency keys starting with this mark protective legs (refused on user orders)."""

_LEG = re.compile(r"^bracket:(\d+):(sl|tp)(?::tp=([0-9.]+))?$")


@dataclass
class Bracket:
    """An entry's protection: its levels and the ids of the orders carrying them."""

    entry_id: int
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss_order_id: int | None = None
    take_profit_order_id: int | None = None
    armed: bool = False
    """True while the take profit is watched here (both levels given, stop working)."""


class Brackets:
    """Places and watches protective legs; call ``on_events`` from the feed (loop thread)."""

    def __init__(self, state: Callable[[], OmsState], writer: Writer, feed: EventFeed) -> None:
        self._state = state
        self._writer = writer
        self._feed = feed
        self._by_entry: dict[int, Bracket] = {}
        self._armed: dict[str, list[Bracket]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Cancel take profits still being placed (on shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def of(self, entry_id: int) -> Bracket | None:
        """The bracket protecting ``entry_id``, if any."""
        return self._by_entry.get(entry_id)

    def recover(self) -> None:
        """Rebuild brackets (and take-profit watches) from the legs' idempotency keys in state."""
        state = self._state()
        for order in state.orders.values():
            match = _LEG.match(order.idempotency_key or "")
            if match is None or int(match.group(1)) not in state.orders:
                continue
            bracket = self._by_entry.setdefault(int(match.group(1)), Bracket(entry_id=int(match.group(1))))
            if match.group(2) == "sl":
                bracket.stop_loss, bracket.stop_loss_order_id = order.stop_price, order.order_id
                bracket.take_profit = Decimal(match.group(3)) if match.group(3) else bracket.take_profit
            else:
                bracket.take_profit, bracket.take_profit_order_id = order.price, order.order_id
        for bracket in self._by_entry.values():
            stop = state.orders.get(bracket.stop_loss_order_id or 0)
            if bracket.take_profit_order_id is None and bracket.take_profit and stop and stop.status not in TERMINAL:
                self._arm(stop.symbol, bracket)

    async def protect(self, entry: Order, stop_loss: Decimal | None, take_profit: Decimal | None) -> Bracket:
        """Place the legs protecting ``entry``'s filled quantity (see the module docstring)."""
        bracket = Bracket(entry_id=entry.order_id, stop_loss=stop_loss, take_profit=take_profit)
        self._by_entry[entry.order_id] = bracket
        if stop_loss is not None:
            key = f"{LEG_PREFIX}{entry.order_id}:sl" + (f":tp={take_profit:f}" if take_profit is not None else "")
            bracket.stop_loss_order_id = await self._leg(entry, OrderType.STOP, key, entry.filled_qty, stop=stop_loss)
            if take_profit is not None and bracket.stop_loss_order_id is not None:
                self._arm(entry.symbol, bracket)
        elif take_profit is not None:
            key = f"{LEG_PREFIX}{entry.order_id}:tp"
            bracket.take_profit_order_id = await self._leg(
                entry, OrderType.LIMIT, key, entry.filled_qty, price=take_profit
            )
        return bracket

    async def _leg(
        self,
        entry: Order,
        order_type: OrderType,
        key: str,
        quantity: Decimal,
        *,
        price: Decimal | None = None,
        stop: Decimal | None = None,
    ) -> int | None:
        side = OrderSide.SELL if entry.side == OrderSide.BUY else OrderSide.BUY
        intent = self._writer.stamp(
            SubmitOrder,
            account_id=entry.account_id,
            strategy_id=entry.strategy_id,
            symbol=entry.symbol,
            side=side,
            quantity=quantity,
            order_type=order_type,
            price=price,
            stop_price=stop,
            reduce_only=True,
            idempotency_key=key,
            position_id=entry.position_id,
        )
        reply = await self._writer.submit(intent)
        if not reply.ok:
            log.warning("bracket leg %s of order %s refused: %s %s", key, entry.order_id, reply.reason, reply.message)
        return reply.order_id if reply.ok else None

    def _arm(self, symbol: str, bracket: Bracket) -> None:
        bracket.armed = True
        self._armed.setdefault(symbol, []).append(bracket)

    def on_events(self, events: list[Event]) -> None:
        """Fire take profits whose level the quote reached; forget those whose stop finished."""
        if not self._armed:
            return
        for event in events:
            if isinstance(event, QuoteUpdated) and event.quote.symbol in self._armed:
                self._check(event.quote)
            elif isinstance(event, OrderUpdated) and event.order.status in TERMINAL:
                for bracket in self._armed.get(event.order.symbol, ()):
                    if bracket.stop_loss_order_id == event.order.order_id:
                        bracket.armed = False
                self._prune(event.order.symbol)

    def _check(self, quote: Quote) -> None:
        state = self._state()
        for bracket in self._armed[quote.symbol]:
            stop = state.orders.get(bracket.stop_loss_order_id or 0)
            if stop is None or not bracket.armed or bracket.take_profit is None:
                continue
            long = stop.side == OrderSide.SELL
            touch = quote.bid if long else quote.ask
            if touch is not None and (touch >= bracket.take_profit if long else touch <= bracket.take_profit):
                bracket.armed = False
                task = asyncio.ensure_future(self._take_profit(bracket, stop))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        self._prune(quote.symbol)

    def _prune(self, symbol: str) -> None:
        left = [b for b in self._armed.get(symbol, ()) if b.armed]
        if left:
            self._armed[symbol] = left
        else:
            self._armed.pop(symbol, None)

    async def _take_profit(self, bracket: Bracket, stop: Order) -> None:
        try:
            reply = await self._writer.cancel(stop)
            if not reply.ok:
                return  # the stop already finished (filled): nothing left to take profit on
            done = await self._feed.wait_order(stop.order_id, lambda o: o.status in TERMINAL, timeout=10.0)
            if done is None or done.status != OrderStatus.CANCELED or done.filled_qty >= done.quantity:
                return
            entry = self._state().orders[bracket.entry_id]
            key = f"{LEG_PREFIX}{bracket.entry_id}:tp"
            bracket.take_profit_order_id = await self._leg(
                entry, OrderType.MARKET, key, done.quantity - done.filled_qty
            )
        except ApiError as error:
            log.warning("take profit of order %s not placed: %s", bracket.entry_id, error)
        except Exception:
            log.exception("take profit of order %s failed", bracket.entry_id)
