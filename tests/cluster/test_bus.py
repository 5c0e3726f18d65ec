"""The price bus against a real Valkey: a symbol followed while the bus is still connecting is subscribed too.

Found in a fresh clone's test_ownership: the first symbol a page added, right after its node started, never heard
its new owner after a hand-over (its solo tab closed with "the owner has not spoken"), and its card stayed on
the old price: follow() had found no connection to subscribe on, and the connection being made had been told
the symbols before it."""
from __future__ import annotations

import asyncio
import time

import psutil
import redis.asyncio as aioredis

from cluster.bus import PriceBus
from cluster.wire import PriceMessage, channel
from harness.waiting import eventually


def connections_to(port: int) -> int:
    return sum(1 for c in psutil.Process().net_connections('tcp') if c.raddr and c.raddr.port == port)


async def test_a_symbol_followed_while_the_bus_connects_is_delivered(valkey):
    admin = aioredis.Redis.from_url(valkey.url)
    store = aioredis.Redis.from_url(valkey.url)
    received: list[tuple[str, PriceMessage]] = []

    async def connected() -> None:
        pass
    bus = PriceBus(store, 'n1', lambda symbol, message: received.append((symbol, message)), connected)
    await admin.execute_command('CLIENT', 'PAUSE', 1500, 'ALL')  # the bus's first commands wait for this
    task = asyncio.create_task(bus.run())
    try:
        # Once the bus has its connection, it is inside its first subscribe, told the symbols followed so far.
        await eventually(lambda: connections_to(valkey.port) >= 2, 5, 'the bus to connect')
        await bus.follow('BINANCE:ADAUSD')
        await eventually(lambda: bus.up, 10, 'the bus to be subscribed')
        message = PriceMessage(7, 'n2', {'price': 0.56}, time.time())
        await admin.publish(channel('BINANCE:ADAUSD'), message.encode())
        await eventually(lambda: received, 5, 'the message on a channel followed while the bus connected')
        assert received == [('BINANCE:ADAUSD', message)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await admin.aclose()
        await store.aclose()
