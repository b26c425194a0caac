"""Fixtures: a real core behind a real ZmqApi (own thread, uvloop), and clients connected to it."""

from collections.abc import AsyncIterator, Iterator

import pytest

from oms_daemon.client import AsyncOmsClient
from tests.zmq.harness import Daemon, RawSockets


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    with Daemon() as running:
        yield running


@pytest.fixture
async def client(daemon: Daemon) -> AsyncIterator[AsyncOmsClient]:
    async with AsyncOmsClient(daemon.requests, daemon.events, account="A", strategy="s1") as strategy:
        yield strategy


@pytest.fixture
def raw() -> Iterator[RawSockets]:
    sockets = RawSockets()
    yield sockets
    sockets.close()
