"""A node's coordinator against a real Valkey: a store that does not answer makes the node degraded, a node
whose own loop is held while the store's answer waits in its socket does not (bench cluster: 2000 viewers
leaving one node at once held its loop for seconds, and it served every symbol from its own tabs for 7.5 s
while Valkey was fine), nor does one whose ticks overrun on a loop busy in short turns while the store probe
hears the store (2000 viewers connecting: both nodes degraded for ~9 s)."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from cluster.coordinator import TICK_TIMEOUT_S, Coordinator
from cluster.lease import Lease
from cluster.node import Node
from cluster.store_probe import KEEP_FOR_TTLS, StoreProbe
from harness.waiting import eventually
from settings import Settings


def hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # called from the loop's own thread: no callback of it runs meanwhile


@pytest.fixture
async def coordinated(valkey) -> AsyncIterator[tuple[Node, Coordinator, aioredis.Redis]]:
    node = Node(Settings(redis_url=valkey.url, node_id='n1'))
    coordinator = Coordinator(node)
    task = asyncio.create_task(coordinator.run())
    admin = aioredis.Redis.from_url(valkey.url)
    try:
        await eventually(lambda: coordinator.redis_up, 10, 'the first tick')
        yield node, coordinator, admin
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert not [t for t in threading.enumerate() if t.name.startswith('store probe')], 'the probe outlived its node'
        await admin.aclose()
        await node.redis.aclose()


async def test_a_store_that_does_not_answer_makes_the_node_degraded(coordinated):
    node, _, admin = coordinated
    assert node.degraded_since is None
    # CLIENT PAUSE holds every write for 3 s: the node's next tick gets no answer within TICK_TIMEOUT_S.
    await admin.execute_command('CLIENT', 'PAUSE', 3000, 'WRITE')
    await eventually(lambda: node.degraded_since is not None, 5, 'the node to notice')
    await eventually(lambda: node.degraded_since is None, 10, 'the node to rejoin')
    assert node.degraded_seconds > 0


async def a_write_waits(admin: aioredis.Redis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (await admin.info('clients'))['blocked_clients'] < 1:  # a write held by CLIENT PAUSE counts here
        assert time.monotonic() < deadline, 'the kicked tick never reached the store'


async def test_a_node_whose_own_loop_was_held_does_not_take_the_store_for_away(coordinated, caplog):
    node, coordinator, admin = coordinated
    # Writes wait 0.6 s and a tick starts now. Once it waits at the store the loop is held past that tick's
    # deadline: the store's answer arrives while the loop is held, and the timeout is noticed late.
    await admin.execute_command('CLIENT', 'PAUSE', 600, 'WRITE')
    coordinator.kick()
    await a_write_waits(admin, 0.5)
    hold_the_loop(TICK_TIMEOUT_S + 1)
    deadline = time.monotonic() + 3  # three more ticks on a free loop: none may call the store away
    while time.monotonic() < deadline:
        assert node.degraded_since is None and node.degraded_seconds == 0
        await asyncio.sleep(0.05)
    excused = [r for r in caplog.records if 'not taken for the store being away' in r.getMessage()]
    assert len(excused) == 1, caplog.text



def ticks_that_wait_behind_other_work(coordinator: Coordinator, seconds: float) -> None:
    """Each tick first waits `seconds` on a free loop, as each await of a tick waits its turn on a loop that
    2000 connecting viewers keep busy in short turns: the tick overruns, the timeout is noticed on time."""
    tick = coordinator._tick

    async def late_tick() -> None:
        await asyncio.sleep(seconds)
        await tick()
    coordinator._tick = late_tick  # type: ignore[method-assign]


async def test_a_tick_that_overruns_while_the_store_answers_does_not_make_the_node_degraded(coordinated, caplog):
    node, coordinator, admin = coordinated
    ticks_that_wait_behind_other_work(coordinator, TICK_TIMEOUT_S * 1.5)
    overran = time.monotonic() + 4  # ~three ticks overrun in a row, each on time: no held loop to excuse them
    while time.monotonic() < overran:
        assert node.degraded_since is None and node.degraded_seconds == 0, caplog.text
        await asyncio.sleep(0.05)
    late = [r for r in caplog.records if 'not taken for the store being away' in r.getMessage()]
    assert len(late) == 1 and 'the store probe had an answer' in late[0].getMessage(), caplog.text
    # The same overrunning ticks with the store silent for real: the probe hears nothing, the node degrades.
    await admin.execute_command('CLIENT', 'PAUSE', 4000, 'WRITE')
    await eventually(lambda: node.degraded_since is not None, 5, 'the node to notice')


async def test_a_held_loop_does_not_cost_a_node_its_leases_and_a_stuck_one_does(valkey):
    """The store probe renews what the last tick held; it stops when ticks stop for KEEP_FOR_TTLS ttls."""
    settings = Settings(redis_url=valkey.url, node_id='n1', lease_ttl=1.0)
    store = aioredis.Redis.from_url(valkey.url)
    lease = Lease(store, 'BINANCE:BTCUSD', settings.lease_ttl)
    probe = StoreProbe(settings)
    probe.start()
    try:
        assert await lease.acquire()
        probe.keep((lease.renewal(),))  # as a tick does
        hold_the_loop(settings.lease_ttl * 2.5)  # no tick can renew it meanwhile
        assert await store.get(lease.key) == lease.renewal().token.encode(), 'the lease expired while the loop was held'
        # No tick any more: within KEEP_FOR_TTLS ttls the probe stops, and the lease expires a ttl later.
        deadline = time.monotonic() + settings.lease_ttl * (KEEP_FOR_TTLS + 1) + 2
        while await store.exists(lease.key):
            assert time.monotonic() < deadline, 'a node whose ticks stopped kept its lease'
            await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(probe.stop)
        await store.aclose()
