"""The nautilus_trader half of ``bench/vs_nautilus.py``: one market order per quote through a ``BacktestEngine``.

Imported only when nautilus_trader is installed (``pip install -e '.[bench]'``).
"""

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

import nautilus_trader
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, RiskEngineConfig, StrategyConfig
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide, OrderStatus
from nautilus_trader.model.identifiers import InstrumentId, Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

__all__ = ["NAUTILUS_VERSION", "NautilusResult", "run_nautilus"]

NAUTILUS_VERSION: str = nautilus_trader.__version__

QUOTE_SPACING_NS = 1_000_000_000
"""One quote a second of simulated time: keeps the risk engine's default 100 orders/s throttle out of the way."""


class AlternatingMarketConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    quantity: Decimal


class AlternatingMarket(Strategy):
    """On every quote, submit one market order: buy, sell, buy, ..."""

    def __init__(self, config: AlternatingMarketConfig) -> None:
        super().__init__(config)
        self.instrument_id = config.instrument_id
        self.quantity_decimal = config.quantity
        self.submitted = 0

    def on_start(self) -> None:
        self.quantity = self.cache.instrument(self.instrument_id).make_qty(self.quantity_decimal)
        self.subscribe_quote_ticks(self.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        side = OrderSide.BUY if self.submitted % 2 == 0 else OrderSide.SELL
        self.submitted += 1
        self.submit_order(self.order_factory.market(self.instrument_id, side, self.quantity))


class NautilusResult(NamedTuple):
    """The timed ``engine.run()`` and the counts read back from the engine's cache afterwards."""

    elapsed: float
    submitted: int
    orders: int
    filled: int
    net: Decimal
    fill_sum: Decimal


def run_nautilus(
    quotes: Sequence[tuple[Decimal, Decimal]],
    size: Decimal,
    quantity: Decimal,
    start_ns: int,
    *,
    run_analysis: bool = False,
) -> NautilusResult:
    """Build the engine (untimed), time only ``engine.run()``, then count what the cache holds (untimed).

    ``run_analysis`` (nautilus' default, off here) adds the post-run portfolio statistics to ``engine.run()``.
    """
    engine = BacktestEngine(
        config=BacktestEngineConfig(
            logging=LoggingConfig(bypass_logging=True),
            risk_engine=RiskEngineConfig(bypass=False),
            run_analysis=run_analysis,
        )
    )
    instrument = TestInstrumentProvider.btcusdt_binance()
    engine.add_venue(
        venue=Venue("BINANCE"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(1_000_000_000, USDT), Money(1_000, BTC)],
    )
    engine.add_instrument(instrument)
    book_size = instrument.make_qty(size)
    ticks = [
        QuoteTick(
            instrument_id=instrument.id,
            bid_price=instrument.make_price(bid),
            ask_price=instrument.make_price(ask),
            bid_size=book_size,
            ask_size=book_size,
            ts_event=start_ns + i * QUOTE_SPACING_NS,
            ts_init=start_ns + i * QUOTE_SPACING_NS,
        )
        for i, (bid, ask) in enumerate(quotes)
    ]
    engine.add_data(ticks)
    strategy = AlternatingMarket(AlternatingMarketConfig(instrument_id=instrument.id, quantity=quantity))
    engine.add_strategy(strategy)

    start = time.perf_counter()
    engine.run()
    elapsed = time.perf_counter() - start

    orders = engine.cache.orders(instrument_id=instrument.id)
    filled = [o for o in orders if o.status == OrderStatus.FILLED]
    fill_sum = sum(
        (o.filled_qty.as_decimal() * (1 if o.side == OrderSide.BUY else -1) for o in orders), start=Decimal(0)
    )
    net = engine.portfolio.net_position(instrument.id)
    result = NautilusResult(elapsed, strategy.submitted, len(orders), len(filled), Decimal(net), fill_sum)
    engine.dispose()
    return result
