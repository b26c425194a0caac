"""Balances of one account: free and locked per asset, moved only by the engine."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from simex.errors import REJECTED, BinanceError

__all__ = ["INSUFFICIENT", "Wallet"]

ZERO = Decimal(0)
INSUFFICIENT = "Account has insufficient balance for requested action."
"""Binance's message for -2010 when funds are short (ccxt maps it to InsufficientFunds)."""


class Wallet:
    """Free and locked amounts per asset."""

    def __init__(self, balances: Mapping[str, Decimal]) -> None:
        self.free: dict[str, Decimal] = {asset: Decimal(amount) for asset, amount in balances.items()}
        self.locked: dict[str, Decimal] = dict.fromkeys(self.free, ZERO)

    def require(self, asset: str, amount: Decimal) -> None:
        """Refuse (-2010, insufficient balance) unless ``amount`` of ``asset`` is free."""
        if self.free.get(asset, ZERO) < amount:
            raise BinanceError.of(REJECTED, INSUFFICIENT)

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked (refused when not free)."""
        self.require(asset, amount)
        self.free[asset] = self.free.get(asset, ZERO) - amount
        self.locked[asset] = self.locked.get(asset, ZERO) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` back from locked to free."""
        self.locked[asset] = self.locked.get(asset, ZERO) - amount
        self.free[asset] = self.free.get(asset, ZERO) + amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """``amount`` leaves the account out of the locked part."""
        self.locked[asset] = self.locked.get(asset, ZERO) - amount

    def spend_free(self, asset: str, amount: Decimal) -> None:
        """``amount`` leaves the account out of the free part (may go negative only if unchecked)."""
        self.free[asset] = self.free.get(asset, ZERO) - amount

    def credit(self, asset: str, amount: Decimal) -> None:
        """``amount`` arrives as free."""
        self.free[asset] = self.free.get(asset, ZERO) + amount
        self.locked.setdefault(asset, ZERO)

    def rows(self, assets: Iterable[str] | None = None) -> list[tuple[str, Decimal, Decimal]]:
        """(asset, free, locked) for ``assets`` (default: every asset), sorted by asset."""
        names = sorted(self.free if assets is None else set(assets))
        return [(a, self.free.get(a, ZERO), self.locked.get(a, ZERO)) for a in names]
