"""The local order book view: what an order would pay walking the levels it would take."""

from decimal import Decimal

from oms_daemon.core.enums import OrderSide
from oms_daemon.core.model import ZERO, BookLevel, Quote

__all__ = ["book_slippage"]


def _levels(quote: Quote, side: OrderSide) -> tuple[BookLevel, ...]:
    if side == OrderSide.BUY:
        if quote.asks:
            return quote.asks
        return (BookLevel(quote.ask, quote.ask_size or Decimal("Infinity")),) if quote.ask is not None else ()
    if quote.bids:
        return quote.bids
    return (BookLevel(quote.bid, quote.bid_size or Decimal("Infinity")),) if quote.bid is not None else ()


def book_slippage(
    quote: Quote | None, side: OrderSide, quantity: Decimal, mid: Decimal, limit: Decimal | None = None
) -> Decimal | None:
    """Cost against the mid of taking ``quantity`` from the book (up to ``limit``); None if no book.

    Levels beyond the visible depth are priced at the last visible level, so a thin book still
    gives a (lower-bound) figure.
    """
    if quote is None:
        return None
    levels = _levels(quote, side)
    if not levels:
        return None
    remaining, cost = quantity, ZERO
    price = levels[0].price
    for level in levels:
        price = level.price
        if limit is not None and (price > limit if side == OrderSide.BUY else price < limit):
            break
        take = min(remaining, level.size)
        cost += take * abs(price - mid)
        remaining -= take
        if not remaining:
            return cost
    if limit is not None:
        return cost  # the rest would rest at the limit: no further taking cost
    return cost + remaining * abs(price - mid)
