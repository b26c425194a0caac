"""Logging: JSON lines for machines, a console for people, and credentials redacted in both."""

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from oms_daemon.config import Secret
from oms_daemon.logs import configure_logging, redact_secrets


class TtyStream(io.StringIO):
    """A captured stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def json_lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_lines_carry_timestamp_level_event_and_fields() -> None:
    out = io.StringIO()
    configure_logging("info", "json", stream=out)

    structlog.get_logger("omsd.test").info("order accepted", client_order_id="omsd-7", qty=3)

    (line,) = json_lines(out)
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
    assert line["event"] == "order accepted"
    assert line["level"] == "info"
    assert line["logger"] == "omsd.test"
    assert (line["client_order_id"], line["qty"]) == ("omsd-7", 3)
    stamp = datetime.fromisoformat(str(line["timestamp"]).replace("Z", "+00:00"))
    assert stamp.utcoffset() == UTC.utcoffset(None)


def test_json_output_redacts_secrets() -> None:
    # given JSON logging
    out = io.StringIO()
    configure_logging("debug", "json", stream=out)

    # when credentials are logged under sensitive names, as Secret values and nested
    structlog.get_logger().info(
        "connecting",
        api_key="AK-1",
        apiKey="AK-2",
        secret="SE-3",
        password="PW-4",
        access_token="TK-5",
        passphrase="PP-6",
        credential=Secret("SV-7"),
        params={"exchange": "binance", "secret": "SE-8", "keys": [Secret("SV-9")]},
        host="api.binance.com",
    )

    # then none of them is printed, and the rest is
    text = out.getvalue()
    for value in ("AK-1", "AK-2", "SE-3", "PW-4", "TK-5", "PP-6", "SV-7", "SE-8", "SV-9"):
        assert value not in text
    (line,) = json_lines(out)
    assert line["api_key"] == line["secret"] == line["password"] == line["passphrase"] == "***"
    assert line["params"] == {"exchange": "binance", "secret": "***", "keys": ["***"]}
    assert line["host"] == "api.binance.com"


def test_stdlib_logging_goes_through_the_same_renderer_and_redaction() -> None:
    out = io.StringIO()
    configure_logging("info", "json", stream=out)

    logging.getLogger("aiohttp.access").warning("login with %s", Secret("hunter2"))

    (line,) = json_lines(out)
    assert line["event"] == "login with ***"
    assert (line["level"], line["logger"]) == ("warning", "aiohttp.access")


def test_level_filters_both_structlog_and_stdlib() -> None:
    out = io.StringIO()
    configure_logging("warning", "json", stream=out)

    structlog.get_logger().info("quiet")
    logging.getLogger("x").info("quiet too")
    structlog.get_logger().error("loud")

    assert [line["event"] for line in json_lines(out)] == ["loud"]


def test_exceptions_are_rendered_into_the_json_line() -> None:
    out = io.StringIO()
    configure_logging("info", "json", stream=out)

    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger().exception("venue call failed", token="TK")

    (line,) = json_lines(out)
    assert "ValueError: boom" in str(line["exception"])
    assert line["token"] == "***"


def test_auto_is_json_off_a_terminal_and_console_on_one() -> None:
    piped, tty = io.StringIO(), TtyStream()

    configure_logging("info", "auto", stream=piped)
    structlog.get_logger().info("hello", password="PW")
    configure_logging("info", "auto", stream=tty)
    structlog.get_logger().info("hello", password="PW")

    assert json_lines(piped)[0]["event"] == "hello"
    assert "hello" in tty.getvalue() and not tty.getvalue().lstrip().startswith("{")
    assert "PW" not in tty.getvalue()


def test_console_format_redacts_too() -> None:
    out = io.StringIO()
    configure_logging("info", "console", stream=out)

    structlog.get_logger().info("connect", api_key="AK-1", account="paper-1")

    assert "AK-1" not in out.getvalue()
    assert "paper-1" in out.getvalue()


def test_reconfiguring_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", stream=first)
    configure_logging("info", "json", stream=second)

    logging.getLogger("x").warning("once")

    assert first.getvalue() == ""
    assert len(json_lines(second)) == 1


def test_bad_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("loud", "json")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("info", "xml")


def test_redact_processor_leaves_harmless_fields_alone() -> None:
    event = {"event": "token refreshed", "symbol": "BTC/USDT", "session_token": "T", "n": 1}

    assert redact_secrets(None, "info", event) == {
        "event": "token refreshed",
        "symbol": "BTC/USDT",
        "session_token": "***",
        "n": 1,
    }
