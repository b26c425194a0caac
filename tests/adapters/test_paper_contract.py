"""The venue contract suite run against the embedded paper venue."""

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from adapters.paper import PaperSymbol, PaperVenue, PaperVenueConfig
from adapters.testing import OrderFactory, RecordingInbox, VenueContract
from oms_daemon.core.config import Instrument
from oms_daemon.core.enums import OrderSide
from oms_daemon.core.model import Order

BTC = Instrument(symbol="BTC/USD", base_currency="BTC", quote_currency="USD", tick_size=Decimal("0.01"))


class TestPaperVenueContract(VenueContract):
    @pytest.fixture
    def instrument(self) -> Instrument:
        return BTC

    @pytest.fixture
    def account_id(self) -> str:
        return "paper-contract"

    @pytest.fixture
    def order_quantity(self) -> Decimal:
        return Decimal("0.1")

    @pytest.fixture
    def resting_price(self) -> Callable[[OrderSide], Decimal]:
        return lambda side: Decimal("30000") if side is OrderSide.BUY else Decimal("120000")

    @pytest.fixture
    def refused_order(self, make_order: OrderFactory) -> Order:
        return make_order(OrderSide.BUY, Decimal("1000"))  # 60M USD of BTC on a 100k account

    @pytest.fixture
    async def venue(self, inbox: RecordingInbox, account_id: str) -> AsyncIterator[PaperVenue]:
        config = PaperVenueConfig(
            seed=3,
            latency_ms=(0.1, 0.5),
            quote_interval_ms=5,
            symbols=(PaperSymbol(symbol="BTC/USD", start_price=Decimal("60000"), touch_size=Decimal("0.5")),),
            balances={account_id: {"USD": Decimal("100000")}},
        )
        venue = PaperVenue(config, instruments=[BTC])
        await venue.connect(inbox)
        yield venue
        await venue.disconnect()
