"""Stable machine-readable reason codes for every refusal the core makes."""

from enum import StrEnum

__all__ = ["Reason"]


class Reason(StrEnum):
    """Why an intent or request was refused; codes never change meaning once published."""

    NOT_CONFIGURED = "not_configured"
    UNKNOWN_ACCOUNT = "unknown_account"
    STRATEGY_NOT_PERMITTED = "strategy_not_permitted"
    UNKNOWN_SYMBOL = "unknown_symbol"
    SYMBOL_NOT_ALLOWED = "symbol_not_allowed"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    MISSING_PRICE = "missing_price"
    MISSING_STOP_PRICE = "missing_stop_price"
    POST_ONLY_NOT_LIMIT = "post_only_requires_limit"
    QUANTITY_STEP = "quantity_step"
    PRICE_TICK = "price_tick"
    MIN_QUANTITY = "min_quantity"
    MIN_NOTIONAL = "min_notional"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    REDUCE_ONLY = "reduce_only_would_increase"
    SAFE_MODE = "safe_mode"
    NOT_ARMED = "not_armed"
    KILL_SWITCH = "kill_switch_active"
    POSITION_DIRTY = "position_dirty"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_NOT_OPEN = "order_not_open"
    REPLACE_PENDING = "replace_pending"
    CANCEL_PENDING = "cancel_pending"
    NOTHING_TO_CHANGE = "nothing_to_change"
    QUANTITY_BELOW_FILLED = "quantity_below_filled"
    NO_POSITION = "no_position"
    POSITION_NOT_FOUND = "position_not_found"
    CLOSE_PENDING = "close_already_pending"
    VENUE_NOT_FOUND = "venue_not_found"
