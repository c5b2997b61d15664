"""Login back-off per account and per client address, on an injected clock."""

from domain.login_throttle import LoginThrottle

ACCOUNT, ADDRESS = ("account", "jane@acme.com"), ("address", "203.0.113.7")


def test_five_failures_are_free_then_each_one_doubles_the_block():
    t = LoginThrottle()
    for i in range(5):
        assert t.failed([ACCOUNT, ADDRESS], now=i) == 0
        assert t.retry_after([ACCOUNT], now=i) == 0
    delays = [t.failed([ACCOUNT], now=100 + 1000 * i) for i in range(5)]
    assert delays == [1, 2, 4, 8, 16]
    assert t.retry_after([ACCOUNT], now=4100) == 16 and t.retry_after([ACCOUNT], now=4116) == 0


def test_the_block_is_capped_and_forgotten_after_an_hour_of_quiet():
    t = LoginThrottle()
    for i in range(40):
        t.failed([ACCOUNT], now=i)
    assert t.retry_after([ACCOUNT], now=39) == 900
    assert t.failed([ACCOUNT], now=39 + 3601) == 0  # a fresh start


def test_an_address_trying_many_accounts_is_blocked_after_twenty_failures():
    t = LoginThrottle()
    for i in range(20):
        t.failed([("account", f"user{i}@x.com"), ADDRESS], now=0)
    assert t.retry_after([("account", "new@x.com"), ADDRESS], now=0) == 0
    t.failed([("account", "new@x.com"), ADDRESS], now=0)
    assert t.retry_after([("account", "other@x.com"), ADDRESS], now=0) == 1


def test_a_success_clears_the_account_and_memory_stays_bounded():
    t = LoginThrottle(max_keys=100)
    for _ in range(7):
        t.failed([ACCOUNT], now=0)
    t.succeeded([ACCOUNT])
    assert t.retry_after([ACCOUNT], now=0) == 0 and t.failures(ACCOUNT) == 0
    for i in range(1000):
        t.failed([("address", f"10.0.{i // 256}.{i % 256}")], now=i)
    assert len(t._keys) <= 100
