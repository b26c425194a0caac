"""What the ccxt tests share: the simulated exchange's settings and a ccxt account pointed at it."""

from decimal import Decimal
from typing import Any

from adapters.ccxt import CcxtVenue, CcxtVenueConfig, Credentials
from adapters.resilience import ResiliencePolicy
from oms_daemon.core.config import Instrument
from simex import SimexProcess

API_KEY, SECRET = "simex-key", "simex-secret"
ACCOUNT = "bn-1"
BTC = Instrument(
    symbol="BTC/USDT",
    base_currency="BTC",
    quote_currency="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_qty=Decimal("0.00001"),
    min_notional=Decimal("5"),
)
BINANCE_SIM_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
    "defaultType": "spot",
}
FAST = ResiliencePolicy(
    max_retries=2,
    initial_backoff_s=0.05,
    max_backoff_s=0.2,
    circuit_breaker_threshold=3,
    breaker_cooldown_s=0.3,
    reconnect_initial_s=0.05,
    reconnect_max_s=0.5,
    rate_limit_pause_s=0.5,
)


def account_config(sim: SimexProcess, **changes: Any) -> CcxtVenueConfig:
    """A binance account at the simulated exchange, with short timeouts and a fast sweep."""
    settings: dict[str, Any] = {
        "account_id": ACCOUNT,
        "exchange": "binance",
        "urls": sim.urls,
        "options": BINANCE_SIM_OPTIONS,
        "symbols": ("BTC/USDT",),
        "timeout_ms": 1500,
        "enable_rate_limit": False,
        "poll_interval_s": 0.5,
    }
    return CcxtVenueConfig(**(settings | changes))


def ccxt_venue(sim: SimexProcess, policy: ResiliencePolicy = FAST, **changes: Any) -> CcxtVenue:
    """A ``CcxtVenue`` with one account at ``sim``."""
    return CcxtVenue([(account_config(sim, **changes), Credentials(API_KEY, SECRET))], policy=policy, instruments=[BTC])
