"""/oms over a real socket: commands go through the writer, reads come from the views, errors carry codes."""

from typing import Any

from tests.daemon.process import eventually
from tests.http.daemon import Http

SYMBOL = "BTC/USDT"


def send(http: Http, strategy: str, **fields: Any) -> tuple[int, Any, dict[str, str]]:
    body = {"command": "send_order", "strategy": strategy, "symbol": SYMBOL, "side": "BUY", "quantity": "0.001"}
    return http.post("/oms/commands", {**body, **fields})


def test_send_change_cancel_and_read_back(http: Http) -> None:
    # given a resting limit order far below the market
    status, placed, _ = send(http, "oms-a", order_type="LIMIT", price="1000")
    assert status == 200 and placed["order"]["status"] in ("PENDING_NEW", "NEW")  # as of the answer: paper is quick
    order_id = placed["order_id"]
    eventually(lambda: http.get(f"/oms/orders/{order_id}")[1]["items"][0]["status"] == "NEW")
    # when it is changed, then the replacement gets a new id and the original is REPLACED
    status, changed, _ = http.post(
        "/oms/commands", {"command": "change_order", "strategy": "oms-a", "order_id": order_id, "price": "1100"}
    )
    assert status == 200 and changed["order"]["replaces_id"] == order_id
    new_id = changed["order_id"]
    eventually(lambda: http.get(f"/oms/orders/{order_id}")[1]["items"][0]["status"] == "REPLACED")
    # when the replacement is canceled
    status, canceled, _ = http.post(
        "/oms/commands", {"command": "cancel_order", "strategy": "oms-a", "order_id": new_id}
    )
    assert status == 200 and canceled["order"]["status"] in ("PENDING_CANCEL", "CANCELED")
    # then both are in the history, read by CSV ids in the order asked
    eventually(lambda: http.get(f"/oms/orders/{new_id}")[1]["items"][0]["status"] == "CANCELED")
    _, both, _ = http.get(f"/oms/orders/{new_id},{order_id}")
    assert [o["order_id"] for o in both["items"]] == [new_id, order_id]
    _, history, _ = http.get("/oms/orders/history?strategy=oms-a&status=REPLACED,CANCELED")
    assert {o["order_id"] for o in history["items"]} == {order_id, new_id}
    assert http.get("/oms/orders/open?strategy=oms-a")[1]["items"] == []


def test_wait_answers_once_the_venue_answered(http: Http) -> None:
    # when a limit order is sent, changed and canceled with wait
    placed = send(http, "oms-w", order_type="LIMIT", price="1000", wait=True)[1]["order"]
    change = {"command": "change_order", "strategy": "oms-w", "order_id": placed["order_id"], "price": "1001"}
    changed = http.post("/oms/commands", {**change, "wait": True})[1]["order"]
    cancel = {"command": "cancel_order", "strategy": "oms-w", "order_id": changed["order_id"], "wait": True}
    canceled = http.post("/oms/commands", cancel)[1]["order"]
    # then each answer already shows the venue's outcome
    assert (placed["status"], changed["status"], canceled["status"]) == ("NEW", "NEW", "CANCELED")
    assert placed["venue_order_id"] is not None


def test_fills_positions_and_close(http: Http) -> None:
    # given two market buys
    ids = [send(http, "oms-b", quantity="0.002")[1]["order_id"] for _ in range(2)]
    deals = eventually(lambda: len(d := http.get("/oms/deals?strategy=oms-b")[1]["items"]) == 2 and d)
    # then deals name their orders and positions; ids read back by CSV
    assert [d["order_id"] for d in deals] == ids
    _, by_id, _ = http.get("/oms/deals/" + ",".join(str(d["fill_id"]) for d in deals))
    assert by_id["items"] == deals
    position_id = deals[0]["position_id"]
    _, positions, _ = http.get(f"/oms/positions/{position_id}")
    assert positions["items"][0]["is_open"] and positions["items"][0]["side"] == "LONG"
    # when the account closes everything, then the positions end up closed
    status, closed, _ = http.post("/oms/commands", {"command": "close_all", "strategy": "oms-b", "symbol": SYMBOL})
    assert status == 200 and closed["orders"] and closed["orders"][0]["reduce_only"]
    eventually(lambda: http.get("/oms/positions/open")[1]["items"] == [])
    assert position_id in {p["position_id"] for p in http.get("/oms/positions/history")[1]["items"]}


def test_listings_page_by_cursor(http: Http) -> None:
    # given five orders of one strategy
    for _ in range(5):
        send(http, "oms-c", order_type="LIMIT", price="1000")
    # when they are listed two at a time
    seen, cursor = [], None
    while True:
        _, page, _ = http.get("/oms/orders/open?strategy=oms-c&limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [o["order_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then every order comes once, in id order; newest_first reverses them
    assert len(seen) == 5 and seen == sorted(seen)
    _, newest, _ = http.get("/oms/orders/open?strategy=oms-c&limit=2&newest_first=true")
    assert [o["order_id"] for o in newest["items"]] == seen[:-3:-1]
    http.post("/oms/commands", {"command": "close_all", "strategy": "oms-c"})
    for order_id in seen:
        http.post("/oms/commands", {"command": "cancel_order", "strategy": "oms-c", "order_id": order_id})


def test_refusals_have_stable_codes(http: Http) -> None:
    # when requests are malformed or refused, then each gets its code (and the core's reason)
    def error(status_body: tuple[int, Any, dict[str, str]]) -> tuple[int, str, str | None]:
        status, body, _ = status_body
        return status, body["error"]["code"], body["error"]["reason"]

    assert error(send(http, "oms-d", quantity="1e9")) == (422, "insufficient_funds", "insufficient_funds")
    assert error(send(http, "oms-d", quantity="0.00001")) == (422, "risk_rejected", "quantity_step")
    assert error(send(http, "oms-d", quantity="NaN"))[:2] == (400, "validation_error")
    assert error(send(http, "oms-d", quantity=0.5, side="UP"))[:2] == (400, "validation_error")
    assert error(send(http, "oms-d", symbol="DOGE/USDT")) == (400, "unknown_symbol", "unknown_symbol")
    assert error(http.post("/oms/commands", b"{not json"))[:2] == (400, "validation_error")
    assert error(http.post("/oms/commands", {"command": "launch"}))[:2] == (400, "validation_error")
    cancel = {"command": "cancel_order", "strategy": "oms-d", "order_id": 99999}
    assert error(http.post("/oms/commands", cancel)) == (404, "order_not_found", "order_not_found")
    assert error(http.get("/oms/orders/99998,99999"))[:2] == (404, "order_not_found")
    assert http.get("/oms/orders/99998,99999")[1]["error"]["details"] == {"missing": [99998, 99999]}
    assert error(http.get("/oms/deals/99999"))[:2] == (404, "deal_not_found")
    assert error(http.get("/oms/positions/99999"))[:2] == (404, "position_not_found")
    assert error(http.get("/oms/orders/open?limit=0"))[:2] == (400, "validation_error")
    assert error(http.get("/oms/orders/history?status=DONE"))[:2] == (400, "validation_error")
    assert error(http.get("/oms/nothing"))[:2] == (404, "not_found")
    assert error(http.call("DELETE", "/oms/commands"))[:2] == (405, "method_not_allowed")


def test_a_refused_order_is_recorded_rejected(http: Http) -> None:
    # given an order the core refuses
    status, body, _ = send(http, "oms-e", quantity="1e9", idempotency_key="too-big")
    # then the refusal names the REJECTED order, and repeating the key repeats the refusal without a new order
    assert status == 422 and body["error"]["details"]["status"] == "REJECTED"
    again = send(http, "oms-e", quantity="1e9", idempotency_key="too-big")[1]
    assert again["error"]["details"]["order_id"] == body["error"]["details"]["order_id"]


def test_balance_ticker_and_markets(http: Http) -> None:
    # when the ccxt paths and markets are read
    status, account, _ = http.post("/ccxt/core/paper-1/fetch_balance")
    _, ticker, _ = http.post("/ccxt/paper-1/fetch_ticker", {"symbol": SYMBOL})
    _, markets, _ = http.get("/oms/markets")
    # then they show the account's balances, the last quote and the tradable instruments
    assert status == 200 and {b["currency"] for b in account["balances"]} >= {"USDT", "BTC"}
    assert ticker["symbol"] == SYMBOL and float(ticker["bid"]) < float(ticker["ask"])
    assert [m["symbol"] for m in markets] == [SYMBOL] and markets[0]["step_size"] == "0.0001"
    assert http.post("/ccxt/paper-1/fetch_ticker", {"symbol": "ETH/USDT"})[1]["error"]["code"] == "unknown_symbol"
