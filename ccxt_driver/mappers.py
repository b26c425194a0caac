"""omsd views (JSON) to ccxt unified structures: orders, trades (deals), positions, balances, tickers, markets.

Every id is an omsd internal id: order ids are ``order_id``, trade ids ``fill_id``, position ids
``position_id``; ``clientOrderId`` is the strategy's idempotency key. omsd timestamps are UTC ns.
Mixed into the sync, async and pro driver classes, before ccxt's ``Exchange`` (uses its helpers).
"""

from typing import Any

from ccxt.base.precise import Precise

__all__ = ["ORDER_STATUS", "ORDER_TYPE", "OmsMappers"]

ORDER_STATUS = {
    "PENDING_NEW": "open",
    "NEW": "open",
    "PARTIALLY_FILLED": "open",
    "PENDING_CANCEL": "open",
    "PENDING_REPLACE": "open",
    "UNKNOWN": "open",
    "FILLED": "closed",
    "CANCELED": "canceled",
    "REPLACED": "canceled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
}
"""omsd order status -> ccxt order status (a replaced order is canceled; its replacement has a new id)."""

ORDER_TYPE = {"MARKET": "market", "LIMIT": "limit", "STOP": "market", "STOP_LIMIT": "limit"}
"""omsd order type -> ccxt type (stops carry ``triggerPrice``)."""

_TIF = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK"}
Dict = dict[str, Any]


def _ms(ns: int | None) -> int | None:
    return None if not ns else ns // 1_000_000


class OmsMappers:
    """``parse_*`` overrides; expects to be combined with a ccxt ``Exchange``."""

    def _stamp(self: Any, ns: int | None) -> Dict:
        ms = _ms(ns)
        return {"timestamp": ms, "datetime": self.iso8601(ms) if ms is not None else None}

    def parse_market(self: Any, market: Dict) -> Dict:
        """A ccxt market from an omsd market view (spot-style; ``margin`` on margin accounts)."""
        margin_rate = market["margin_rate"]
        return self.safe_market_structure(
            {
                "id": market["symbol"],
                "symbol": market["symbol"],
                "base": market["base_currency"],
                "quote": market["quote_currency"],
                "baseId": market["base_currency"],
                "quoteId": market["quote_currency"],
                "settle": None,
                "settleId": None,
                "type": "spot",
                "spot": True,
                "margin": market["account_kind"] == "MARGIN",
                "swap": False,
                "future": False,
                "option": False,
                "contract": False,
                "active": True,
                "taker": self.parse_number(Precise.string_div(market["fee_bps"], "10000")),
                "maker": self.parse_number(Precise.string_div(market["fee_bps"], "10000")),
                "precision": {
                    "amount": self.parse_number(market["step_size"]),
                    "price": self.parse_number(market["tick_size"]),
                },
                "limits": {
                    "amount": {"min": self.parse_number(market["min_qty"]), "max": None},
                    "price": {"min": None, "max": None},
                    "cost": {"min": self.parse_number(market["min_notional"]), "max": None},
                    "leverage": {"min": 1, "max": self.parse_number(Precise.string_div("1", margin_rate))},
                },
                "info": market,
            }
        )

    def parse_order(self: Any, order: Dict, market: Any = None) -> Any:
        """A ccxt order from an omsd order view."""
        market = self.safe_market(order["symbol"], market)
        quantity, filled = order["quantity"], order["filled_qty"]
        remaining = order["leaves_qty"] if order["is_open"] else Precise.string_sub(quantity, filled)
        post_only = order["post_only"]
        fee = None
        if order["commission_currency"] is not None:
            fee = {"cost": self.parse_number(order["commission"]), "currency": order["commission_currency"]}
        return self.safe_order(
            {
                "info": order,
                "id": str(order["order_id"]),
                "clientOrderId": order["idempotency_key"],
                **self._stamp(order["ts_created"]),
                "lastTradeTimestamp": None,
                "lastUpdateTimestamp": _ms(order["ts_updated"]),
                "symbol": market["symbol"],
                "type": ORDER_TYPE[order["order_type"]],
                "timeInForce": "PO" if post_only else _TIF.get(order["time_in_force"]),
                "postOnly": post_only,
                "reduceOnly": order["reduce_only"],
                "side": order["side"].lower(),
                "price": order["price"],
                "triggerPrice": order["stop_price"],
                "amount": quantity,
                "filled": filled,
                "remaining": remaining,
                "cost": Precise.string_mul(filled, order["avg_fill_price"]) if order["avg_fill_price"] else "0",
                "average": order["avg_fill_price"],
                "status": ORDER_STATUS[order["status"]],
                "fee": fee,
                "trades": None,
            },
            market,
        )

    def parse_trade(self: Any, trade: Dict, market: Any = None) -> Any:
        """A ccxt trade from an omsd deal (fill) view."""
        market = self.safe_market(trade["symbol"], market)
        fee = None
        if trade["commission_currency"] is not None:
            fee = {"cost": self.parse_number(trade["commission"]), "currency": trade["commission_currency"]}
        return self.safe_trade(
            {
                "info": trade,
                "id": str(trade["fill_id"]),
                "order": str(trade["order_id"]) if trade["order_id"] is not None else None,
                **self._stamp(trade["ts_event"] or trade["ts_recv"]),
                "symbol": market["symbol"],
                "type": None,
                "side": trade["side"].lower(),
                "takerOrMaker": None,
                "price": trade["price"],
                "amount": trade["quantity"],
                "cost": Precise.string_mul(trade["price"], trade["quantity"]),
                "fee": fee,
            },
            market,
        )

    def parse_position(self: Any, position: Dict, market: Any = None) -> Any:
        """A ccxt position from an omsd position view.

        Margin figures are derived from the market's ``margin_rate`` (1 on cash accounts: leverage 1,
        the whole entry notional is the margin); omsd pools an account's margin, so ``marginMode`` is cross.
        """
        market = self.safe_market(position["symbol"], market)
        info = market.get("info") or {}
        size = info.get("multiplier", "1")
        margin_rate = info.get("margin_rate", "1")
        contracts = Precise.string_abs(position["quantity"])
        entry = self.omit_zero(position["avg_price"])
        mark = position["mark_price"] or entry
        notional = Precise.string_mul(Precise.string_mul(contracts, mark), size) if mark else None
        initial = (
            Precise.string_mul(Precise.string_mul(Precise.string_mul(contracts, entry), size), margin_rate)
            if entry
            else None
        )
        pnl = position["unrealized_pnl"]
        side = {"LONG": "long", "SHORT": "short"}.get(position["side"])
        return self.safe_position(
            {
                "info": position,
                "id": str(position["position_id"]),
                "symbol": market["symbol"],
                **self._stamp(position["ts_opened"]),
                "lastUpdateTimestamp": _ms(position["ts_updated"]),
                "side": side,
                "contracts": self.parse_number(contracts),
                "contractSize": self.parse_number(size),
                "entryPrice": self.parse_number(entry),
                "markPrice": self.parse_number(mark),
                "lastPrice": None,
                "notional": self.parse_number(notional),
                "leverage": self.parse_number(Precise.string_div("1", margin_rate)),
                "initialMargin": self.parse_number(initial),
                "initialMarginPercentage": self.parse_number(margin_rate),
                "maintenanceMargin": None,
                "maintenanceMarginPercentage": None,
                "collateral": self.parse_number(Precise.string_add(initial, pnl)) if initial else None,
                "unrealizedPnl": self.parse_number(pnl),
                "realizedPnl": self.parse_number(position["realized_pnl"]),
                "percentage": self.parse_number(Precise.string_mul(Precise.string_div(pnl, initial), "100"))
                if initial
                else None,
                "liquidationPrice": None,
                "marginRatio": None,
                "marginMode": "cross",
                "hedged": None,
            }
        )

    def parse_balance(self: Any, response: Dict) -> Any:
        """A ccxt balance from an omsd account view: total = balance, used = locked, free = available."""
        result: Dict = {"info": response, **self._stamp(response["ts_updated"])}
        for row in response["balances"]:
            account = self.account()
            account["total"], account["used"], account["free"] = row["balance"], row["locked"], row["available"]
            result[self.safe_currency_code(row["currency"])] = account
        return self.safe_balance(result)

    def parse_ticker(self: Any, ticker: Dict, market: Any = None) -> Any:
        """A ccxt ticker from an omsd quote view (best bid/ask and last; no 24h statistics)."""
        market = self.safe_market(ticker["symbol"], market)
        return self.safe_ticker(
            {
                "info": ticker,
                "symbol": market["symbol"],
                **self._stamp(ticker["ts_event"] or ticker["ts_recv"]),
                "bid": ticker["bid"],
                "bidVolume": ticker["bid_size"],
                "ask": ticker["ask"],
                "askVolume": ticker["ask_size"],
                "last": ticker["last"],
                "close": ticker["last"],
            },
            market,
        )
