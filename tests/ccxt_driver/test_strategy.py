"""A strategy written only against ccxt's unified API trades through omsd: sync, async_support and pro.

Every structure it gets passes ccxt's own validators, and every id it sees is an omsd internal id.
"""

import asyncio
from decimal import Decimal

import ccxt_driver
import ccxt_driver.async_support
import ccxt_driver.pro
from tests.ccxt_driver.checks import SYMBOL, valid_balance, valid_order, valid_position, valid_ticker, valid_trade
from tests.ccxt_driver.conftest import config
from tests.daemon.process import DaemonProcess, eventually
from tests.http.daemon import eventually_async


def below_market(exchange: ccxt_driver.omsd, fraction: str) -> float:
    return float(Decimal(str(exchange.fetch_ticker(SYMBOL)["bid"])) * Decimal(fraction))


def test_sync_strategy_places_edits_cancels_and_reads(exchange: ccxt_driver.omsd) -> None:
    # given a ccxt strategy pointed at omsd, seeing a market
    valid_ticker(exchange, exchange.fetch_ticker(SYMBOL))
    # when it buys at market, rests a limit below the market, edits it and cancels the replacement
    bought = valid_order(exchange, exchange.create_order(SYMBOL, "market", "buy", 0.01), "createOrder")
    filled = eventually(lambda: (o := exchange.fetch_order(bought["id"]))["status"] == "closed" and o)
    resting = exchange.create_order(SYMBOL, "limit", "buy", 0.01, below_market(exchange, "0.9"))
    edited = valid_order(
        exchange, exchange.edit_order(resting["id"], SYMBOL, "limit", "buy", 0.02, below_market(exchange, "0.8"))
    )
    eventually(lambda: edited["id"] in {o["id"] for o in exchange.fetch_open_orders(SYMBOL)})
    exchange.cancel_order(edited["id"])
    canceled = eventually(lambda: (o := exchange.fetch_order(edited["id"]))["status"] == "canceled" and o)
    # then ids are omsd's own, and every structure is a valid ccxt structure
    assert bought["id"] == str(filled["info"]["order_id"])
    assert edited["id"] != resting["id"] and edited["info"]["replaces_id"] == int(resting["id"])
    assert filled["filled"] == 0.01 and filled["average"] > 0 and filled["fee"]["currency"] == "USDT"
    assert canceled["remaining"] == 0.02
    closed = exchange.fetch_closed_orders(SYMBOL)
    assert {bought["id"], resting["id"], edited["id"]} <= {valid_order(exchange, o)["id"] for o in closed}
    assert exchange.fetch_open_orders(SYMBOL) == []
    trades = [valid_trade(exchange, t) for t in exchange.fetch_my_trades(SYMBOL)]
    assert [t["order"] for t in trades] == [bought["id"]]
    assert trades[0]["id"] == str(trades[0]["info"]["fill_id"])
    positions = [valid_position(exchange, p) for p in exchange.fetch_positions([SYMBOL])]
    assert positions[0]["id"] == str(positions[0]["info"]["position_id"]) and positions[0]["side"] == "long"
    balance = valid_balance(exchange, exchange.fetch_balance())
    assert balance["total"]["USDT"] > 0 and balance["BTC"]["total"] >= 0.01


def test_fetch_orders_by_ids_and_latest_closed_orders(exchange: ccxt_driver.omsd) -> None:
    # given three filled market orders
    ids = [exchange.create_order(SYMBOL, "market", "buy", 0.001)["id"] for _ in range(3)]
    eventually(lambda: len(exchange.fetch_closed_orders(SYMBOL)) == 3)
    # when the strategy asks for them by id, and for the latest two
    by_id = exchange.fetch_orders_by_ids(ids)
    latest = exchange.fetch_closed_orders(SYMBOL, limit=2)
    # then one request returns them in order, and the latest come oldest first
    assert [o["id"] for o in by_id] == ids
    assert [o["id"] for o in latest] == ids[1:]


def test_client_order_id_is_idempotent(exchange: ccxt_driver.omsd) -> None:
    # given an order placed with a clientOrderId
    first = exchange.create_order(SYMBOL, "market", "buy", 0.001, params={"clientOrderId": "once"})
    # when the strategy sends it again (say, after a timeout)
    again = exchange.create_order(SYMBOL, "market", "buy", 0.001, params={"clientOrderId": "once"})
    # then it gets the same order back and only one fill happens
    assert again["id"] == first["id"] and again["clientOrderId"] == "once"
    eventually(lambda: len(exchange.fetch_my_trades(SYMBOL)) == 1)


def test_ticker_is_cached_briefly(exchange: ccxt_driver.omsd) -> None:
    # given a driver with the default 250 ms ticker cache
    first = exchange.fetch_ticker(SYMBOL)
    # when the ticker is asked again at once, and again with the cache off
    cached = exchange.fetch_ticker(SYMBOL)
    exchange.options["tickerCacheMs"] = 0
    fresh = eventually(lambda: (t := exchange.fetch_ticker(SYMBOL))["timestamp"] != first["timestamp"] and t)
    # then the first repeat is the same quote, the uncached one a newer one
    assert cached == first and fresh["timestamp"] > first["timestamp"]


async def test_async_strategy_trades_and_reads(omsd: DaemonProcess) -> None:
    # given the async_support flavour
    exchange = ccxt_driver.async_support.omsd(config(omsd, strategy_id="async-strategy"))
    try:
        # when it buys, rests a limit, edits and cancels it
        bought = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        ticker = valid_ticker(exchange, await exchange.fetch_ticker(SYMBOL))
        resting = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, ticker["bid"] * 0.9)
        edited = await exchange.edit_order(resting["id"], SYMBOL, "limit", "buy", 0.01, ticker["bid"] * 0.8)
        await eventually_async(lambda: _has(exchange.fetch_open_orders(SYMBOL), edited["id"]))
        await exchange.cancel_order(edited["id"])
        await eventually_async(lambda: _has(exchange.fetch_closed_orders(SYMBOL), edited["id"], "canceled"))
        # then it reads the same valid structures as the sync flavour
        trades = await eventually_async(lambda: exchange.fetch_my_trades(SYMBOL))
        assert [valid_trade(exchange, t)["order"] for t in trades] == [bought["id"]]
        for order in await exchange.fetch_closed_orders(SYMBOL):
            valid_order(exchange, order)
        for position in await exchange.fetch_positions():
            valid_position(exchange, position)
        valid_balance(exchange, await exchange.fetch_balance())
    finally:
        await exchange.close()


async def _has(orders: "asyncio.Future[list[dict]] | object", order_id: str, status: str | None = None) -> bool:
    listed = await orders  # type: ignore[misc]
    return any(o["id"] == order_id and (status is None or o["status"] == status) for o in listed)


async def test_pro_strategy_watches_orders_trades_and_positions(omsd: DaemonProcess) -> None:
    # given the pro flavour, subscribed before it trades
    exchange = ccxt_driver.pro.omsd(config(omsd, strategy_id="pro-strategy"))
    try:
        for channel in ccxt_driver.pro.CHANNELS:
            await exchange.subscribe(channel)
        orders = asyncio.ensure_future(exchange.watch_orders(SYMBOL))
        trades = asyncio.ensure_future(exchange.watch_my_trades(SYMBOL))
        positions = asyncio.ensure_future(exchange.watch_positions([SYMBOL]))
        # when it buys at market
        bought = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        # then the streams bring the order, its fill and the position, as valid ccxt structures
        watched = await asyncio.wait_for(orders, 10)
        assert bought["id"] in {valid_order(exchange, o, "watchOrders")["id"] for o in watched}
        filled = await asyncio.wait_for(trades, 10)
        assert [valid_trade(exchange, t, "watchMyTrades")["order"] for t in filled] == [bought["id"]]
        moved = await asyncio.wait_for(positions, 10)
        assert all(valid_position(exchange, p, "watchPositions")["symbol"] == SYMBOL for p in moved)
        # and later updates keep coming on the same subscription
        final = await eventually_async(lambda: _closed(exchange, bought["id"]))
        assert final["status"] == "closed"
    finally:
        await exchange.close()


async def _closed(exchange: ccxt_driver.pro.omsd, order_id: str) -> dict | None:
    cached = {o["id"]: o for o in exchange.orders or []}
    if order_id in cached and cached[order_id]["status"] == "closed":
        return cached[order_id]
    await asyncio.wait_for(exchange.watch_orders(SYMBOL), 5)
    return None
