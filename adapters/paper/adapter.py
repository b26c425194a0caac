"""``PaperVenue``: the embedded default venue, ``PaperExchange`` behind the ``VenueAdapter`` surface.

A market-data task feeds one quote step every ``quote_interval_ms`` to the exchange and puts each
``MarketQuote`` (then the events it caused) into the inbox; the first step is taken in ``connect``
so orders can trade at once. With ``quote_interval_ms = 0`` there is no timer: quotes move only
when ``advance()`` is called (deterministic tests and replays).

Commands wait a seeded latency drawn from ``latency_ms`` and reach the exchange in the order they
were sent (a later command never overtakes an earlier one), then their events go into the inbox.
Every event is stamped with ``inbox.now_ns()``, which is also the exchange's time for the call.
"""

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from adapters.contract import Inbox, VenueError
from adapters.paper.config import PaperSymbol, PaperVenueConfig
from adapters.paper.engine import PaperExchange
from adapters.paper.market import quote_steps
from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    MarketQuote,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    StreamHeartbeat,
    VenueEvent,
    VenueFill,
)
from oms_daemon.core.model import Fill, Order

__all__ = ["PaperVenue", "instrument_for"]

HEARTBEAT_NS = 1_000_000_000
"""How often the simulated user stream says it is alive."""

_Command = tuple[float, Callable[[int], list[VenueEvent]], "asyncio.Future[None]"]


def instrument_for(spec: PaperSymbol) -> Instrument:
    """An instrument for a paper symbol: ``BASE/QUOTE`` (or ``-``/``_``) split, else quoted in USD."""
    for separator in ("/", "-", "_"):
        base, found, quote = spec.symbol.partition(separator)
        if found and base and quote:
            return Instrument(symbol=spec.symbol, base_currency=base, quote_currency=quote, tick_size=spec.tick_size)
    return Instrument(symbol=spec.symbol, base_currency=spec.symbol, quote_currency="USD", tick_size=spec.tick_size)


class PaperVenue:
    """Simulated venue ``"paper"``: seeded quotes, latency, slippage, commission and funds checks.

    ``instruments`` and ``accounts`` are the daemon's (currencies, multipliers, cash or margin);
    a configured paper symbol without an instrument gets one from ``instrument_for``.
    """

    venue = "paper"

    def __init__(
        self,
        config: PaperVenueConfig | None = None,
        *,
        instruments: Iterable[Instrument] = (),
        accounts: Iterable[AccountConfig] = (),
    ) -> None:
        self.config = config = config or PaperVenueConfig()
        known = {i.symbol: i for i in instruments}
        for spec in config.symbols:
            known.setdefault(spec.symbol, instrument_for(spec))
        self.exchange = PaperExchange(
            known.values(),
            balances=config.balances,
            accounts=accounts,
            slippage_bps=config.slippage_bps,
            commission_bps=config.commission_bps,
            level_step_bps=config.level_step_bps,
            book_depth=config.book_depth,
        )
        self._steps = quote_steps(config)
        self._latency = random.Random(f"paper-latency:{config.seed}")
        self._inbox: Inbox | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[_Command] | None = None
        self._pending: set[asyncio.Future[None]] = set()
        self._last_due = 0.0
        self._last_beat = 0
        self._accounts = sorted(a.account_id for a in accounts)

    def restore(
        self,
        working_orders: Iterable[Order],
        balances: Mapping[str, Mapping[str, Decimal]],
        *,
        fills: Iterable[Fill] = (),
        venue_seqs: Mapping[str, int] | None = None,
    ) -> None:
        """Rebuild the embedded venue from the OMS journal before ``connect`` (see ``PaperExchange.restore``)."""
        self.exchange.restore(working_orders, balances, fills=fills, venue_seqs=venue_seqs)

    # --- session ----------------------------------------------------------------------------------

    async def connect(self, inbox: Inbox) -> None:
        """Take the first quotes now, then start the market-data and command tasks."""
        if self._inbox is not None:
            return
        self._inbox = inbox
        self._queue = asyncio.Queue()
        self._step(inbox)
        self._tasks = [asyncio.create_task(self._commands(inbox, self._queue), name="paper-commands")]
        if self.config.quote_interval_ms > 0:
            self._tasks.append(asyncio.create_task(self._market_data(inbox), name="paper-market-data"))

    async def disconnect(self) -> None:
        """Stop both tasks; commands still waiting fail with ``VenueError``. Idempotent."""
        tasks, self._tasks = self._tasks, []
        self._inbox = None
        self._queue = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._pending:
            if not future.done():
                future.set_exception(VenueError("paper venue disconnected"))
        self._pending.clear()

    @property
    def in_flight(self) -> int:
        """Commands sent but not yet applied by the exchange (for a bounded wait on shutdown)."""
        return sum(1 for f in self._pending if not f.done())

    def advance(self) -> bool:
        """Feed the next quote step now (with ``quote_interval_ms = 0`` the only way quotes move).

        Returns False when a CSV source is exhausted.
        """
        return self._step(self._connected())

    # --- commands ------------------------------------------------------------------------------------

    async def submit(self, order: Order) -> None:
        """Send a new order; its acceptance or rejection and fills arrive through the inbox."""
        await self._command(lambda now: self.exchange.submit(order, now))

    async def cancel(self, order: Order) -> None:
        """Cancel a working order; ``VenueOrderCanceled`` or ``VenueCancelRejected`` follows."""
        await self._command(lambda now: self.exchange.cancel(order, now))

    async def modify(self, order: Order, replacement: Order) -> None:
        """Replace an order; ``VenueOrderReplaced`` or ``VenueReplaceRejected`` follows."""
        await self._command(lambda now: self.exchange.modify(order, replacement, now))

    async def query_order(self, account_id: str, client_order_id: str, symbol: str) -> None:
        """Ask for an order's status; ``VenueOrderStatus`` follows (status None if unknown)."""
        await self._command(lambda now: [self.exchange.query(account_id, client_order_id, now)])

    # --- snapshots ---------------------------------------------------------------------------------------

    async def open_orders(self, account_id: str) -> OpenOrdersSnapshot:
        """Every working order of the account."""
        return self.exchange.open_orders(account_id, self._connected().now_ns())

    async def positions(self, account_id: str) -> PositionsSnapshot:
        """Net positions of the account from the venue's fill sums."""
        return self.exchange.positions(account_id, self._connected().now_ns())

    async def balances(self, account_id: str) -> BalancesSnapshot:
        """Every balance of the account."""
        return self.exchange.balances(account_id, self._connected().now_ns())

    async def fills_since(self, account_id: str, since_ns: int) -> list[VenueFill]:
        """Fills executed at or after ``since_ns``."""
        self._connected()
        return self.exchange.fills_since(account_id, since_ns)

    # --- internals ---------------------------------------------------------------------------------------

    def _connected(self) -> Inbox:
        if self._inbox is None:
            raise VenueError("paper venue is not connected")
        return self._inbox

    async def _command(self, apply: Callable[[int], list[VenueEvent]]) -> None:
        """Queue ``apply`` to run after a seeded latency, never before an earlier command."""
        self._connected()
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        low, high = self.config.latency_ms
        delay = self._latency.uniform(low, high) / 1000 if high > 0 else 0.0
        due = max(loop.time() + delay, self._last_due)
        self._last_due = due
        future: asyncio.Future[None] = loop.create_future()
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        self._queue.put_nowait((due, apply, future))
        await future

    async def _commands(self, inbox: Inbox, queue: "asyncio.Queue[_Command]") -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, apply, future = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                events = apply(inbox.now_ns())
            except Exception as exc:  # a bug in the engine: the caller sees it, the venue goes on
                if not future.done():
                    future.set_exception(exc)
                continue
            for event in events:
                inbox.put(event)
            if not future.done():
                future.set_result(None)

    async def _market_data(self, inbox: Inbox) -> None:
        interval = max(self.config.quote_interval_ms, 0.0) / 1000
        while True:
            await asyncio.sleep(interval)
            if not self._step(inbox):
                return

    def _step(self, inbox: Inbox) -> bool:
        """Feed the next quote step to the exchange and the inbox; False when the source is done."""
        ticks = next(self._steps, None)
        if ticks is None:
            return False
        for tick in ticks:
            now = inbox.now_ns()
            events = self.exchange.on_quote(
                tick.symbol, tick.bid, tick.ask, tick.bid_size, tick.ask_size, tick.last, now
            )
            bids, asks = self.exchange.depth(tick.symbol)
            inbox.put(
                MarketQuote(
                    ts_recv=now,
                    symbol=tick.symbol,
                    bid=tick.bid,
                    ask=tick.ask,
                    bid_size=tick.bid_size,
                    ask_size=tick.ask_size,
                    last=tick.last,
                    ts_event=tick.ts_event or now,
                    bids=bids,
                    asks=asks,
                )
            )
            for event in events:
                inbox.put(event)
        self._beat(inbox)
        return True

    def _beat(self, inbox: Inbox) -> None:
        """Tell the daemon each account's user stream is alive (about once a second)."""
        now = inbox.now_ns()
        if now - self._last_beat < HEARTBEAT_NS:
            return
        self._last_beat = now
        for account_id in self._accounts:
            inbox.put(StreamHeartbeat(ts_recv=now, account_id=account_id))
