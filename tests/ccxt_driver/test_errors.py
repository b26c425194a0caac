"""omsd's error codes reach a ccxt strategy as the matching ccxt exceptions; keys never cross accounts."""

import ccxt
import pytest
from ccxt.base.errors import (
    AccountNotEnabled,
    AuthenticationError,
    BadRequest,
    BadSymbol,
    CancelPending,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidOrder,
    NoChange,
    NotSupported,
    OperationRejected,
    OrderNotFound,
    PermissionDenied,
    RateLimitExceeded,
    RequestTimeout,
)

import ccxt_driver
from oms_daemon.client import OmsClient
from oms_daemon.http_api.errors import ErrorCode
from tests.ccxt_driver.checks import SYMBOL
from tests.ccxt_driver.conftest import config
from tests.daemon.process import DaemonProcess, eventually

EXPECTED = {
    ErrorCode.INVALID_API_KEY: AuthenticationError,
    ErrorCode.ACCOUNT_NOT_FOUND: AccountNotEnabled,
    ErrorCode.STRATEGY_NOT_PERMITTED: PermissionDenied,
    ErrorCode.VALIDATION_ERROR: BadRequest,
    ErrorCode.ORDER_NOT_FOUND: OrderNotFound,
    ErrorCode.DEAL_NOT_FOUND: BadRequest,
    ErrorCode.POSITION_NOT_FOUND: BadRequest,
    ErrorCode.ORDER_NOT_OPEN: OrderNotFound,
    ErrorCode.CANCEL_PENDING: CancelPending,
    ErrorCode.NOTHING_TO_CHANGE: NoChange,
    ErrorCode.INSUFFICIENT_FUNDS: InsufficientFunds,
    ErrorCode.RISK_REJECTED: InvalidOrder,
    ErrorCode.SAFE_MODE: OperationRejected,
    ErrorCode.UNKNOWN_SYMBOL: BadSymbol,
    ErrorCode.NO_QUOTE: ExchangeNotAvailable,
    ErrorCode.RATE_LIMITED: RateLimitExceeded,
    ErrorCode.NOT_FOUND: NotSupported,
    ErrorCode.METHOD_NOT_ALLOWED: NotSupported,
    ErrorCode.SHUTTING_DOWN: ExchangeNotAvailable,
    ErrorCode.JOURNAL_UNAVAILABLE: ExchangeNotAvailable,
    ErrorCode.TIMEOUT: RequestTimeout,
    ErrorCode.INTERNAL_ERROR: ExchangeError,
}


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_api_error_code_has_its_ccxt_exception(code: ErrorCode) -> None:
    # given an error body as omsd sends it, when the driver handles it, then the mapped exception is raised
    exchange = ccxt_driver.omsd({"apiKey": "k", "options": {"account_id": "a"}})
    body = {"error": {"code": str(code), "message": "m", "reason": None, "details": None}}
    with pytest.raises(EXPECTED[code]):
        exchange.handle_errors(400, "", "u", "GET", {}, "", body, {}, None)


def test_risk_reason_refines_the_exception() -> None:
    # given risk_rejected bodies with core reasons that ccxt has closer classes for
    assert ccxt_driver.exception_for("risk_rejected", "symbol_not_allowed") is BadSymbol
    assert ccxt_driver.exception_for("risk_rejected", "not_armed") is OperationRejected
    assert ccxt_driver.exception_for("risk_rejected", "quantity_step") is InvalidOrder
    assert ccxt_driver.exception_for("something_new", None) is ExchangeError


def test_refusals_raise_the_mapped_exceptions(omsd: DaemonProcess) -> None:
    # given a strategy on paper-1 with a filled order
    exchange = ccxt_driver.omsd(config(omsd, strategy_id="refusals"))
    filled = exchange.create_order(SYMBOL, "market", "buy", 0.001)
    eventually(lambda: exchange.fetch_order(filled["id"])["status"] == "closed")
    resting = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 1000)
    # when it makes each mistake, then it gets the ccxt exception for it
    with pytest.raises(OrderNotFound):
        exchange.fetch_order("987654321")
    with pytest.raises(OrderNotFound):
        exchange.cancel_order(filled["id"])  # order_not_open
    with pytest.raises(NoChange):
        exchange.edit_order(resting["id"], SYMBOL, "limit", "buy", 0.001, 1000)
    with pytest.raises(InsufficientFunds):
        exchange.create_order(SYMBOL, "market", "buy", 1_000_000)
    with pytest.raises(BadRequest):
        exchange.create_order(SYMBOL, "market", "buy", 0.001, params={"no_such_field": 1})  # validation_error
    with pytest.raises(BadSymbol):
        exchange.privatePostCcxtAccountIdFetchTicker({"account_id": "paper-1", "symbol": "ETH/USDT"})
    with pytest.raises(NotSupported):
        exchange.request("oms/no/such/route", "private", "GET", {})
    with pytest.raises(InvalidOrder, match="post_only_requires_limit"):  # risk_rejected with the core's reason
        exchange.create_order(SYMBOL, "market", "buy", 0.001, params={"postOnly": True})
    exchange.cancel_order(resting["id"])


def test_safe_mode_refuses_new_risk(omsd: DaemonProcess) -> None:
    # given paper-3 (used by no other driver test) put in SAFE mode by an operator
    exchange = ccxt_driver.omsd(config(omsd, key="fuzz", account="paper-3", strategy_id="safe"))
    with OmsClient(omsd.requests, account="paper-3", strategy="safe") as operator:
        assert operator.safe_mode(True, reason="test").ok
    # when a strategy tries to open risk, then it is refused with OperationRejected
    with pytest.raises(OperationRejected, match="safe_mode"):
        exchange.create_order(SYMBOL, "market", "buy", 0.001)


def test_credentials_and_scope_errors(omsd: DaemonProcess) -> None:
    # given drivers with a wrong key, another account, and a strategy the key may not use
    wrong_key = ccxt_driver.omsd({**config(omsd), "apiKey": "not-a-key"})
    other_account = ccxt_driver.omsd(config(omsd, account="paper-2"))
    other_strategy = ccxt_driver.omsd(config(omsd, key="two", account="paper-2", strategy_id="s9"))
    missing_account = ccxt_driver.omsd({**config(omsd), "options": {}})
    # then each is refused with its ccxt exception
    with pytest.raises(AuthenticationError):
        wrong_key.fetch_balance()
    with pytest.raises(AccountNotEnabled):
        other_account.fetch_balance()
    with pytest.raises(PermissionDenied):
        other_strategy.create_order(SYMBOL, "market", "buy", 0.001)
    with pytest.raises(ccxt.ArgumentsRequired):
        missing_account.fetch_balance()


def test_a_key_never_reaches_another_accounts_data(omsd: DaemonProcess) -> None:
    # given two strategies on two accounts, each with its own key
    one = ccxt_driver.omsd(config(omsd, strategy_id="isolation"))
    two = ccxt_driver.omsd(config(omsd, key="two", account="paper-2", strategy_id="s2"))
    mine = one.create_order(SYMBOL, "market", "buy", 0.001)
    theirs = two.create_order(SYMBOL, "market", "buy", 0.001)
    eventually(lambda: two.fetch_my_trades(SYMBOL))
    # when each asks for the other's order by id, then it does not exist for it
    with pytest.raises(OrderNotFound):
        one.fetch_order(theirs["id"])
    with pytest.raises(OrderNotFound):
        two.cancel_order(mine["id"])
    # and its listings only ever show its own account
    assert {t["info"]["account_id"] for t in two.fetch_my_trades(SYMBOL)} == {"paper-2"}
    assert {p["info"]["account_id"] for p in two.fetch_positions()} == {"paper-2"}
    assert mine["id"] not in {o["id"] for o in two.fetch_closed_orders(SYMBOL)}


def test_reads_are_retried_writes_are_not(omsd: DaemonProcess) -> None:
    # given a key limited to 1 request/s (burst 2) and a driver with a short backoff
    exchange = ccxt_driver.omsd(config(omsd, key="slow", strategy_id="slow", retryDelayMs=10))
    exchange.load_markets()
    exchange.fetch_balance()
    # when a write meets the limit, then it fails at once with RateLimitExceeded (never sent twice)
    with pytest.raises(RateLimitExceeded):
        exchange.create_order(SYMBOL, "market", "buy", 0.001)
    # and a read meeting the limit is retried after a backoff, and succeeds
    assert exchange.fetch_balance()["total"]["USDT"] > 0
