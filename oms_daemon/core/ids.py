"""Hands out new order ids while one input is decided; evolve moves the state's counter past them."""

__all__ = ["IdAllocator"]


class IdAllocator:
    """Consecutive order ids starting at the state's ``next_order_id``."""

    __slots__ = ("next_id",)

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id

    def next_order(self) -> int:
        """Take the next id."""
        oid = self.next_id
        self.next_id += 1
        return oid
