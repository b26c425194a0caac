"""Seed 001's /paper routes: filled orders with fills, rejection with reason and no fill, idempotent placement,
filters, cancel of NEW orders, and stop-loss / take-profit protection of a filled entry."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.daemon.process import eventually
from tests.http.daemon import Http, running, wait_http


def order(**fields: Any) -> dict[str, Any]:
    return {"symbol": "BTC/USDT", "side": "BUY", "qty": 0.01, "type": "market", "strategy": "paper", **fields}


def position(http: Http) -> Decimal:
    return sum((Decimal(p["quantity"]) for p in http.get("/oms/positions/open")[1]["items"]), Decimal(0))


def test_place_order_filled_creates_fill(http: Http) -> None:
    # when a market order is placed (JSON numbers are exact decimals)
    status, placed, _ = http.post("/paper/order", order(qty=0.10))
    # then it comes back FILLED with its fill
    assert status == 201 and placed["status"] == "FILLED" and placed["qty"] == "0.1"
    assert len(placed["fills"]) == 1 and placed["fills"][0]["order_id"] == placed["id"]
    assert Decimal(placed["filled_qty"]) == Decimal("0.1")


def test_place_order_rejected_no_fill_no_position_change(http: Http) -> None:
    # given the position before
    before = position(http)
    # when an order needing more funds than the account has is placed
    status, body, _ = http.post("/paper/order", order(qty=1_000_000))
    # then it is refused with the reason, recorded REJECTED, without fill or position change
    assert status == 422 and body["error"]["code"] == "insufficient_funds"
    rejected = body["error"]["details"]["order"]
    assert rejected["status"] == "REJECTED" and rejected["reason"] == "insufficient_funds" and rejected["fills"] == []
    assert position(http) == before
    assert http.get(f"/paper/orders/{rejected['id']}")[1]["status"] == "REJECTED"


def test_idempotency_key_returns_same_order(http: Http) -> None:
    # given an order placed with an idempotency key
    first = http.post("/paper/order", order(idempotency_key="oms-demo-001"))
    # when it is placed again with the same key
    second = http.post("/paper/order", order(idempotency_key="oms-demo-001"))
    # then the existing order comes back (200) and there is no second fill
    assert (first[0], second[0]) == (201, 200) and second[1]["id"] == first[1]["id"]
    assert len(second[1]["fills"]) == 1
    assert http.post("/paper/order", order(idempotency_key="bracket:1:sl"))[0] == 400


def test_list_orders_filters_work(http: Http) -> None:
    # given a filled and a resting order of one strategy
    filled = http.post("/paper/order", order(strategy="filters"))[1]
    resting = http.post("/paper/order", order(strategy="filters", type="limit", price="1000"))[1]
    # when listing by status and limit, then only matching orders come, newest first
    _, by_status, _ = http.get("/paper/orders?strategy=filters&symbol=BTC/USDT&status=FILLED&limit=50")
    assert [o["id"] for o in by_status["items"]] == [filled["id"]]
    _, newest, _ = http.get("/paper/orders?strategy=filters&limit=1")
    assert [o["id"] for o in newest["items"]] == [resting["id"]] and newest["next_cursor"] == resting["id"]
    assert http.get("/paper/orders?strategy=filters&symbol=ETH/USDT")[1]["items"] == []
    http.post(f"/paper/orders/{resting['id']}/cancel")


def test_cancel_new_order(http: Http) -> None:
    # given a NEW limit order resting far below the market
    status, resting, _ = http.post("/paper/order", order(type="limit", price="1000"))
    assert status == 201 and resting["status"] == "NEW"
    # when it is canceled, then it is CANCELED; a second cancel is refused (no longer NEW)
    status, canceled, _ = http.post(f"/paper/orders/{resting['id']}/cancel")
    assert status == 200 and canceled["status"] == "CANCELED"
    status, again, _ = http.post(f"/paper/orders/{resting['id']}/cancel")
    assert status == 409 and again["error"]["code"] == "order_not_open"
    assert http.post("/paper/orders/999999/cancel")[1]["error"]["code"] == "order_not_found"


def test_stop_loss_and_take_profit_protect_a_filled_entry(http: Http) -> None:
    # when a long entry is placed with a stop far below and a take profit a tick above the market
    # (placed again if the market moved past the take profit before the order got there)
    def place() -> tuple[Decimal, dict[str, Any]] | None:
        mid = Decimal(http.post("/ccxt/paper-1/fetch_ticker", {"symbol": "BTC/USDT"})[1]["mid"])
        take = (mid + Decimal("0.01")).quantize(Decimal("0.01"))
        stop = (mid * Decimal("0.5")).quantize(Decimal("0.01"))
        status, entry, _ = http.post(
            "/paper/order", order(strategy="bracket", stop_loss=str(stop), take_profit=str(take))
        )
        return (stop, entry) if status == 201 else None

    # and the random walk's bid reaches that take profit (a walk may wander off for long: then a new entry)
    def taken() -> tuple[Decimal, dict[str, Any], dict[str, Any]] | None:
        stop, entry = eventually(place)
        path = f"/paper/orders/{entry['id']}"
        try:
            done = eventually(lambda: (o := http.get(path)[1])["take_profit_order_id"] and o, 5)
        except AssertionError:
            return None
        return stop, entry, done

    stop, entry, done = eventually(taken, 60)
    # then a reduce-only STOP protected the filled quantity at the venue
    assert entry["status"] == "FILLED" and entry["stop_loss_order_id"] is not None
    _, legs, _ = http.get(f"/oms/orders/{entry['stop_loss_order_id']}")
    leg = legs["items"][0]
    assert (leg["order_type"], leg["side"], leg["reduce_only"], leg["stop_price"]) == ("STOP", "SELL", True, str(stop))
    # and once the bid reached the take profit, the stop was canceled and a reduce-only market order closed the entry
    closing = eventually(
        lambda: (
            (o := http.get(f"/oms/orders/{done['take_profit_order_id']}")[1]["items"][0])["status"] == "FILLED" and o
        )
    )
    assert closing["reduce_only"] and closing["side"] == "SELL" and closing["quantity"] == entry["filled_qty"]
    assert http.get(f"/oms/orders/{entry['stop_loss_order_id']}")[1]["items"][0]["status"] == "CANCELED"


def test_bracket_levels_are_checked(http: Http) -> None:
    # when a long's stop loss is above the market, or levels are given on a limit entry, then validation_error
    status, body, _ = http.post("/paper/order", order(stop_loss="1000000"))
    assert (status, body["error"]["code"]) == (400, "validation_error")
    status, body, _ = http.post("/paper/order", order(type="limit", price="1000", take_profit="2000"))
    assert (status, body["error"]["code"]) == (400, "validation_error")


def test_brackets_survive_a_restart(tmp_path: Path) -> None:
    # given an entry protected by a stop loss and a take profit far from the market
    with running(tmp_path) as daemon:
        http = Http(daemon.http_port)
        mid = Decimal(http.post("/ccxt/paper-1/fetch_ticker", {"symbol": "BTC/USDT"})[1]["mid"])
        levels = {"stop_loss": str((mid / 2).quantize(Decimal("0.01"))), "take_profit": str(mid * 2)}
        entry = http.post("/paper/order", order(strategy="restart", **levels))[1]
        # when omsd stops and starts again on the same journal
        daemon.stop()
        daemon.start()
        wait_http(daemon)
        # then the bracket is rebuilt from the journaled legs, take-profit watch included
        after = http.get(f"/paper/orders/{entry['id']}")[1]
        assert (after["stop_loss"], after["take_profit"]) == (levels["stop_loss"], levels["take_profit"])
        assert after["stop_loss_order_id"] == entry["stop_loss_order_id"]
