"""The asyncio driver: ``await ccxt_driver.async_support.omsd({...}).create_order(...)``; close it when done."""

import ccxt.async_support

from ccxt_driver.base import OmsBase
from ccxt_driver.flows import async_method

__all__ = ["omsd"]


class omsd(OmsBase, ccxt.async_support.Exchange):
    """omsd as a ccxt exchange (async_support): the same methods as the sync driver, awaitable."""

    request = async_method(OmsBase.request_flow)
    fetch_markets = async_method(OmsBase.fetch_markets_flow)
    create_order = async_method(OmsBase.create_order_flow)
    edit_order = async_method(OmsBase.edit_order_flow)
    cancel_order = async_method(OmsBase.cancel_order_flow)
    fetch_order = async_method(OmsBase.fetch_order_flow)
    fetch_orders_by_ids = async_method(OmsBase.fetch_orders_by_ids_flow)
    fetch_open_orders = async_method(OmsBase.fetch_open_orders_flow)
    fetch_closed_orders = async_method(OmsBase.fetch_closed_orders_flow)
    fetch_my_trades = async_method(OmsBase.fetch_my_trades_flow)
    fetch_positions = async_method(OmsBase.fetch_positions_flow)
    fetch_balance = async_method(OmsBase.fetch_balance_flow)
    fetch_ticker = async_method(OmsBase.fetch_ticker_flow)
