import dramatiq

from db.locks import try_lease
from db.session import unit_of_work
from workers.scheduler import PERIODIC, Scheduler, periodic


def test_a_lease_has_one_holder_until_it_runs_out(db):
    with unit_of_work() as uow:
        assert try_lease(uow.session, "job", "a", 60)
        assert not try_lease(uow.session, "job", "b", 60)
        assert try_lease(uow.session, "job", "a", 60)  # the holder renews
        assert try_lease(uow.session, "expired", "a", -1)
        assert try_lease(uow.session, "expired", "b", 60)  # a lapsed lease can be taken


def test_two_schedulers_fire_a_periodic_actor_once_per_interval(db):
    sent = []

    @periodic(3600)
    @dramatiq.actor(actor_name="test.tick", queue_name="test-tick")
    def tick() -> None:  # pragma: no cover - enqueued, not run here
        pass

    tick.send = lambda *a, **k: sent.append(1)
    try:
        first, second = Scheduler(), Scheduler()
        fired = first.tick() + second.tick() + first.tick()
        assert fired.count("test.tick") == 1
        assert len(sent) == 1
    finally:
        PERIODIC.pop("test.tick")
