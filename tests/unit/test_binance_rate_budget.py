"""The rate budget: limits from exchangeInfo, usage from reply headers, and how long a
request waits (hand-computed windows aligned to the clock)."""

from tui_trader.binance.rate_budget import (
    DEFAULT_LIMITS,
    RateBudget,
    RateLimit,
    limits_from_exchange_info,
)
from tui_trader.domain.enums import MarketKind

WEIGHT = RateLimit("x-mbx-used-weight-1m", 6000, 60, False)
ORDERS_10S = RateLimit("x-mbx-order-count-10s", 100, 10, True)


def test_limits_from_exchange_info_skip_what_has_no_header_or_does_not_parse() -> None:
    rows = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000},
        {"rateLimitType": "ORDERS", "interval": "FORTNIGHT", "intervalNum": 1, "limit": 9},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": "x", "limit": 9},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 0, "limit": 9},
        {"interval": "SECOND"},
    ]
    assert limits_from_exchange_info(rows) == (
        WEIGHT,
        ORDERS_10S,
        RateLimit("x-mbx-order-count-1d", 200000, 86400, True),
    )
    assert limits_from_exchange_info([]) == ()


def test_weight_near_the_limit_waits_until_the_next_minute() -> None:
    budget = RateBudget([WEIGHT])
    budget.observe({"X-MBX-USED-WEIGHT-1M": "5399"}, now=120.5)
    assert budget.slowdown(121.0, order=False) is None  # 5399 < 90 % of 6000
    budget.observe({"x-mbx-used-weight-1m": "5400"}, now=130.0)
    slow = budget.slowdown(135.0, order=False)
    assert slow is not None
    assert (slow.wait_s, slow.window_end) == (45.0, 180.0)  # the minute from 120 to 180
    assert slow.reason == "x-mbx-used-weight-1m at 5400 of 6000"
    assert budget.slowdown(180.0, order=True) is None  # the counter has reset


def test_order_counters_hold_back_orders_only_and_the_longest_wait_wins() -> None:
    budget = RateBudget([WEIGHT, ORDERS_10S])
    budget.observe({"X-MBX-ORDER-COUNT-10S": "95", "X-MBX-USED-WEIGHT-1M": "10"}, now=1003.0)
    assert budget.slowdown(1004.0, order=False) is None
    slow = budget.slowdown(1004.0, order=True)
    assert slow is not None and slow.wait_s == 6.0  # until 1010
    budget.observe({"X-MBX-USED-WEIGHT-1M": "5999"}, now=1004.0)
    slow = budget.slowdown(1004.0, order=True)
    assert slow is not None and slow.wait_s == 16.0  # the weight minute ends at 1020


def test_usage_before_its_limit_is_known_counts_once_the_limit_arrives() -> None:
    budget = RateBudget(())
    budget.observe({"X-MBX-USED-WEIGHT-1S": "96", "Content-Type": "x"}, now=10.25)
    assert budget.slowdown(10.5, order=False) is None  # no limit known yet
    budget.set_limits([RateLimit("x-mbx-used-weight-1s", 100, 1, False)])
    slow = budget.slowdown(10.5, order=False)
    assert slow is not None and slow.wait_s == 0.5


def test_garbage_header_values_are_ignored() -> None:
    budget = RateBudget([WEIGHT])
    budget.observe({"X-MBX-USED-WEIGHT-1M": "5900"}, now=0.0)
    budget.observe({"X-MBX-USED-WEIGHT-1M": "lots"}, now=1.0)
    slow = budget.slowdown(1.0, order=False)
    assert slow is not None and slow.reason.endswith("at 5900 of 6000")


def test_defaults_cover_weight_and_orders_on_both_markets() -> None:
    for market in MarketKind:
        headers = {limit.header for limit in DEFAULT_LIMITS[market]}
        assert "x-mbx-used-weight-1m" in headers
        assert any(h.startswith("x-mbx-order-count-") for h in headers)
