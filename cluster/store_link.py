"""How a node reaches the cluster's store: one URL, or the sentinels that name the current primary.

Every Redis client of a node comes from `connect`, so prices, leases, users' data and alerts all follow a
failover the same way: a Sentinel-managed pool asks the sentinels for the primary on each new connection.

Timeouts are short on purpose. A node must tell "Valkey is away" within a second or two (then it keeps its
viewers live on its own: see coordinator.py), and redis-py's default retry (3 retries with backoff) would
stretch one failed command to several seconds. Our loops retry themselves, so one quick retry is enough.
"""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ConstantBackoff

from settings import Settings

from .wire import redacted

TIMEOUT_S = 1.0


def _client_options() -> dict:
    return {'socket_timeout': TIMEOUT_S, 'socket_connect_timeout': TIMEOUT_S, 'health_check_interval': 2,
            'retry': Retry(ConstantBackoff(0.05), 1)}


def connect(settings: Settings) -> Redis:
    """A client of the store `settings` names; connections are made on first use, not here."""
    if settings.redis_sentinels:
        addresses = [(host.strip('[]'), int(port)) for host, _, port in
                     (s.rpartition(':') for s in settings.redis_sentinels)]
        sentinel = Sentinel(addresses, sentinel_kwargs={'socket_timeout': TIMEOUT_S,
                                                        'socket_connect_timeout': TIMEOUT_S})
        return sentinel.master_for(settings.redis_master, **_client_options())
    assert settings.redis_url, 'connect() is for cluster mode: --redis-url or --redis-sentinel'
    return Redis.from_url(settings.redis_url, **_client_options())


def describe(settings: Settings) -> str:
    """Where the store is, fit for a log line (no password)."""
    if settings.redis_sentinels:
        return f'primary {settings.redis_master!r} of sentinels {",".join(settings.redis_sentinels)}'
    return redacted(settings.redis_url or '')
