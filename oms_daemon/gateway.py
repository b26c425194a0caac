"""The seam between ingress (ZeroMQ, HTTP, CLI) and the writer task.

Ingress never touches state: it builds an input (an intent or operator command with a unique
``request_id`` and ``ts_recv`` from ``now_ns()``) and awaits the core's one ``Replied`` for it.
Reads go through ``state`` between events, on the loop thread that owns it.
"""

import asyncio
from collections.abc import Callable
from typing import Protocol

from oms_daemon.core.events import Replied
from oms_daemon.core.inputs import Intent, OperatorCommand
from oms_daemon.core.state import OmsState

__all__ = ["Gateway", "GatewayClosed"]


class GatewayClosed(Exception):
    """The daemon is shutting down and takes no more requests."""


class Gateway(Protocol):
    """What ingress may do with the daemon."""

    @property
    def state(self) -> OmsState:
        """The live state, read-only, for queries (read it on the loop thread only)."""
        ...

    def now_ns(self) -> int:
        """Receive time to stamp on a new input (UTC ns)."""
        ...

    def submit(
        self, request: Intent | OperatorCommand, on_reply: Callable[[Replied], None] | None = None
    ) -> asyncio.Future[Replied]:
        """Enqueue a request; the future resolves with its reply. Raises GatewayClosed when stopping.

        ``on_reply`` is called with the reply the moment the writer has it, before the future's callbacks
        run (they wait for the writer's batch to end): a socket can answer at once.
        """
        ...
