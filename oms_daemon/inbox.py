"""The one ordered queue every producer feeds and the writer task drains in batches."""

import asyncio
from collections import deque

from oms_daemon.clock import EventClock
from oms_daemon.core.inputs import Input

__all__ = ["EventInbox"]


class EventInbox:
    """FIFO of inputs for a single consumer; producers stamp ``ts_recv`` with ``now_ns()``."""

    def __init__(self, clock: EventClock | None = None) -> None:
        self._items: deque[Input] = deque()
        self._ready = asyncio.Event()
        self.clock = clock or EventClock()
        self.now_ns = self.clock.now_ns
        """Receive time in UTC nanoseconds: the wall clock, never going back (see ``EventClock``)."""

    def put(self, event: Input) -> None:
        """Enqueue without blocking (callable from any task on the loop thread)."""
        self._items.append(event)
        self._ready.set()

    def __len__(self) -> int:
        return len(self._items)

    def take_all(self) -> list[Input]:
        """Everything queued now, without waiting."""
        items = list(self._items)
        self._items.clear()
        return items

    async def take(self, limit: int) -> list[Input]:
        """Wait for at least one input, then take up to ``limit`` in arrival order."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        items = self._items
        count = min(limit, len(items))
        return [items.popleft() for _ in range(count)]
