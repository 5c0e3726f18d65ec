"""The engine's publisher (cluster/engine_publisher.py) against a real Valkey: what it writes, and what the store
refuses from an owner whose term has passed."""
from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from cluster.engine_publisher import EnginePublisher
from cluster.wire import PriceMessage, channel, history_key, latest_key
from harness.waiting import eventually
from settings import Settings

SYMBOL = 'BINANCE:BTCUSD'


async def latest(redis: aioredis.Redis) -> PriceMessage | None:
    raw = await redis.get(latest_key(SYMBOL))
    return PriceMessage.decode(raw) if raw else None


async def test_an_owned_symbols_changes_are_published_and_a_stale_term_is_refused(valkey):
    publisher = EnginePublisher(Settings(redis_url=valkey.url, node_id='n1'))
    publisher.start()
    redis = aioredis.Redis.from_url(valkey.url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel(SYMBOL))
    try:
        publisher.changed(SYMBOL, {'price': 1.0})  # not owned: nothing goes out
        publisher.own(SYMBOL, 100)
        publisher.changed(SYMBOL, {'price': 2.0})
        message = await next_message(pubsub, 5)
        assert message is not None and PriceMessage.decode(message['data']).values == {'price': 2.0}
        assert (await latest(redis)).fence == 100

        # Another node took the symbol in a newer term; this engine's next message must not replace it.
        newer = PriceMessage(200, 'n2', {'price': 3.0}, 0.0).encode()
        await redis.set(latest_key(SYMBOL), newer)
        publisher.changed(SYMBOL, {'price': 2.5})
        await eventually(lambda: publisher.refused == 1, 5, 'the stale message refused')
        assert (await latest(redis)).fence == 200 and await next_message(pubsub, 0.5) is None

        publisher.own(SYMBOL, 300)  # this node's own new term
        publisher.changed(SYMBOL, {'price': 4.0})
        await eventually(lambda: publisher.published == 2, 5)
        assert (await latest(redis)).values == {'price': 4.0}

        await redis.set(history_key(SYMBOL), b'{}')
        publisher.forget(SYMBOL)
        publisher.changed(SYMBOL, {'price': 5.0})  # after forget: not owned any more
        deadline_ok = await _gone(redis)
        assert deadline_ok, 'latest value and history deleted'
    finally:
        await pubsub.aclose()
        await redis.aclose()
        await publisher.stop()


async def next_message(pubsub, timeout: float) -> dict | None:
    """The next published message within `timeout` (get_message answers None for a skipped subscribe reply too)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        if (message := await pubsub.get_message(timeout=left)) is not None:
            return message
    return None


async def _gone(redis: aioredis.Redis) -> bool:
    for _ in range(250):
        if not await redis.exists(latest_key(SYMBOL), history_key(SYMBOL)):
            return True
        await asyncio.sleep(0.02)
    return False
