"""A recording ``Inbox`` for adapter tests, and ``eventually``: wait for a condition, never a bare sleep."""

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from oms_daemon.core.inputs import Input

__all__ = ["RecordingInbox", "eventually"]

T = TypeVar("T")
InputT = TypeVar("InputT", bound=Input)


async def eventually(predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.002, what: str = "") -> T:
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` s pass (AssertionError)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"not true within {timeout}s: {what or getattr(predicate, '__name__', predicate)}")
        await asyncio.sleep(interval)


class RecordingInbox:
    """Keeps every input an adapter puts, in order; receive time is the wall clock in ns."""

    def __init__(self) -> None:
        self.events: list[Input] = []

    def now_ns(self) -> int:
        """Receive time to stamp on an input (UTC ns)."""
        return time.time_ns()

    def put(self, event: Input) -> None:
        """Record an input."""
        self.events.append(event)

    def of(self, kind: type[InputT], **fields: Any) -> list[InputT]:
        """Recorded inputs of type ``kind`` whose attributes equal ``fields``."""
        return [e for e in self.events if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())]

    async def eventually(self, predicate: Callable[[], T], timeout: float = 5.0, what: str = "") -> T:
        """``eventually`` bound to this inbox's tests (same semantics)."""
        return await eventually(predicate, timeout=timeout, what=what)
