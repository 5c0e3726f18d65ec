"""How a node reaches the cluster's store: one URL, or the sentinels that name the current primary.

Every Redis client of a node comes from `connect`, so prices, leases, users' data and alerts all follow a
failover the same way: a Sentinel-managed pool asks the sentinels for the primary on each new connection.

Timeouts are short on purpose. A node must tell "Valkey is away" within a second or two (then it keeps its
viewers live on its own: see coordinator.py), and redis-py's default retry (3 retries with backoff) would
stretch one failed command to several seconds. Our loops retry themselves, so one quick retry is enough.
"""
from __future__ import annotations

import redis
import redis.retry
import redis.sentinel
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ConstantBackoff, NoBackoff

from settings import Settings

from .wire import redacted

TIMEOUT_S = 1.0


def _client_options() -> dict:
    return {'socket_timeout': TIMEOUT_S, 'socket_connect_timeout': TIMEOUT_S, 'health_check_interval': 2,
            'retry': Retry(ConstantBackoff(0.05), 1)}


def _sentinels(settings: Settings) -> list[tuple[str, int]]:
    return [(host.strip('[]'), int(port)) for host, _, port in (s.rpartition(':') for s in settings.redis_sentinels)]


def _timeouts() -> dict:
    return {'socket_timeout': TIMEOUT_S, 'socket_connect_timeout': TIMEOUT_S}


def connect(settings: Settings) -> Redis:
    """A client of the store `settings` names; connections are made on first use, not here."""
    if settings.redis_sentinels:
        sentinel = Sentinel(_sentinels(settings), sentinel_kwargs=_timeouts())
        return sentinel.master_for(settings.redis_master, **_client_options())
    assert settings.redis_url, 'connect() is for cluster mode: --redis-url or --redis-sentinel'
    return Redis.from_url(settings.redis_url, **_client_options())


def connect_blocking(settings: Settings) -> redis.Redis:
    """A blocking client of the same store, for a thread of its own (store_probe.py); no retry: one try, one
    answer."""
    options = {**_timeouts(), 'retry': redis.retry.Retry(NoBackoff(), 0)}
    if settings.redis_sentinels:
        sentinel = redis.sentinel.Sentinel(_sentinels(settings), sentinel_kwargs=_timeouts())
        return sentinel.master_for(settings.redis_master, **options)
    assert settings.redis_url, 'connect_blocking() is for cluster mode: --redis-url or --redis-sentinel'
    return redis.Redis.from_url(settings.redis_url, **options)


def describe(settings: Settings) -> str:
    """Where the store is, fit for a log line (no password)."""
    if settings.redis_sentinels:
        return f'primary {settings.redis_master!r} of sentinels {",".join(settings.redis_sentinels)}'
    return redacted(settings.redis_url or '')
