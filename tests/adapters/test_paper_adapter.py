"""PaperVenue around the engine: market data into the inbox, latency, command order, restore, stamping."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal as D
from pathlib import Path

import msgspec
import pytest

from adapters.contract import VenueError
from adapters.paper import PaperSymbol, PaperVenue, PaperVenueConfig
from adapters.paper.adapter import instrument_for
from adapters.testing import OrderFactory, RecordingInbox
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.inputs import (
    MarketQuote,
    VenueCancelRejected,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
)

BTC = PaperSymbol(symbol="BTC/USD", start_price=D("60000"), touch_size=D("0.5"))
QUOTES = (
    "ts,symbol,bid,ask,bid_size,ask_size,last\n"
    "1700000000,BTC/USD,99.90,100.00,2,2,99.95\n"
    "1700000001,BTC/USD,98.70,98.80,2,2,98.75\n"
    "1700000002,BTC/USD,98.60,98.70,2,2,98.65\n"
)


def _config(**changes: object) -> PaperVenueConfig:
    base = PaperVenueConfig(
        latency_ms=(0.0, 0.0),
        quote_interval_ms=0,
        slippage_bps=D(0),
        commission_bps=D(0),
        symbols=(BTC,),
        balances={"acct": {"USD": D("100000"), "BTC": D("1")}},
    )
    return msgspec.structs.replace(base, **changes)


@pytest.fixture
def inbox() -> RecordingInbox:
    return RecordingInbox()


@pytest.fixture
def make_order() -> OrderFactory:
    return OrderFactory("acct", "BTC/USD", prefix="t")


@pytest.fixture
async def replay(tmp_path: Path, inbox: RecordingInbox) -> AsyncIterator[PaperVenue]:
    """A venue replaying QUOTES, moved on only by ``advance()``."""
    path = tmp_path / "quotes.csv"
    path.write_text(QUOTES)
    venue = PaperVenue(_config(quotes_csv=str(path)))
    await venue.connect(inbox)
    yield venue
    await venue.disconnect()


async def test_given_a_walk_when_connected_then_first_quotes_at_once_and_more_on_the_timer(
    inbox: RecordingInbox,
) -> None:
    eth = PaperSymbol(symbol="ETH/USD", start_price=D("3000"))
    venue = PaperVenue(_config(symbols=(BTC, eth), quote_interval_ms=2))
    await venue.connect(inbox)
    try:
        first = inbox.of(MarketQuote)
        assert [(q.symbol, q.last) for q in first] == [("BTC/USD", D("60000")), ("ETH/USD", D("3000"))]
        assert all(q.ts_recv > 0 and q.ts_event == q.ts_recv for q in first)
        await inbox.eventually(lambda: len(inbox.of(MarketQuote)) >= 10, what="the walk goes on")
    finally:
        await venue.disconnect()


async def test_given_a_resting_order_when_the_replayed_market_crosses_it_then_quote_then_fill(
    replay: PaperVenue, inbox: RecordingInbox, make_order: OrderFactory
) -> None:
    order = make_order(OrderSide.BUY, D(1), OrderType.LIMIT, price=D("98.80"))
    await replay.submit(order)
    assert [type(e) for e in inbox.events] == [MarketQuote, VenueOrderAccepted]
    assert replay.advance()
    quote, fill = inbox.events[-2:]
    assert isinstance(quote, MarketQuote) and quote.ts_event == 1_700_000_001 * 10**9
    assert isinstance(fill, VenueFill) and (fill.price, fill.quantity) == (D("98.80"), D(1))
    assert replay.advance()
    assert not replay.advance()  # the file is done


async def test_given_latency_when_commands_are_sent_back_to_back_then_they_apply_in_order(
    inbox: RecordingInbox, make_order: OrderFactory
) -> None:
    venue = PaperVenue(_config(latency_ms=(0.0, 3.0)))
    await venue.connect(inbox)
    try:
        orders = [make_order(OrderSide.BUY, D("0.1"), OrderType.LIMIT, price=D("50000")) for _ in range(20)]
        await asyncio.gather(*itertools.chain.from_iterable((venue.submit(o), venue.cancel(o)) for o in orders))
        assert not inbox.of(VenueCancelRejected)  # no cancel overtook its submit
        assert len(inbox.of(VenueOrderCanceled)) == 20
    finally:
        await venue.disconnect()


async def test_given_an_inbox_clock_when_events_arrive_then_they_carry_its_time(make_order: OrderFactory) -> None:
    class TickingInbox(RecordingInbox):
        def __init__(self) -> None:
            super().__init__()
            self.clock = itertools.count(5_000_000_000, 1_000)

        def now_ns(self) -> int:
            return next(self.clock)

    inbox = TickingInbox()
    venue = PaperVenue(_config())
    await venue.connect(inbox)
    try:
        await venue.submit(make_order(OrderSide.BUY, D("0.1")))
        stamps = [e.ts_recv for e in inbox.events]
        assert stamps == sorted(stamps) and all(5_000_000_000 <= s < 5_000_100_000 for s in stamps)
        fill = inbox.of(VenueFill)[0]
        assert fill.ts_event == fill.ts_recv
    finally:
        await venue.disconnect()


async def test_given_journal_state_when_restored_before_connect_then_orders_and_balances_are_back(
    inbox: RecordingInbox, make_order: OrderFactory
) -> None:
    order = make_order(OrderSide.BUY, D(2), OrderType.LIMIT, price=D("50000"))
    working = msgspec.structs.replace(order, venue_order_id="PO-7", status=OrderStatus.NEW)
    venue = PaperVenue(_config())
    venue.restore([working], {"acct": {"USD": D("1234"), "BTC": D("0")}}, venue_seqs={"acct": 9})
    await venue.connect(inbox)
    try:
        (report,) = (await venue.open_orders("acct")).orders
        assert (report.client_order_id, report.venue_order_id) == (order.client_order_id, "PO-7")
        balances = {b.currency: b.total for b in (await venue.balances("acct")).balances}
        assert balances == {"USD": D("1234"), "BTC": D(0)}
        await venue.cancel(order)
        (canceled,) = inbox.of(VenueOrderCanceled)
        assert canceled.venue_seq == 10
    finally:
        await venue.disconnect()


async def test_given_no_connection_when_used_then_venue_error(make_order: OrderFactory) -> None:
    venue = PaperVenue(_config())
    with pytest.raises(VenueError):
        await venue.submit(make_order())
    with pytest.raises(VenueError):
        await venue.balances("acct")
    await venue.disconnect()  # harmless when never connected


async def test_given_a_command_in_flight_when_disconnected_then_it_fails_with_venue_error(
    inbox: RecordingInbox, make_order: OrderFactory
) -> None:
    venue = PaperVenue(_config(latency_ms=(500.0, 500.0)))
    await venue.connect(inbox)
    pending = asyncio.ensure_future(venue.submit(make_order()))
    await inbox.eventually(lambda: venue.in_flight == 1, what="command queued")
    await venue.disconnect()
    with pytest.raises(VenueError):
        await pending
    assert not inbox.of(VenueOrderAccepted)


def test_given_symbols_when_no_instrument_is_configured_then_currencies_come_from_the_name() -> None:
    assert (instrument_for(BTC).base_currency, instrument_for(BTC).quote_currency) == ("BTC", "USD")
    eurusd = instrument_for(PaperSymbol(symbol="EUR-USD", start_price=D(1)))
    assert (eurusd.base_currency, eurusd.quote_currency) == ("EUR", "USD")
    aapl = instrument_for(PaperSymbol(symbol="AAPL", start_price=D(190), tick_size=D("0.01")))
    assert (aapl.base_currency, aapl.quote_currency, aapl.tick_size) == ("AAPL", "USD", D("0.01"))


def test_given_the_toml_shape_when_decoded_then_a_paper_config() -> None:
    text = b"""
seed = 11
latency_ms = [5, 20]
slippage_bps = "0.5"
commission_bps = "0.3"
quote_interval_ms = 100
level_step_bps = "0.5"

[[symbols]]
symbol = "EURUSD"
start_price = "1.08500"
volatility_bps = "0.5"
spread_bps = "0.8"
touch_size = "1000000"
tick_size = "0.00001"

[balances.fx-net]
USD = "100000"
"""
    config = msgspec.toml.decode(text, type=PaperVenueConfig)
    assert config.latency_ms == (5.0, 20.0) and config.slippage_bps == D("0.5")
    assert config.symbols[0].tick_size == D("0.00001")
    assert config.balances == {"fx-net": {"USD": D(100000)}}
    assert PaperVenueConfig().balances == {"paper-1": {"USDT": D(100000), "BTC": D("0.5"), "ETH": D(5)}}
