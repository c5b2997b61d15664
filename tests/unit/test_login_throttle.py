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


def acct(name: str) -> tuple[str, str]:
    return ("account", name)


def test_failures_are_counted_and_forgotten_only_past_the_quiet_time():
    t = LoginThrottle(forget=100.0)
    t.failed([acct("a")], now=0.0)
    t.failed([acct("a")], now=1.0)
    assert t.failures(acct("a")) == 2 and t.failures(acct("nobody")) == 0
    t.failed([acct("a")], now=101.0)  # exactly `forget` after the last failure: still remembered
    assert t.failures(acct("a")) == 3
    t.failed([acct("a")], now=201.5)  # past it: counting starts again at this failure
    assert t.failures(acct("a")) == 1
    t.succeeded([acct("never-seen")])  # a success of a key with no failures is nothing to clear
    assert t.failures(acct("a")) == 1


def test_when_full_the_quiet_unblocked_keys_go_first_then_the_oldest():
    t = LoginThrottle(forget=100.0, max_keys=4)
    t.failed([acct("old")], now=0.0)
    t.failed([acct("edge")], now=50.0)
    t.failed([acct("a")], now=140.0)
    t.failed([acct("a")], now=141.0)
    t.failed([acct("c")], now=145.0)
    t.failed([acct("d")], now=150.0)  # full (4 keys): "old" is past the quiet time; "edge" exactly at it stays
    assert sorted(k[1] for k in t._keys) == ["a", "c", "d", "edge"] and t.failures(acct("a")) == 2
    t.failed([acct("e")], now=150.0)  # full, nobody quiet long enough: the oldest by its last failure goes
    assert sorted(k[1] for k in t._keys) == ["a", "c", "d", "e"]


def test_a_quiet_key_is_dropped_only_once_its_block_has_ended():
    t = LoginThrottle(forget=0.5, max_keys=2)
    for _ in range(10):
        t.failed([acct("q")], now=-10.0)  # the tenth failure: blocked for 16 s, until 6.0
    for _ in range(6):
        t.failed([acct("z")], now=0.0)  # the sixth: blocked for 1 s, until 1.0
    t.failed([acct("w")], now=1.0)  # full: both are quiet; "z"'s block ends now, so it goes, "q" stays blocked
    assert sorted(k[1] for k in t._keys) == ["q", "w"] and t.retry_after([acct("q")], now=1.0) == 5.0


def test_when_full_a_known_keys_failure_evicts_nobody():
    t = LoginThrottle(forget=100.0, max_keys=2)
    for _ in range(6):
        t.failed([acct("blocked")], now=0.0)
    t.failed([acct("b")], now=1.0)
    for n in range(10):  # full: "b" failing again and again must not push the blocked key out
        t.failed([acct("b")], now=2.0 + n)
    assert sorted(k[1] for k in t._keys) == ["b", "blocked"] and t.failures(acct("b")) == 11
