"""The Dramatiq broker, chosen from settings: RedisBroker when a Redis URL is set, else a StubBroker served
by an in-process worker. Importing this module sets the global broker, so import it before any actor."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from settings import get_settings


def build_broker() -> dramatiq.Broker:
    settings = get_settings()
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=settings.redis_url, namespace=settings.queue_namespace,
                                              heartbeat_timeout=settings.queue_heartbeat_seconds * 1000,
                                              maintenance_chance=settings.queue_maintenance_chance)
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")  # starts the TimeLimit watchdog in-process (STACK.md)
    broker.add_middleware(CurrentMessage())
    from ops.jobs import JobContext

    broker.add_middleware(JobContext())  # job ids in the logs, job counts for /metrics, the doctor's pong
    if os.environ.get("MKT_RUN_SCHEDULER") == "1":  # set by `mkt worker` for its processes
        from workers.scheduler import SchedulerMiddleware

        broker.add_middleware(SchedulerMiddleware())
    return broker


def uses_redis() -> bool:
    return bool(get_settings().redis_url)


def ping() -> str:
    """Check the broker is reachable; return a short description. Raises when Redis is down."""
    settings = get_settings()
    if not settings.redis_url:
        return "in-process"
    import redis

    redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    return "redis"


broker = build_broker()
dramatiq.set_broker(broker)
