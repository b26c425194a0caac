"""Reconciliation passes, bounded by construction.

The core asks for a pass (``SnapshotRequested``) whenever something makes a position untrustworthy, and the
daemon asks for one at start-up and every ``interval_s``. However many asks arrive, an account has at most one
pass in flight, two passes start at least ``min_interval_s`` apart, and every ask that arrives while one is
running or waiting is folded into the one pass still to come: a burst of asks costs one pass, not one each.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from oms_daemon.core.events import SnapshotRequested

__all__ = ["PassScheduler"]

log = structlog.get_logger("omsd.reconciliation")


class _Account:
    __slots__ = ("folded", "last_start", "task", "wanted")

    def __init__(self) -> None:
        self.wanted: SnapshotRequested | None = None  # the next pass to run
        self.folded = 0  # asks folded into it
        self.last_start = float("-inf")
        self.task: asyncio.Task[None] | None = None


class PassScheduler:
    """Runs ``run(command)`` for reconciliation asks: one pass in flight per account, rate-limited, asks folded."""

    def __init__(
        self,
        run: Callable[[SnapshotRequested], Awaitable[None]],
        min_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._accounts: dict[str, _Account] = {}
        self.passes = 0
        """Passes started so far (all accounts)."""
        self.folded = 0
        """Asks that did not start a pass of their own (all accounts)."""

    @property
    def busy(self) -> int:
        """Accounts with a pass running or due."""
        return sum(1 for a in self._accounts.values() if a.task is not None)

    def request(self, command: SnapshotRequested) -> None:
        """Ask for a pass of ``command.account_id``; returns at once."""
        account = self._accounts.get(command.account_id)
        if account is None:
            account = self._accounts[command.account_id] = _Account()
        if account.wanted is None:
            account.wanted = command
        else:
            account.folded += 1
            self.folded += 1
        if account.task is None:
            account.task = asyncio.ensure_future(self._drive(account))

    async def _drive(self, account: _Account) -> None:
        try:
            while account.wanted is not None:
                wait = account.last_start + self._min_interval_s - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                command, folded = account.wanted, account.folded
                account.wanted, account.folded = None, 0
                account.last_start = self._clock()
                self.passes += 1
                if folded:
                    log.info("reconciliation asks folded", account=command.account_id, folded=folded)
                await self._run(command)
        finally:
            account.task = None

    async def wait(self, timeout: float) -> bool:
        """Bounded wait for the passes running or due; True if all finished."""
        tasks = [a.task for a in self._accounts.values() if a.task is not None]
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    async def close(self) -> None:
        """Cancel every pass running or due."""
        tasks = [a.task for a in self._accounts.values() if a.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for account in self._accounts.values():
            account.wanted = None
