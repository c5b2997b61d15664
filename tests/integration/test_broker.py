"""The queue round-trips a message through the configured broker (StubBroker, or Redis in CI)."""

import uuid

import dramatiq

from workers.actors import system_ping
from workers.broker import broker, uses_redis


def test_a_worker_consumes_what_is_enqueued():
    results: list[str] = []

    @dramatiq.actor(actor_name=f"test.record_{uuid.uuid4().hex[:6]}", queue_name=f"t{uuid.uuid4().hex[:6]}",
                    max_retries=0)
    def record(token: str) -> None:
        results.append(token)

    worker = dramatiq.Worker(broker, queues={record.queue_name}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        record.send("hello")
        broker.join(record.queue_name, timeout=10_000)
    finally:
        worker.stop()
    assert results == ["hello"]
    assert type(broker).__name__ == ("RedisBroker" if uses_redis() else "StubBroker")


def test_system_ping_is_declared_on_the_shared_broker():
    assert broker.get_actor("system.ping") is system_ping
