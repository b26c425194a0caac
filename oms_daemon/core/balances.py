"""Account arithmetic: how a fill moves balances, and what is free to trade."""

from decimal import Decimal

from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide
from oms_daemon.core.model import ZERO, Account, Fill
from oms_daemon.core.state import OmsState

__all__ = ["apply_fill_to_account", "free_balance", "reference_price", "used_margin"]

_BUY, _SELL, _CASH, _MARGIN = OrderSide.BUY, OrderSide.SELL, AccountKind.CASH, AccountKind.MARGIN
"""Bound once: reading a member off an Enum class goes through ``EnumType.__getattr__`` (slow)."""
_ONE, _MINUS_ONE = Decimal(1), Decimal(-1)


def apply_fill_to_account(
    account: Account, config: AccountConfig, instrument: Instrument, fill: Fill, realized: Decimal
) -> Account:
    """New balances after ``fill``: cash accounts swap currencies, margin accounts book PnL."""
    balances = dict(account.balances)
    if config.kind == _CASH:
        notional = fill.quantity * fill.price * instrument.multiplier
        sign = _ONE if fill.side == _BUY else _MINUS_ONE
        base, quote = instrument.base_currency, instrument.quote_currency
        balances[base] = balances.get(base, ZERO) + sign * fill.quantity
        balances[quote] = balances.get(quote, ZERO) - sign * notional
    elif realized:
        quote = instrument.quote_currency
        balances[quote] = balances.get(quote, ZERO) + realized
    if fill.commission:
        currency = fill.commission_currency or instrument.quote_currency
        balances[currency] = balances.get(currency, ZERO) - fill.commission
    return Account(account_id=account.account_id, balances=balances, ts_updated=fill.ts_recv)


def reference_price(state: OmsState, symbol: str, side: OrderSide, limit: Decimal | None) -> Decimal | None:
    """Price an order is expected to trade at: its limit, else the touch it would cross, else last."""
    if limit is not None:
        return limit
    quote = state.quotes.get(symbol)
    if quote is None:
        return None
    touch = quote.ask if side == _BUY else quote.bid
    return touch if touch is not None else quote.last


def used_margin(state: OmsState, account_id: str) -> Decimal:
    """Margin held by open positions of a margin account, at last/mid price (avg price if none)."""
    used = ZERO
    for (acct, symbol), ids in state.open_positions.items():
        if acct != account_id or not ids:
            continue
        instrument = state.instruments.get(symbol)
        if instrument is None:
            continue
        quote = state.quotes.get(symbol)
        for pid in ids:
            position = state.positions[pid]
            mark = (quote.last if quote else None) or position.avg_price
            used += abs(position.quantity) * mark * instrument.multiplier * instrument.margin_rate
    return used


def free_balance(state: OmsState, account_id: str, currency: str) -> Decimal:
    """Balance of ``currency`` not locked by working orders (cash) or by margin (margin accounts)."""
    account = state.accounts.get(account_id)
    total = account.balances.get(currency, ZERO) if account else ZERO
    config = state.account_configs[account_id]
    if config.kind == _MARGIN:
        return total - used_margin(state, account_id)
    locked = ZERO
    for (acct, symbol), exposure in state.exposure.items():
        if acct != account_id:
            continue
        instrument = state.instruments.get(symbol)
        if instrument is None:
            continue
        if instrument.quote_currency == currency and (exposure.buy_notional or exposure.buy_unpriced):
            unpriced = exposure.buy_unpriced
            touch = (reference_price(state, symbol, _BUY, None) or ZERO) if unpriced else ZERO
            locked += (exposure.buy_notional + unpriced * touch) * instrument.multiplier
        elif instrument.base_currency == currency:
            locked += exposure.sell_qty
    return total - locked
