"""Logging for the daemon: structlog for our code, stdlib logging (aiohttp, asyncio, ...) routed through it.

One handler on the root logger renders both: JSON lines (ISO UTC ``timestamp``, ``level``, ``logger``,
``event`` and the fields) for machines, or a pretty console for people. Every line passes
``redact_secrets`` first, so credentials never reach the output.
"""

import functools
import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import msgspec
import structlog

from oms_daemon.config import Secret

__all__ = ["LEVELS", "REDACTED", "configure_logging", "redact_secrets"]

LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
REDACTED = "***"

_SENSITIVE = re.compile(r"api[_-]?key|secret|passw(?:or)?d|passphrase|token|private[_-]?key|credential", re.IGNORECASE)
_handler: logging.Handler | None = None


@functools.lru_cache(maxsize=1024)
def _is_sensitive(key: str) -> bool:
    return _SENSITIVE.search(key) is not None


def _redact(key: Any, value: Any) -> Any:
    if (isinstance(key, str) and _is_sensitive(key)) or isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(None, v) for v in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: values under keys like api_key/secret/password/token/passphrase, and every
    ``Secret`` value (nested in dicts and lists too), become ``***``."""
    for key, value in event_dict.items():
        if key != "event":
            event_dict[key] = _redact(key, value)
    return event_dict


def _order_keys(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    head = {k: event_dict.pop(k) for k in ("timestamp", "level", "logger", "event") if k in event_dict}
    return {**head, **event_dict}


def _enc_hook(obj: Any) -> Any:
    return REDACTED if isinstance(obj, Secret) else str(obj)


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook, decimal_format="string")


def _dumps(obj: Any, **_: Any) -> str:
    try:
        return _encoder.encode(obj).decode()
    except (TypeError, ValueError, OverflowError):
        return json.dumps(obj, default=_enc_hook)


def configure_logging(level: str = "info", fmt: str = "auto", *, stream: TextIO | None = None) -> None:
    """Set up structlog and stdlib logging: ``fmt`` is ``json``, ``console`` or ``auto`` (console on a TTY).

    Calling it again replaces the previous set-up; ``stream`` defaults to stderr.
    """
    if level.lower() not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in ("auto", "json", "console"):
        raise ValueError(f"log format must be auto, json or console, got {fmt!r}")
    out = stream if stream is not None else sys.stderr
    tty = out.isatty() if hasattr(out, "isatty") else False
    as_json = fmt == "json" or (fmt == "auto" and not tty)
    threshold = LEVELS[level.lower()]

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: list[Any]
    if as_json:
        renderer = [
            structlog.processors.format_exc_info,
            _order_keys,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=tty)]

    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(out)
    _handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root.addHandler(_handler)
    root.setLevel(threshold)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        cache_logger_on_first_use=True,
    )
