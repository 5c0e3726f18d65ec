"""Both alert stores against the real thing (SQLite in a file, a real valkey-server): what is kept survives a
reopen, a firing is claimed once per arming and generation, logs stay short, tokens map to their browser, and
the cluster store tells other nodes what changed."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from alerts.model import ABOVE, Alert, AlertSpec, Condition, Firing, LogEntry, Webhook
from alerts.store_sqlite import SqliteStore
from alerts.store_valkey import ValkeyStore
from harness.waiting import eventually
from launcher.servers import ValkeyServer
from settings import Settings

SPEC = AlertSpec('BINANCE:BTCUSD', Condition(ABOVE, 100_000.5), repeat=False, cooldown=300, note='take profit',
                 webhook=Webhook('https://discord.com/api/webhooks/1/secret', 'discord'))


@pytest.fixture(scope='module')
def valkey(tmp_path_factory) -> ValkeyServer:
    server = ValkeyServer(tmp_path_factory.mktemp('valkey'))
    server.start()
    yield server
    server.stop()


def valkey_store(valkey: ValkeyServer, node: str) -> ValkeyStore:
    return ValkeyStore(Settings(redis_url=valkey.url, node_id=node))


@pytest.fixture(params=['sqlite', 'valkey'])
async def store(request, tmp_path: Path, valkey) -> AsyncIterator:
    made = SqliteStore(tmp_path / 'alerts.sqlite3') if request.param == 'sqlite' else valkey_store(valkey, 'n1')
    if request.param == 'valkey':
        await made.redis.flushdb()
    await made.start()
    yield made
    await made.stop()


async def test_an_alert_is_kept_whole(store):
    alert = Alert('a1', 'browser-1', SPEC)
    await store.put(alert)
    assert await store.get('a1') == alert
    assert await store.load() == [alert]
    assert await store.get('nope') is None


async def test_a_firing_counts_once_per_arming_and_generation(store):
    alert = Alert('a1', 'browser-1', dataclasses.replace(SPEC, repeat=True))
    await store.put(alert)
    seen_twice = [Firing(alert, 100_001.0, 1000.0), Firing(alert, 100_002.0, 1000.5)]  # two nodes, one crossing
    first, second = await store.claim(seen_twice)
    assert first == alert.fired(1000.0, 100_001.0) and second is None
    [again] = await store.claim([Firing(first, 100_003.0, 2000.0)])  # the next firing names the next generation
    assert again is not None and again.generation == 2
    rearmed = alert.rearmed(SPEC)
    await store.put(rearmed)
    [late] = await store.claim([Firing(again, 1.0, 3000.0)])  # for the arming before: refused
    assert late is None and await store.get('a1') == rearmed
    assert await store.delete('a1') and not await store.delete('a1')
    assert await store.claim([Firing(rearmed, 1.0, 4000.0)]) == [None]


async def test_the_delivery_log_keeps_the_last_ten_newest_first(store):
    await store.put(Alert('a1', 'browser-1', SPEC))
    for n in range(15):
        await store.add_log('a1', LogEntry(1000.0 + n, 'retrying', 500, f'attempt {n}'))
    entries = await store.log_of('a1')
    assert [e.detail for e in entries] == [f'attempt {n}' for n in range(14, 4, -1)]


async def test_a_token_names_its_browser_until_replaced(store):
    token = await store.token('browser-1')
    assert token.startswith('ct_') and await store.token('browser-1') == token
    assert await store.owner_of(token) == 'browser-1' and await store.owner_of('ct_nothing') is None
    fresh = await store.new_token('browser-1')
    assert fresh != token and await store.owner_of(fresh) == 'browser-1' and await store.owner_of(token) is None
    assert await store.token('browser-1') == fresh and await store.token('browser-2') != fresh


async def test_sqlite_keeps_alerts_across_a_reopen(tmp_path: Path):
    first = SqliteStore(tmp_path / 'alerts.sqlite3')
    await first.start()
    await first.put(Alert('a1', 'browser-1', SPEC))
    await first.stop()
    again = SqliteStore(tmp_path / 'alerts.sqlite3')
    await again.start()
    assert [a.id for a in await again.load()] == ['a1']
    assert (tmp_path / 'alerts.sqlite3').stat().st_mode & 0o077 == 0  # secrets inside: only this user reads it
    await again.stop()


async def test_other_nodes_hear_of_each_change(valkey):
    n1, n2 = valkey_store(valkey, 'n1'), valkey_store(valkey, 'n2')
    await n1.redis.flushdb()
    heard: list[tuple] = []
    n2.on_change(lambda alert_id, message: heard.append((alert_id, message.get('what'))))
    mine: list[tuple] = []
    n1.on_change(lambda alert_id, message: mine.append((alert_id, message.get('what'))))
    for store in (n1, n2):
        await store.start()
    try:
        await eventually(lambda: (None, None) in heard and (None, None) in mine, 5, 'both listening')
        alert = Alert('a1', 'browser-1', SPEC)
        await n1.put(alert)
        await n1.claim([Firing(alert, 1.0, 2.0)])
        await n1.add_log('a1', LogEntry(3.0, 'sent', 204), broken=False)
        await n1.delete('a1')
        await eventually(lambda: len(heard) == 5, 5, 'four changes heard')
        assert heard[1:] == [('a1', 'put'), ('a1', 'fired'), ('a1', 'log'), ('a1', 'delete')]
        # n1 hears n2's change after any of its own (one channel, in order): it must not act on its own
        await n2.put(Alert('b1', 'browser-2', SPEC))
        await eventually(lambda: ('b1', 'put') in mine, 5, "n2's change heard by n1")
        assert mine == [(None, None), ('b1', 'put')]
    finally:
        for store in (n1, n2):
            await store.stop()
