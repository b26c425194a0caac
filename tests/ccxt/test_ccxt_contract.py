"""The venue contract suite run against the ccxt adapter talking to the simulated exchange (a real process)."""

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from adapters.ccxt import CcxtVenue
from adapters.testing import OrderFactory, RecordingInbox, VenueContract
from oms_daemon.core.config import Instrument
from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.model import Order
from simex import SimexProcess
from tests.ccxt.support import ACCOUNT, BTC, ccxt_venue


class TestCcxtVenueContract(VenueContract):
    @pytest.fixture
    def instrument(self) -> Instrument:
        return BTC

    @pytest.fixture
    def account_id(self) -> str:
        return ACCOUNT

    @pytest.fixture
    def order_quantity(self) -> Decimal:
        return Decimal("0.01")

    @pytest.fixture
    def resting_price(self) -> Callable[[OrderSide], Decimal]:
        return lambda side: Decimal("30000") if side is OrderSide.BUY else Decimal("120000")

    @pytest.fixture
    def refused_order(self, make_order: OrderFactory) -> Order:
        return make_order(OrderSide.BUY, Decimal("100"), OrderType.LIMIT, price=Decimal("50000"))  # 5M USDT, 1M held

    @pytest.fixture
    async def venue(self, inbox: RecordingInbox, sim: SimexProcess) -> AsyncIterator[CcxtVenue]:
        venue = ccxt_venue(sim)
        await venue.connect(inbox)
        yield venue
        await venue.disconnect()
