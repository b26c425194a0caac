"""One omsd subprocess (paper venue, API keys of ``daemon.KEYS``) for the HTTP API tests."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.daemon.process import DaemonProcess
from tests.http.daemon import KEYS, Http, running


@pytest.fixture(scope="package")
def omsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    with running(tmp_path_factory.mktemp("omsd-http")) as daemon:
        yield daemon


@pytest.fixture
def http(omsd: DaemonProcess) -> Http:
    return Http(omsd.http_port)


@pytest.fixture
def as_key(omsd: DaemonProcess) -> Callable[[str], Http]:
    """A client using the named key of ``KEYS``."""
    return lambda name: Http(omsd.http_port, KEYS[name])


@pytest.fixture
def live_schema(omsd: DaemonProcess) -> Any:
    """The OpenAPI document served by the running daemon, loaded by schemathesis."""
    import schemathesis

    return schemathesis.openapi.from_url(f"http://127.0.0.1:{omsd.http_port}/openapi.json")
