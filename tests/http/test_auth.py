"""x-api-key: a key acts only for its accounts (and strategies) and never reaches another account's data."""

from collections.abc import Callable

from tests.http.daemon import Http

ORDER = {"command": "send_order", "symbol": "BTC/USDT", "side": "BUY", "quantity": "0.001"}


def code(result: tuple[int, dict, dict]) -> tuple[int, str]:
    return result[0], result[1]["error"]["code"]


def test_missing_or_unknown_keys_are_refused(http: Http) -> None:
    # when a protected route is called without a key or with an unknown one, then invalid_api_key
    assert code(http.get("/oms/orders/open", key=None)) == (401, "invalid_api_key")
    assert code(http.get("/oms/orders/open", key="guess")) == (401, "invalid_api_key")
    # and the public routes need none
    assert http.get("/openapi.json", key=None)[0] == 200


def test_another_accounts_data_does_not_exist_for_a_key(http: Http, as_key: Callable[[str], Http]) -> None:
    # given an order of paper-2 (key two, strategy s2) and one of paper-1 (key one)
    two = as_key("two")
    theirs = two.post("/oms/commands", {**ORDER, "strategy": "s2"})[1]["order_id"]
    mine = http.post("/oms/commands", {**ORDER, "strategy": "auth"})[1]["order_id"]
    # when key one reaches for paper-2, by account or by id, then it gets not-found answers
    assert code(http.get("/oms/orders/open?account=paper-2")) == (404, "account_not_found")
    assert code(http.get(f"/oms/orders/{theirs}")) == (404, "order_not_found")
    assert code(http.get(f"/oms/orders/{mine},{theirs}")) == (404, "order_not_found")
    assert code(http.post("/ccxt/core/paper-2/fetch_balance")) == (404, "account_not_found")
    assert code(http.post("/oms/commands", {**ORDER, "account": "paper-2"})) == (404, "account_not_found")
    # and key two cannot cancel key one's order either
    cancel = {"command": "cancel_order", "strategy": "s2", "order_id": mine}
    assert code(two.post("/oms/commands", cancel)) == (404, "order_not_found")


def test_strategy_restricted_keys(as_key: Callable[[str], Http]) -> None:
    # given key two, restricted to strategy s2 on paper-2
    two = as_key("two")
    # when it acts for another strategy, then strategy_not_permitted; its default strategy is s2
    assert code(two.post("/oms/commands", {**ORDER, "strategy": "s9"})) == (403, "strategy_not_permitted")
    assert code(two.get("/oms/deals?strategy=s9")) == (403, "strategy_not_permitted")
    placed = two.post("/oms/commands", ORDER)[1]
    assert placed["order"]["strategy_id"] == "s2" and placed["order"]["account_id"] == "paper-2"


def test_a_key_for_several_accounts_must_name_one(as_key: Callable[[str], Http]) -> None:
    # given key both (paper-1 and paper-2)
    both = as_key("both")
    # then reads and writes must name the account
    assert code(both.get("/oms/orders/open")) == (400, "validation_error")
    assert both.get("/oms/orders/open?account=paper-2")[0] == 200
    assert both.get("/oms/positions/open?account=paper-1")[0] == 200


def test_rate_limited_keys_get_429_with_retry_after(as_key: Callable[[str], Http]) -> None:
    # given key slow (1 request/s, burst 2)
    slow = as_key("slow")
    # when it sends three requests at once, then the third is rate_limited with a Retry-After
    results = [slow.get("/oms/markets") for _ in range(3)]
    assert [r[0] for r in results[:2]] == [200, 200]
    assert code(results[2]) == (429, "rate_limited") and int(results[2][2]["Retry-After"]) >= 1
