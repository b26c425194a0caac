"""The HTTP side's view of the event stream: one publisher that fans each step's events out to listeners
(the WebSocket hub, the bracket book) and wakes handlers waiting for an order to reach a status.
"""

import asyncio
import logging
from collections.abc import Callable

from oms_daemon.core.events import Event, OrderUpdated
from oms_daemon.core.model import Order
from oms_daemon.core.state import OmsState

__all__ = ["EventFeed"]

Listener = Callable[[list[Event]], None]

log = logging.getLogger(__name__)


class EventFeed:
    """Fans events out (call ``publish`` from the writer, on the loop thread)."""

    def __init__(self, state: Callable[[], OmsState]) -> None:
        self._state = state
        self._listeners: list[Listener] = []
        self._waiters: dict[int, list[tuple[Callable[[Order], bool], asyncio.Future[Order]]]] = {}

    def listen(self, listener: Listener) -> None:
        """Also hand every step's events to ``listener``."""
        self._listeners.append(listener)

    def publish(self, events: list[Event]) -> None:
        """Take one step's events (the daemon calls this after the journal append); never raises into the writer."""
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:
                log.exception("http event listener failed")
        if not self._waiters:
            return
        for event in events:
            if isinstance(event, OrderUpdated) and event.order.order_id in self._waiters:
                self._wake(event.order)

    def _wake(self, order: Order) -> None:
        waiting = self._waiters[order.order_id]
        for done, future in waiting:
            if not future.done() and done(order):
                future.set_result(order)

    async def wait_order(self, order_id: int, done: Callable[[Order], bool], timeout: float) -> Order | None:
        """The order once ``done(order)`` holds, or as it is after ``timeout`` seconds (None if unknown)."""
        current = self._state().orders.get(order_id)
        if current is not None and done(current):
            return current
        future: asyncio.Future[Order] = asyncio.get_running_loop().create_future()
        entry = (done, future)
        self._waiters.setdefault(order_id, []).append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return self._state().orders.get(order_id)
        finally:
            waiting = self._waiters.get(order_id, [])
            if entry in waiting:
                waiting.remove(entry)
            if not waiting:
                self._waiters.pop(order_id, None)
