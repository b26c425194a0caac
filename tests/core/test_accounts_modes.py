"""Accounts (balances from fills, snapshots) and safety modes (SAFE, arming, kill switch, dirty)."""

from decimal import Decimal as D

import pytest

from oms_daemon.core.balances import free_balance, used_margin
from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import CancelAtVenue, ModeChanged, ReconciliationDone, SubmitToVenue
from oms_daemon.core.inputs import (
    KillSwitch,
    ReconciliationSnapshot,
    SessionStarted,
    SetArmed,
    SetSafeMode,
    VenueBalance,
)
from oms_daemon.core.reasons import Reason
from tests.core.scenario import CONFIG, Scenario, alerts, of_type, replies


@pytest.fixture
def s() -> Scenario:
    scenario = Scenario()
    scenario.fund("spot", USDT="10000", BTC="1")
    scenario.fund("fx", USD="10000")
    scenario.quote("BTC/USDT", "100", "101")
    scenario.quote("EURUSD", "1.1000", "1.1002", last="1.1001")
    return scenario


def test_given_cash_account_when_buy_fill_with_commission_then_both_currencies_move(s: Scenario) -> None:
    s.fill(s.working(qty="2"), "2", "100", commission=D("0.2"), commission_currency="USDT")
    assert s.state.accounts["spot"].balances == {"USDT": D("9799.8"), "BTC": D(3)}


def test_given_margin_account_when_round_trip_then_realized_pnl_and_commission_booked(s: Scenario) -> None:
    s.fill(s.working(account="fx", symbol="EURUSD", qty="1000"), "1000", "1.1000", commission=D("0.1"))
    s.fill(s.working(account="fx", symbol="EURUSD", side="SELL", qty="1000"), "1000", "1.1050", commission=D("0.1"))
    assert s.state.accounts["fx"].balances["USD"] == D("10004.8")


def test_given_margin_position_then_used_margin_from_margin_rate(s: Scenario) -> None:
    s.fill(s.working(account="fx", symbol="EURUSD", qty="10000"), "10000", "1.1000")
    assert used_margin(s.state, "fx") == D("550.05")  # 10000 * 1.1001 * 0.05
    assert free_balance(s.state, "fx", "USD") == D("10000") - D("550.05")


def test_given_working_buy_then_its_quote_is_locked_from_free_balance(s: Scenario) -> None:
    s.working(order_type=OrderType.LIMIT, price=D(50), qty="10")
    assert free_balance(s.state, "spot", "USDT") == D(9500)


def test_given_venue_balance_snapshot_then_it_overwrites_balances(s: Scenario) -> None:
    s.fill(s.working(qty="1"), "1", "100")
    s.fund("spot", USDT="5", BTC="0")
    assert s.state.accounts["spot"].balances == {"USDT": D(5), "BTC": D(0)}


def test_given_safe_mode_then_new_risk_refused_but_reducing_and_cancels_go(s: Scenario) -> None:
    s.fill(s.working(qty="1"), "1", "100")
    resting = s.working(order_type=OrderType.LIMIT, price=D(90), qty="0.5")
    events = s.apply(SetSafeMode, operator="alice", account_id="spot", enabled=True, request_id="op1")
    assert of_type(events, ModeChanged)[0].safe
    assert replies(s.submit(qty="1"))[0].reason == Reason.SAFE_MODE
    assert replies(s.submit(side="SELL", qty="1"))[0].ok
    from oms_daemon.core.inputs import CancelOrder

    assert replies(s.request(CancelOrder, account_id="spot", order_id=resting.order_id))[0].ok


def test_given_safe_mode_when_operator_leaves_it_without_reconciling_then_refused(s: Scenario) -> None:
    s.apply(SetSafeMode, operator="alice", account_id="spot", enabled=True)
    events = s.apply(SetSafeMode, operator="alice", account_id="spot", enabled=False, request_id="off")
    assert replies(events)[0].reason == Reason.RECONCILIATION_REQUIRED
    assert s.state.mode("spot").safe


def test_given_safe_mode_and_a_clean_reconciliation_when_operator_leaves_it_then_new_risk_accepted(s: Scenario) -> None:
    s.apply(SetSafeMode, operator="alice", account_id="spot", enabled=True)
    done = s.apply(ReconciliationSnapshot, account_id="spot", balances=(VenueBalance(currency="USDT", total=D(10000)),))
    assert of_type(done, ReconciliationDone)[0].clean
    assert replies(s.apply(SetSafeMode, operator="alice", account_id="spot", enabled=False, request_id="off"))[0].ok
    assert replies(s.submit(qty="1"))[0].ok


def test_given_live_account_then_disarmed_until_armed_by_an_operator(s: Scenario) -> None:
    s.fund("live", USDT="1000")
    assert replies(s.submit(account="live", qty="1"))[0].reason == Reason.NOT_ARMED
    s.apply(SetArmed, operator="bob", account_id="live", armed=True)
    assert replies(s.submit(account="live", qty="1"))[0].ok


def test_given_armed_live_account_when_daemon_restarts_then_disarmed_again(s: Scenario) -> None:
    s.apply(SetArmed, operator="bob", account_id="live", armed=True)
    s.apply(SessionStarted, config=CONFIG)
    assert not s.state.mode("live").armed
    assert s.state.mode("spot").armed


def test_given_working_orders_when_kill_switch_then_all_canceled_flattened_and_disarmed(s: Scenario) -> None:
    s.fill(s.working(qty="1"), "1", "100")
    resting = s.working(order_type=OrderType.LIMIT, price=D(90), qty="0.5")
    events = s.apply(KillSwitch, operator="carol", account_id="spot", flatten=True, reason="drill")
    assert [c.order.order_id for c in of_type(events, CancelAtVenue)] == [resting.order_id]
    flatten = of_type(events, SubmitToVenue)[0].order
    assert flatten.side == "SELL" and flatten.quantity == D(1) and flatten.reduce_only
    assert s.order(resting.order_id).status is S.PENDING_CANCEL
    mode = s.state.mode("spot")
    assert mode.killed and not mode.armed
    assert alerts(events, "kill_switch")
    assert replies(s.submit(qty="1"))[0].reason == Reason.KILL_SWITCH


def test_given_killed_account_when_armed_again_then_trading_resumes(s: Scenario) -> None:
    s.apply(KillSwitch, operator="carol", account_id="spot")
    s.apply(SetArmed, operator="carol", account_id="spot", armed=True)
    assert replies(s.submit(qty="1"))[0].ok


def test_given_dirty_position_then_increasing_orders_refused_reducing_allowed(s: Scenario) -> None:
    order = s.working(qty="1")
    s.fill(order, "1.5", "100")  # overfill marks it dirty
    assert replies(s.submit(qty="0.5"))[0].reason == Reason.POSITION_DIRTY
    assert replies(s.submit(side="SELL", qty="1"))[0].ok


def test_given_operator_command_for_unknown_account_then_refused(s: Scenario) -> None:
    events = s.apply(SetSafeMode, operator="x", account_id="ghost", enabled=True, request_id="q")
    assert replies(events)[0].reason == Reason.UNKNOWN_ACCOUNT
