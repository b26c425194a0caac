"""One omsd subprocess for the driver tests, and driver instances (sync, async, pro) pointed at it."""

from collections.abc import Iterator
from typing import Any

import pytest

import ccxt_driver
from tests.daemon.process import DaemonProcess
from tests.http.daemon import KEYS, running


@pytest.fixture(scope="package")
def omsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    with running(tmp_path_factory.mktemp("omsd-ccxt")) as daemon:
        yield daemon


def config(daemon: DaemonProcess, key: str = "one", account: str = "paper-1", **options: Any) -> dict[str, Any]:
    """A driver configuration for ``daemon``: the named key, ``account`` and extra options."""
    return {
        "apiKey": KEYS[key],
        "hostname": f"127.0.0.1:{daemon.http_port}",
        "options": {"account_id": account, **options},
    }


@pytest.fixture
def exchange(omsd: DaemonProcess, request: pytest.FixtureRequest) -> ccxt_driver.omsd:
    """A sync driver acting for strategy ``<test name>`` on paper-1."""
    return ccxt_driver.omsd(config(omsd, strategy_id=request.node.name[:40]))
