"""The blocking driver: ``ccxt_driver.omsd({"apiKey": ..., "options": {"account_id": ...}})``."""

import ccxt

from ccxt_driver.base import OmsBase
from ccxt_driver.flows import sync_method

__all__ = ["omsd"]


class omsd(OmsBase, ccxt.Exchange):
    """omsd as a ccxt exchange (sync): orders, deals and positions are omsd's own, by omsd id."""

    request = sync_method(OmsBase.request_flow)
    fetch_markets = sync_method(OmsBase.fetch_markets_flow)
    create_order = sync_method(OmsBase.create_order_flow)
    edit_order = sync_method(OmsBase.edit_order_flow)
    cancel_order = sync_method(OmsBase.cancel_order_flow)
    fetch_order = sync_method(OmsBase.fetch_order_flow)
    fetch_orders_by_ids = sync_method(OmsBase.fetch_orders_by_ids_flow)
    fetch_open_orders = sync_method(OmsBase.fetch_open_orders_flow)
    fetch_closed_orders = sync_method(OmsBase.fetch_closed_orders_flow)
    fetch_my_trades = sync_method(OmsBase.fetch_my_trades_flow)
    fetch_positions = sync_method(OmsBase.fetch_positions_flow)
    fetch_balance = sync_method(OmsBase.fetch_balance_flow)
    fetch_ticker = sync_method(OmsBase.fetch_ticker_flow)
