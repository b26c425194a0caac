"""Binance's request signing, checked the way Binance checks it.

REST: the key in ``X-MBX-APIKEY``; ``signature`` = HMAC-SHA256 (hex) of the query string followed by
the request body, exactly as sent, without the signature itself; ``timestamp`` within ``recvWindow``
(default 5000 ms, at most 60000) of the server clock and no more than 1000 ms ahead of it.
WebSocket API: the same HMAC over the request's params (``apiKey`` included) sorted by name.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from simex.config import SimexConfig
from simex.errors import MANDATORY, BinanceError

__all__ = ["check_rest", "check_ws"]

_SIGNATURE = re.compile(r"(^|&)signature=([^&]*)")


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _key(api_key: str | None, secrets: Mapping[str, str]) -> str:
    if not api_key:
        raise BinanceError(-2014, "API-key format invalid.", 401)
    if api_key not in secrets:
        raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    return api_key


def _check_time(params: Mapping[str, str], now_ms: int, config: SimexConfig) -> None:
    timestamp = params.get("timestamp")
    if not timestamp or not timestamp.isdigit():
        raise BinanceError.of(MANDATORY, "timestamp")
    window_text = params.get("recvWindow")
    window = int(window_text) if window_text and window_text.isdigit() else config.default_recv_window_ms
    if window > config.max_recv_window_ms:
        raise BinanceError(-1131, f"recvWindow must be less than {config.max_recv_window_ms}.")
    sent = int(timestamp)
    if sent < now_ms - window or sent > now_ms + config.future_skew_ms:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def check_rest(
    api_key: str | None, query: str, body: str, secrets: Mapping[str, str], now_ms: int, config: SimexConfig
) -> tuple[str, dict[str, str]]:
    """(api key, params) of a signed REST request; raises ``BinanceError`` (-2014/-2015/-1022/-1021/-1102)."""
    key = _key(api_key, secrets)
    payload, signature = None, None
    for part, rest in ((query, body), (body, query)):
        found = _SIGNATURE.search(part)
        if found is not None:
            signature = found.group(2)
            stripped = part[: found.start()] + part[found.end() :]
            if found.group(1) == "" and stripped.startswith("&"):
                stripped = stripped[1:]
            payload = stripped + rest if part is query else rest + stripped
            break
    if signature is None or payload is None:
        raise BinanceError.of(MANDATORY, "signature")
    if not hmac.compare_digest(_sign(secrets[key], payload), signature.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    params = dict(parse_qsl(query, keep_blank_values=True)) | dict(parse_qsl(body, keep_blank_values=True))
    params.pop("signature", None)
    _check_time(params, now_ms, config)
    return key, params


def check_ws(params: Mapping[str, object], secrets: Mapping[str, str], now_ms: int, config: SimexConfig) -> str:
    """The api key of a signed WebSocket API request; raises ``BinanceError`` like the REST check."""
    fields = {k: str(v) for k, v in params.items()}
    key = _key(fields.get("apiKey"), secrets)
    signature = fields.pop("signature", None)
    if not signature:
        raise BinanceError.of(MANDATORY, "signature")
    payload = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
    if not hmac.compare_digest(_sign(secrets[key], payload), signature.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    _check_time(fields, now_ms, config)
    return key
