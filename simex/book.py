"""The public book of one symbol: price levels our orders match against, and the last traded price.

The levels stand for other traders' liquidity. Our own resting orders are not in it; they fill when
the book (set through the control API) crosses their price.
"""

from collections.abc import Iterator, Sequence
from decimal import Decimal

__all__ = ["Book", "Level"]

Level = tuple[Decimal, Decimal]
"""(price, quantity)."""


class Book:
    """Bids (best first, descending) and asks (best first, ascending) of one symbol."""

    def __init__(self, bids: Sequence[Level], asks: Sequence[Level], replenish: bool) -> None:
        self.replenish = replenish
        self.bids: list[list[Decimal]] = []
        self.asks: list[list[Decimal]] = []
        self.last: Decimal | None = None
        self.set(bids, asks)

    def set(self, bids: Sequence[Level], asks: Sequence[Level], last: Decimal | None = None) -> None:
        """Replace both sides; ``last`` defaults to the mid of the new touch."""
        self.bids = sorted(([p, q] for p, q in bids if q > 0), key=lambda level: -level[0])
        self.asks = sorted(([p, q] for p, q in asks if q > 0), key=lambda level: level[0])
        if last is not None:
            self.last = last
        elif self.bids and self.asks:
            self.last = (self.bids[0][0] + self.asks[0][0]) / 2
        elif self.bids or self.asks:
            self.last = (self.bids or self.asks)[0][0]

    @property
    def best_bid(self) -> Level | None:
        """Highest bid (price, quantity), if any."""
        return (self.bids[0][0], self.bids[0][1]) if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        """Lowest ask (price, quantity), if any."""
        return (self.asks[0][0], self.asks[0][1]) if self.asks else None

    def walk(self, side: str, quantity: Decimal, limit: Decimal | None) -> Iterator[Level]:
        """The (price, quantity) a ``side`` taker of ``quantity`` would get, best level first, without taking it."""
        levels = self.asks if side == "BUY" else self.bids
        left = quantity
        for price, available in levels:
            if left <= 0:
                return
            if limit is not None and (price > limit if side == "BUY" else price < limit):
                return
            take = min(left, available)
            left -= take
            yield price, take

    def fillable(self, side: str, quantity: Decimal, limit: Decimal | None) -> Decimal:
        """How much of ``quantity`` the book can fill for a ``side`` taker at ``limit``."""
        return sum((q for _, q in self.walk(side, quantity, limit)), Decimal(0))

    def take(self, side: str, price: Decimal, quantity: Decimal) -> None:
        """Remove liquidity a fill used (a no-op when the book replenishes)."""
        if self.replenish:
            return
        levels = self.asks if side == "BUY" else self.bids
        left = quantity
        for level in levels:
            if left <= 0:
                break
            if (level[0] <= price) if side == "BUY" else (level[0] >= price):
                used = min(left, level[1])
                level[1] -= used
                left -= used
        levels[:] = [level for level in levels if level[1] > 0]
