"""A spot venue keeps no positions: the adapter nets the account's whole trade history, page by page, and
then only the trades since; a history longer than one page (1,000 trades) is netted whole."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from adapters.ccxt.config import Credentials
from adapters.ccxt.exchange import build_rest
from adapters.testing import RecordingInbox
from simex import SimexProcess
from tests.ccxt.support import ACCOUNT, API_KEY, SECRET, account_config, ccxt_venue


@pytest.fixture
async def direct(sim: SimexProcess) -> AsyncIterator[Any]:
    """A plain ccxt client of the account, trading at the exchange without omsd."""
    rest = build_rest(account_config(sim), Credentials(API_KEY, SECRET))
    await rest.load_markets()
    yield rest
    await rest.close()


def exchange_net(sim: SimexProcess) -> Decimal:
    return sum((Decimal(t["qty"]) * (1 if t["isBuyer"] else -1) for t in sim.control.trades()), Decimal(0))


async def test_given_more_trades_than_a_page_then_the_position_nets_them_all_and_later_only_the_new(
    sim: SimexProcess, direct: Any
) -> None:
    # given 1,040 buys and 20 sells of 0.001 on the account
    for n in range(1060):
        await direct.create_order("BTC/USDT", "market", "buy" if n % 53 else "sell", 0.001)
    venue = ccxt_venue(sim, poll_interval_s=0, stream_private=False)
    await venue.connect(RecordingInbox())
    try:
        # when the adapter reports positions, then they are the net of every trade, not of the last page
        first = await venue.positions(ACCOUNT)
        assert [(p.symbol, p.quantity) for p in first.positions] == [("BTC/USDT", exchange_net(sim))]
        # and a later pass reads only what came since
        before = sim.control.stats()["rest"].get("GET /api/v3/myTrades", 0)
        await direct.create_order("BTC/USDT", "market", "buy", 0.002)
        again = await venue.positions(ACCOUNT)
        assert [(p.symbol, p.quantity) for p in again.positions] == [("BTC/USDT", exchange_net(sim))]
        assert sim.control.stats()["rest"].get("GET /api/v3/myTrades", 0) - before == 1
    finally:
        await venue.disconnect()
