"""What one account holds at the venue, read over REST: open orders, positions, balances, fills.

Snapshots carry the ``venue_seq`` of the last event the adapter had put when it asked: if newer events
are applied before the snapshot, the core knows the comparison would not be fair.

``BalanceBook`` keeps the last full REST balance, so that stream updates (Binance's
``outboundAccountPosition`` carries only the assets that changed) still give the OMS whole snapshots.

``TradeLedger`` keeps the net of an account's whole trade history per symbol (a spot venue keeps no
positions): its first pass pages through the history from the first trade, later passes only read the
trades since (Binance's ``fromId``), so a pass costs O(new trades), and a position is never the net of only
the last page of a long history.
"""

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.ccxt.errors import rest_call
from adapters.ccxt.translate import order_report, to_decimal
from oms_daemon.core.enums import OrderSide
from oms_daemon.core.inputs import OpenOrdersSnapshot, PositionsSnapshot, VenueBalance, VenueFill, VenuePosition

__all__ = ["BalanceBook", "TradeLedger", "balance_rows", "fills_since", "open_orders"]

ZERO = Decimal(0)


async def open_orders(rest: Any, account_id: str, symbols: list[str], seq: int | None) -> OpenOrdersSnapshot:
    """Every open order of the account's symbols; ``seq``: the last venue event put before asking."""
    orders: list[dict[str, Any]] = []
    for symbol in symbols:
        orders.extend(await rest_call(lambda s=symbol: rest.fetch_open_orders(s)))  # type: ignore[misc]
    reports = tuple(order_report(o) for o in orders)
    return OpenOrdersSnapshot(ts_recv=time.time_ns(), account_id=account_id, venue_seq=seq, orders=reports)


PAGE = 1000
"""Trades per history request (Binance's most)."""


class TradeLedger:
    """The net of every trade of the account per symbol, read page by page from the first trade on."""

    def __init__(self) -> None:
        self._next_id: dict[str, int] = {}
        self._net: dict[str, Decimal] = {}

    async def positions(self, rest: Any, account_id: str, symbols: list[str], seq: int | None) -> PositionsSnapshot:
        """Net position per symbol, after reading the trades made since the last pass."""
        found = []
        for symbol in symbols:
            net = await self._catch_up(rest, symbol)
            if net:
                found.append(VenuePosition(symbol=symbol, quantity=net))
        return PositionsSnapshot(ts_recv=time.time_ns(), account_id=account_id, venue_seq=seq, positions=tuple(found))

    async def _catch_up(self, rest: Any, symbol: str) -> Decimal:
        net = self._net.get(symbol, ZERO)
        while True:
            start = self._next_id.get(symbol, 0)
            params = {"fromId": start}
            page = await rest_call(lambda p=params: rest.fetch_my_trades(symbol, None, PAGE, p))  # type: ignore[misc]
            fresh = [t for t in page if str(t["id"]).isdigit() and int(t["id"]) >= start]
            for trade in fresh:
                net += (to_decimal(trade["amount"]) or ZERO) * (1 if trade["side"] == "buy" else -1)
                self._next_id[symbol] = max(self._next_id.get(symbol, 0), int(trade["id"]) + 1)
            self._net[symbol] = net
            if len(page) < PAGE or not fresh:  # the history's end (or a venue that pages otherwise)
                return net


async def fills_since(
    rest: Any, account_id: str, symbols: list[str], since_ns: int, client_order_id: Any
) -> list[VenueFill]:
    """Fills at or after ``since_ns`` (millisecond precision); ``client_order_id(venue id)`` names their orders."""
    fills: list[VenueFill] = []
    since_ms = since_ns // 1_000_000
    for symbol in symbols:
        trades = await rest_call(lambda s=symbol: rest.fetch_my_trades(s, since_ms))  # type: ignore[misc]
        for trade in trades:
            timestamp = int(trade.get("timestamp") or 0)
            if timestamp < since_ms:
                continue
            fee = trade.get("fee") or {}
            venue_id = str(trade.get("order") or "")
            fills.append(
                VenueFill(
                    ts_recv=time.time_ns(),
                    account_id=account_id,
                    client_order_id=client_order_id(venue_id),
                    trade_id=str(trade["id"]),
                    symbol=symbol,
                    side=OrderSide(str(trade["side"]).upper()),
                    price=to_decimal(trade["price"]) or ZERO,
                    quantity=to_decimal(trade["amount"]) or ZERO,
                    commission=to_decimal(fee.get("cost")) or ZERO,
                    commission_currency=fee.get("currency"),
                    venue_order_id=venue_id or None,
                    ts_event=timestamp * 1_000_000,
                )
            )
    return fills


def balance_rows(balance: Mapping[str, Any]) -> tuple[VenueBalance, ...]:
    """The non-zero balances of a ccxt balance structure, by currency."""
    totals = balance.get("total") or {}
    frees = balance.get("free") or {}
    rows = []
    for currency in sorted(totals):
        total = to_decimal(totals.get(currency))
        if total:
            rows.append(VenueBalance(currency=currency, total=total, free=to_decimal(frees.get(currency))))
    return tuple(rows)


class BalanceBook:
    """The account's balances as last known: a full REST balance with stream updates laid over it."""

    def __init__(self) -> None:
        self._rows: dict[str, VenueBalance] | None = None

    def rebase(self, balance: Mapping[str, Any]) -> tuple[VenueBalance, ...]:
        """A full REST balance: it becomes the base; returns its rows."""
        rows = balance_rows(balance)
        self._rows = {row.currency: row for row in rows}
        return rows

    def overlay(self, balance: Mapping[str, Any]) -> tuple[VenueBalance, ...] | None:
        """A stream update (changed assets only) laid over the base; None until there is a base."""
        rows = self._rows
        if rows is None:
            return None
        totals, frees = balance.get("total") or {}, balance.get("free") or {}
        for currency, total in totals.items():
            amount = to_decimal(total) or ZERO
            rows[currency] = VenueBalance(currency=currency, total=amount, free=to_decimal(frees.get(currency)))
        return tuple(row for _, row in sorted(rows.items()) if row.total)
