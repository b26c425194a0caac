"""ccxt tests: the shared contract's asserts rewritten; one simulated exchange and one omsd per module.

Modules set ``POLL_INTERVAL_S`` to change the daemon's REST sweep (default 0.5 s), parametrize the
``stream_process`` fixture to run with the streams in the daemon and in a child process, or define their own
``sim`` / ``daemon`` fixtures (e.g. function-scoped, for tests that take the exchange down).
"""

import sys
from collections.abc import Iterator

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon
from tests.ccxt.truth import reset_book

if "adapters.testing.contract" not in sys.modules:
    pytest.register_assert_rewrite("adapters.testing.contract")


@pytest.fixture(scope="module")
def stream_process() -> bool:
    """Whether the daemon runs the account's streams in a child process (the account's ``stream_process``)."""
    return True


@pytest.fixture(scope="module")
def sim(stream_process: bool) -> Iterator[SimexProcess]:
    """The simulated exchange, a real process on free ports (one per daemon: client order ids restart)."""
    with SimexProcess() as process:
        yield process


@pytest.fixture(scope="module")
def daemon(
    sim: SimexProcess, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, stream_process: bool
) -> Iterator[CcxtDaemon]:
    """omsd trading ``bn-1`` at ``sim``."""
    poll = getattr(request.module, "POLL_INTERVAL_S", 0.5)
    folder = tmp_path_factory.mktemp("omsd")
    with CcxtDaemon(folder, sim, poll_interval_s=poll, stream_process=stream_process) as process:
        yield process


@pytest.fixture
def client(daemon: CcxtDaemon, sim: SimexProcess) -> Iterator[OmsClient]:
    """A strategy client of ``bn-1``; the exchange's book and faults are reset around each test."""
    reset_book(sim)
    with daemon.client() as strategy:
        yield strategy
    reset_book(sim)
