"""``AccountSession``: one account at one ccxt exchange: its clients, markets, commands, streams and sweeps.

Commands (submit, cancel, modify, query) make one REST call each and report through the tracker; a
refusal becomes a rejection event, everything else is raised as the resiliency layer's errors for it to
handle. Background work (the streams, backfills after reconnects, the periodic sweep for events a
stream dropped) goes through the account's ``Guard``, so a rate limit pauses it too.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from adapters.ccxt import snapshots
from adapters.ccxt.config import CcxtVenueConfig, Credentials
from adapters.ccxt.errors import Refusal, is_duplicate_client_id, rest_call
from adapters.ccxt.exchange import build_rest, build_stream, has_streams
from adapters.ccxt.stream_process import StreamProcess, StreamSetup
from adapters.ccxt.streams import HEARTBEAT_S, StreamSupervisor, watch_calls
from adapters.ccxt.tracker import OrderTracker
from adapters.ccxt.translate import (
    instrument_from_market,
    order_args,
    order_status,
    to_decimal,
)
from adapters.contract import Inbox
from adapters.resilience import Guard, OutcomeUnknown, ResiliencePolicy, VenueUnavailable
from oms_daemon.core.config import Instrument
from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    MarketQuote,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    StreamHeartbeat,
    VenueFill,
    VenueOrderStatus,
)
from oms_daemon.core.model import Order

__all__ = ["AccountSession"]

log = logging.getLogger("omsd.ccxt")
T = TypeVar("T")
ZERO = Decimal(0)
_TERMINAL = (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED)


class AccountSession:
    """Everything about one ccxt account; ``open`` starts it, ``close`` stops it."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        credentials: Credentials,
        policy: ResiliencePolicy,
        configured: Mapping[str, Instrument] | None = None,
    ) -> None:
        self.config = config
        self.policy = policy
        self._credentials = credentials
        self._configured = dict(configured or {})
        self.rest: Any = None
        self.stream: Any = None
        self.guard = Guard(policy)
        self.instruments: dict[str, Instrument] = {}
        self.mismatches: list[str] = []
        self.tracker: OrderTracker | None = None
        self.supervisor: StreamSupervisor | StreamProcess | None = None
        self._markets = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started_ms = int(time.time() * 1000)
        self._sweeping = asyncio.Lock()
        self._in_doubt: dict[str, float] = {}
        self._balances = snapshots.BalanceBook()
        self._ledger = snapshots.TradeLedger()

    # --- life cycle --------------------------------------------------------------------------------------------

    async def open(self, inbox: Inbox) -> None:
        """Start: load the markets (retried in the background if the venue is down), then streams and sweeps."""
        self.rest = build_rest(self.config, self._credentials)
        self.stream = None if self.config.stream_process else build_stream(self.config, self._credentials)
        self._markets.clear()
        self.tracker = OrderTracker(self.config.account_id, inbox, first_seq=time.time_ns() // 1000)
        self._tasks.append(asyncio.create_task(self._load_markets(), name=f"ccxt-markets-{self.config.account_id}"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._markets.wait(), self.config.timeout_ms / 1000)
        self.supervisor = self._supervisor(inbox)
        if self.supervisor is not None:
            self._tasks.append(
                asyncio.create_task(self.supervisor.run(), name=f"ccxt-streams-{self.config.account_id}")
            )
        if self.config.poll_interval_s > 0:
            self._tasks.append(asyncio.create_task(self._sweep_loop(), name=f"ccxt-sweep-{self.config.account_id}"))
        if self.supervisor is not None and self.config.stream_private:
            self._tasks.append(asyncio.create_task(self._heartbeats(inbox), name=f"ccxt-beat-{self.config.account_id}"))

    async def close(self) -> None:
        """Stop every task and close both clients (their sessions and sockets)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        clients, self.rest, self.stream = (self.stream, self.rest), None, None
        for client in clients:
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()

    async def _load_markets(self) -> None:
        attempt = 0
        while True:
            try:
                await self.guard.call(lambda: rest_call(self.rest.load_markets))
                break
            except Exception as error:
                delay = min(self.policy.reconnect_max_s, self.policy.reconnect_initial_s * 2**attempt)
                attempt += 1
                log.warning("loading %s markets failed (%s); retrying in %.1fs", self.config.exchange, error, delay)
                await asyncio.sleep(delay)
        if self.stream is not None:
            self.stream.set_markets(self.rest.markets, self.rest.currencies)
        mode = int(self.rest.precisionMode)
        for symbol in self.symbols():
            market = self.rest.markets.get(symbol)
            if market is None:
                self.mismatches.append(f"{symbol}: no such market at {self.config.exchange}")
                continue
            self.instruments[symbol] = venue = instrument_from_market(market, mode)
            ours = self._configured.get(symbol)
            if ours is not None:
                self.mismatches.extend(_differences(ours, venue))
        for problem in self.mismatches:
            log.warning("%s instrument rules differ from the venue's: %s", self.config.account_id, problem)
        self._markets.set()

    async def ready(self) -> None:
        """Wait for the markets (commands need them); ``VenueUnavailable`` if they are not loaded in time."""
        if self._markets.is_set():
            return
        try:
            await asyncio.wait_for(self._markets.wait(), self.config.timeout_ms / 1000)
        except TimeoutError:
            raise VenueUnavailable(f"{self.config.exchange} markets are not loaded") from None

    def symbols(self) -> list[str]:
        """The unified symbols this account trades."""
        return list(self.config.symbols)

    def _tracker(self) -> OrderTracker:
        if self.tracker is None:
            raise VenueUnavailable(f"{self.config.account_id} is not connected")
        return self.tracker

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self.guard.call(lambda: rest_call(call))

    # --- commands -------------------------------------------------------------------------------------------

    async def submit(self, order: Order) -> None:
        """Place an order under its client order id; the reply's acknowledgement and fills are reported."""
        await self.ready()
        tracker = self._tracker()
        tracker.track(order.client_order_id, order.symbol, placed=True)
        try:
            symbol, kind, side, amount, price, params = order_args(order)
            result = await rest_call(lambda: self.rest.create_order(symbol, kind, side, amount, price, params))
        except OutcomeUnknown:
            self._in_doubt[order.client_order_id] = time.monotonic()
            raise
        except Refusal as refusal:
            if is_duplicate_client_id(refusal.__cause__ or refusal):
                await self.query(order.client_order_id, order.symbol)  # it is there already: say what it is
                return
            tracker.rejected(order.client_order_id, refusal.reason, refusal.message)
            return
        self._report(result, order.client_order_id)

    def _report(self, result: dict[str, Any], client_order_id: str) -> None:
        """A REST reply about one order: acknowledgement, then its trades, then (held back until fills) its end."""
        tracker = self._tracker()
        tracker.on_order(dict(result, status="open"), client_order_id)
        venue_id = str(result.get("id") or "") or None
        for trade in result.get("trades") or []:
            defaults = {
                "side": result.get("side"),
                "symbol": result.get("symbol"),
                "timestamp": result.get("timestamp"),
            }
            tracker.on_trade(defaults | {k: v for k, v in trade.items() if v is not None}, client_order_id, venue_id)
        if result.get("status") != "open":
            tracker.on_order(result, client_order_id)

    async def cancel(self, order: Order) -> None:
        """Cancel by venue id when known, else by client order id."""
        await self.ready()
        tracker = self._tracker()
        cid = order.client_order_id
        venue_id = order.venue_order_id or tracker.venue_order_id(cid)
        tracker.track(cid, order.symbol, venue_id)
        params = {} if venue_id else {"clientOrderId": cid}
        try:
            result = await rest_call(lambda: self.rest.cancel_order(venue_id, order.symbol, params))
        except Refusal as refusal:
            tracker.cancel_refused(cid, refusal.reason)
            return
        tracker.canceled(cid, result)

    async def modify(self, order: Order, replacement: Order) -> None:
        """Replace ``order`` at the venue by ``replacement`` (its remaining quantity, new price, new client id)."""
        await self.ready()
        tracker = self._tracker()
        original, new = order.client_order_id, replacement.client_order_id
        venue_id = order.venue_order_id or tracker.venue_order_id(original)
        tracker.track(original, order.symbol, venue_id)
        tracker.track(new, replacement.symbol, placed=True)
        tracker.hold(original, new)
        try:
            if venue_id is None:
                venue_id = str((await rest_call(lambda: self._fetch(original, order.symbol)))["id"])
            remaining = replacement.quantity - order.filled_qty
            symbol, kind, side, amount, price, params = order_args(replacement, remaining)
            result = await rest_call(lambda: self.rest.edit_order(venue_id, symbol, kind, side, amount, price, params))
        except Refusal as refusal:
            tracker.replace_refused(original, new, refusal.reason)
            await self._settle_original(original, order.symbol)
            return
        except OutcomeUnknown:
            if await self._resolve_replace(original, new, replacement.symbol):
                return
            tracker.release(original, drop_status=False)
            tracker.release(new, drop_status=False)
            raise
        except BaseException:
            tracker.release(original, drop_status=False)
            tracker.release(new, drop_status=False)
            raise
        tracker.replaced(original, new, str(result.get("id") or "") or None)

    async def _resolve_replace(self, original: str, replacement: str, symbol: str) -> bool:
        """After a replace without an answer: look the replacement up; True when that settled it."""
        try:
            found = await rest_call(lambda: self._fetch(replacement, symbol))
        except Refusal:
            self._tracker().replace_refused(original, replacement, "replace_not_applied")
            await self._settle_original(original, symbol)
            return True
        except (VenueUnavailable, OutcomeUnknown):
            return False
        self._tracker().replaced(original, replacement, str(found.get("id") or "") or None)
        return True

    async def _settle_original(self, client_order_id: str, symbol: str) -> None:
        """After a refused replace the original may be gone (cancel done, new order refused): report what it is."""
        with contextlib.suppress(Refusal, VenueUnavailable, OutcomeUnknown):
            order = await rest_call(lambda: self._fetch(client_order_id, symbol))
            self._tracker().on_order(order, client_order_id)

    def _fetch(self, client_order_id: str, symbol: str) -> Awaitable[dict[str, Any]]:
        return self.rest.fetch_order(None, symbol, {"clientOrderId": client_order_id})

    async def query(self, client_order_id: str, symbol: str) -> None:
        """Look an order up by client order id: its missing fills first, then ``VenueOrderStatus``."""
        await self.ready()
        tracker = self._tracker()
        try:
            order = await self._found(client_order_id, symbol)
        except Refusal:
            tracker.emit(VenueOrderStatus, client_order_id=client_order_id, status=None)
            return
        tracker.learn(order, client_order_id)
        filled = to_decimal(order.get("filled")) or ZERO
        if filled > tracker.filled(client_order_id):
            await self._order_trades(order, client_order_id, symbol)
        status = order_status(order)
        tracker.reported(client_order_id, closed=status in _TERMINAL and status != OrderStatus.FILLED)
        tracker.emit(
            VenueOrderStatus,
            client_order_id=client_order_id,
            status=status,
            venue_order_id=str(order["id"]),
            filled_qty=filled,
        )

    async def _found(self, client_order_id: str, symbol: str) -> dict[str, Any]:
        """The order by client order id. "Not found" for an order whose submit went unanswered is only final once
        the venue can no longer act on that request (its receive window); until then it is asked again."""
        try:
            return await rest_call(lambda: self._fetch(client_order_id, symbol))
        except Refusal:
            sent = self._in_doubt.get(client_order_id)
            if sent is None:
                raise
        left = sent + self._settle_s() - time.monotonic()
        if left > 0:
            log.info(
                "%s not found yet; asking again in %.1fs, once the venue can no longer take it", client_order_id, left
            )
            await asyncio.sleep(left)
        self._in_doubt.pop(client_order_id, None)
        return await rest_call(lambda: self._fetch(client_order_id, symbol))

    def _settle_s(self) -> float:
        """How long after sending a request the venue may still act on it (Binance: its ``recvWindow``)."""
        window_ms = (self.rest.options or {}).get("recvWindow") if self.rest is not None else None
        return (float(window_ms) / 1000 if window_ms else self.config.timeout_ms / 1000) + 1.0

    async def _order_trades(self, order: dict[str, Any], client_order_id: str, symbol: str) -> None:
        trades = await rest_call(lambda: self.rest.fetch_my_trades(symbol, None, None, {"orderId": order["id"]}))
        for trade in trades:
            if str(trade.get("order")) == str(order["id"]):
                self._tracker().on_trade(trade, client_order_id, str(order["id"]))

    # --- snapshots -------------------------------------------------------------------------------------------

    async def open_orders(self) -> OpenOrdersSnapshot:
        """Every open order of the account's symbols."""
        await self.ready()
        seq = self._tracker().seq
        return await snapshots.open_orders(self.rest, self.config.account_id, self.symbols(), seq)

    async def positions(self) -> PositionsSnapshot:
        """Net position per symbol from the venue's trade history (spot venues keep no positions)."""
        await self.ready()
        seq = self._tracker().seq
        return await self._ledger.positions(self.rest, self.config.account_id, self.symbols(), seq)

    async def balances(self) -> BalancesSnapshot:
        """Every non-zero balance (also the base stream updates are laid over)."""
        await self.ready()
        seq = self._tracker().seq
        balance = await rest_call(lambda: self.rest.fetch_balance())
        rows = self._balances.rebase(balance)
        return BalancesSnapshot(ts_recv=time.time_ns(), account_id=self.config.account_id, venue_seq=seq, balances=rows)

    async def fills_since(self, since_ns: int) -> list[VenueFill]:
        """Fills at or after ``since_ns`` of every symbol (returned, not reported)."""
        await self.ready()
        tracker = self._tracker()
        return await snapshots.fills_since(
            self.rest, self.config.account_id, self.symbols(), since_ns, tracker.client_order_id
        )

    async def probe(self) -> None:
        """A cheap call that only works when the venue is up (the server time)."""
        await rest_call(lambda: self.rest.fetch_time())

    # --- streams and sweeps ----------------------------------------------------------------------------------

    def _supervisor(self, inbox: Inbox) -> StreamSupervisor | StreamProcess | None:
        """What keeps the streams the config asks for up: in this process, or in a child (``stream_process``)."""
        if not (self.config.stream_private or self.config.stream_quotes) or not has_streams(self.config):
            return None
        handlers = self._handlers(inbox)
        if self.config.stream_process:
            return StreamProcess(self._stream_setup, handlers, self._on_up, self._guard, self.policy)
        watches = [(name, call, handlers[name]) for name, call in watch_calls(self.stream, self.config).items()]
        return StreamSupervisor(self.stream, watches, self._on_up, self._guard, self.policy)

    def _guard(self) -> Guard:
        """The account's guard now (``bind_guards`` may replace it after the session is built)."""
        return self.guard

    def _handlers(self, inbox: Inbox) -> dict[str, Callable[[Any], None]]:
        """What is done with each watch's results, by watch name."""
        tracker = self._tracker()
        return {
            "my_trades": lambda trades: _each(trades, tracker.on_stream_trade),
            "orders": lambda orders: _each(orders, tracker.on_stream_order),
            "balance": self._on_balance,
            "quotes": lambda quotes: _quotes(quotes, inbox),
        }

    async def _stream_setup(self) -> StreamSetup:
        """What a stream process needs (once the markets are loaded: it parses with them)."""
        await self._markets.wait()
        level = logging.getLogger("omsd").getEffectiveLevel()
        return StreamSetup.of(self.config, self._credentials, self.policy, self.rest, level)

    def _on_balance(self, balance: dict[str, Any]) -> None:
        """A stream balance update carries the assets that changed: laid over the last full REST balance."""
        rows = self._balances.overlay(balance)
        if rows is not None:
            self._tracker().emit(BalancesSnapshot, balances=rows)

    async def _on_up(self, first: bool) -> None:
        """A stream (re)connected: backfill what the gap hid (after the first connect: what orders placed before
        it did meanwhile)."""
        self._tracker().stream_up(int(time.time() * 1000))
        if not first:
            await self.sweep("reconnect", all_symbols=True)
        elif self._tracker().active_symbols():
            await self.sweep("connect")

    async def _heartbeats(self, inbox: Inbox) -> None:
        """While the private stream is connected, tell the daemon it is alive (quiet streams say nothing)."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if self.supervisor is not None and self.supervisor.alive():
                inbox.put(StreamHeartbeat(ts_recv=inbox.now_ns(), account_id=self.config.account_id))
                self._tracker().overdue(time.monotonic())
            else:
                self._tracker().stream_down()

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.poll_interval_s)
            try:
                if self._tracker().active_symbols():
                    await self.sweep("poll")
            except Exception:  # a bug must not end the sweeps for good
                log.exception("%s sweep failed", self.config.account_id)

    async def sweep(self, reason: str, all_symbols: bool = False) -> int:
        """Backfill trades since the last one seen and the status of orders that may have changed.

        Returns how many facts were new. Failures are logged and left to the next sweep.
        """
        async with self._sweeping:
            tracker = self._tracker()
            try:
                await self.ready()
                return await self._sweep(tracker, reason, all_symbols)
            except (Refusal, VenueUnavailable, OutcomeUnknown) as error:
                log.warning("%s backfill (%s) failed: %s", self.config.account_id, reason, error)
                return 0

    async def _sweep(self, tracker: OrderTracker, reason: str, all_symbols: bool) -> int:
        margin_ms = int(self.config.backfill_margin_s * 1000)
        symbols = set(self.symbols()) if all_symbols else tracker.active_symbols()
        before = tracker.emitted
        for symbol in sorted(symbols):
            since = tracker.last_trade_ms.get(symbol, self._started_ms) - margin_ms
            trades = await self._guarded(lambda s=symbol, t=since: self.rest.fetch_my_trades(s, t))  # type: ignore[misc]
            for trade in trades:
                tracker.on_trade(trade)
        for trade_id, trade in list(tracker.orphans.items()):
            venue_id = str(trade.get("order") or "")
            order = await self._guarded(lambda v=venue_id, s=trade["symbol"]: self.rest.fetch_order(v, s))  # type: ignore[misc]
            tracker.learn(order, str(order.get("clientOrderId") or f"ext-{venue_id}"))
            tracker.on_trade(tracker.orphans.pop(trade_id))
        for cid, symbol in tracker.active_orders():
            try:
                order = await self._guarded(lambda c=cid, s=symbol: self._fetch(c, s))  # type: ignore[misc]
            except Refusal:
                continue
            tracker.on_order(order, cid)
        found = tracker.emitted - before
        if found:  # balances the streams sent may predate these fills: take the venue's word again
            balance = await self._guarded(lambda: self.rest.fetch_balance())
            tracker.emit(BalancesSnapshot, balances=self._balances.rebase(balance))
        if found:
            log.info(
                "%s backfill (%s): %d event(s) the streams had not delivered", self.config.account_id, reason, found
            )
        return found


def _differences(ours: Instrument, venue: Instrument) -> list[str]:
    """What the configured instrument says differently from the venue's rules (only rules the venue has)."""
    problems = []
    for name in ("tick_size", "step_size", "min_qty", "min_notional"):
        theirs, mine = getattr(venue, name), getattr(ours, name)
        if theirs is not None and (mine is None or mine.normalize() != theirs.normalize()):
            problems.append(f"{ours.symbol} {name}: configured {mine}, venue {theirs}")
    return problems


def _each(items: Iterable[dict[str, Any]], handle: Callable[[dict[str, Any]], None]) -> None:
    for item in items:
        handle(item)


def _quotes(tickers: Mapping[str, Any], inbox: Inbox) -> None:
    for symbol, ticker in tickers.items():
        now = inbox.now_ns()
        inbox.put(
            MarketQuote(
                ts_recv=now,
                symbol=symbol,
                bid=to_decimal(ticker.get("bid")),
                ask=to_decimal(ticker.get("ask")),
                bid_size=to_decimal(ticker.get("bidVolume")),
                ask_size=to_decimal(ticker.get("askVolume")),
                ts_event=int(ticker.get("timestamp") or 0) * 1_000_000 or now,
            )
        )
