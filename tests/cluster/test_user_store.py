"""Users' data on cluster nodes (cluster/user_store.py) against a real Valkey: two stores in this process play
two nodes. What NiceGUI's own Redis storage loses here (shared facts), ours must keep."""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis
from nicegui.storage import Storage

from cluster.user_store import UserData, UserStore
from harness.waiting import eventually
from launcher.servers import ValkeyServer
from library_hooks import storage


@pytest.fixture
def valkey(tmp_path: Path):
    server = ValkeyServer(tmp_path).start()
    yield server
    if server.alive:
        os.kill(server.pid, signal.SIGCONT)
    server.stop()


def client(valkey: ValkeyServer) -> aioredis.Redis:
    return aioredis.Redis.from_url(valkey.url, socket_timeout=1, socket_connect_timeout=1)


@pytest.fixture
async def nodes(valkey: ValkeyServer) -> AsyncIterator[tuple[UserStore, UserStore]]:
    stores = (UserStore(client(valkey), 'n1'), UserStore(client(valkey), 'n2'))
    for store in stores:
        await store.start()
    yield stores
    for store in stores:
        await store.stop(flush_s=0)


async def opened(store: UserStore, session: str) -> UserData:
    data = store.data(f'user-{session}')
    await data.initialize()
    return data


async def stored(valkey: ValkeyServer, session: str) -> dict | None:
    async with client(valkey) as redis:
        raw = await redis.get(f'nicegui:user-{session}')
    return orjson.loads(raw) if raw else None


async def test_a_change_reaches_the_store_and_the_other_node(valkey, nodes):
    n1, n2 = nodes
    on_n1, on_n2 = await opened(n1, 'a'), await opened(n2, 'a')
    on_n1['tickers'] = ['BINANCE:BTCUSD']
    await eventually(lambda: on_n2.get('tickers') == ['BINANCE:BTCUSD'], 5, 'the other node heard it')
    assert await stored(valkey, 'a') == {'tickers': ['BINANCE:BTCUSD']}


async def test_the_listener_survives_an_outage_and_catches_up_on_what_it_missed(valkey, nodes):
    n1, n2 = nodes
    on_n1, on_n2 = await opened(n1, 'b'), await opened(n2, 'b')
    on_n1['tickers'] = ['BINANCE:ETHUSD']
    await eventually(lambda: on_n2.get('tickers') == ['BINANCE:ETHUSD'], 5)
    os.kill(valkey.pid, signal.SIGSTOP)
    await eventually(lambda: not n1.up and not n2.up, 10, 'both noticed the store is away')
    on_n1['tickers'] = ['BINANCE:ETHUSD', 'BINANCE:SOLUSD']  # made while nobody can hear it
    os.kill(valkey.pid, signal.SIGCONT)
    await eventually(lambda: on_n2.get('tickers') == ['BINANCE:ETHUSD', 'BINANCE:SOLUSD'], 10,
                     'the change made during the outage reached the other node')
    on_n1['dark'] = True  # and the listeners still work after it
    await eventually(lambda: on_n2.get('dark') is True, 5)


async def test_a_store_that_lost_everything_gets_every_open_copy_back(valkey, nodes):
    n1, _ = nodes
    data = await opened(n1, 'c')
    data['tickers'] = ['BINANCE:ADAUSD']
    await stored_eventually(valkey, 'c', {'tickers': ['BINANCE:ADAUSD']}, 5)
    async with client(valkey) as redis:
        await redis.flushall()  # no disconnect at all: only the marker tells
    assert await stored(valkey, 'c') is None
    await stored_eventually(valkey, 'c', {'tickers': ['BINANCE:ADAUSD']}, 10)
    assert data == {'tickers': ['BINANCE:ADAUSD']}  # and the empty store did not empty the copy


async def test_a_copy_whose_first_read_failed_never_overwrites_the_stored_data(valkey, tmp_path, monkeypatch):
    async with client(valkey) as redis:
        await redis.set('nicegui:user-d', orjson.dumps({'tickers': ['BINANCE:XRPUSD', 'BINANCE:DOTUSD']}))
    store = UserStore(client(valkey), 'n1')
    await store.start()
    try:
        monkeypatch.setattr('cluster.user_store.FIRST_READ_S', 0.5)
        os.kill(valkey.pid, signal.SIGSTOP)
        data = await opened(store, 'd')
        assert not data.read and data == {}
        data['tickers'] = ['BINANCE:BTCUSD']  # the page showed nothing; the user added one
        assert store.unread_refused == 1
        os.kill(valkey.pid, signal.SIGCONT)
        await eventually(lambda: data.read, 10, 'read once the store answers')
        assert data == {'tickers': ['BINANCE:XRPUSD', 'BINANCE:DOTUSD']}
        assert await stored(valkey, 'd') == {'tickers': ['BINANCE:XRPUSD', 'BINANCE:DOTUSD']}
    finally:
        await store.stop(flush_s=0)


async def test_a_change_made_while_the_store_is_away_is_written_when_it_returns_even_after_the_page_closed(
        valkey, nodes):
    n1, _ = nodes
    data = await opened(n1, 'e')
    os.kill(valkey.pid, signal.SIGSTOP)
    data['tickers'] = ['BINANCE:LINKUSD']
    await data.close()  # NiceGUI lets go of it 10 s after its last page closed
    os.kill(valkey.pid, signal.SIGCONT)
    await stored_eventually(valkey, 'e', {'tickers': ['BINANCE:LINKUSD']}, 10)


async def stored_eventually(valkey: ValkeyServer, session: str, expected: dict, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (found := await stored(valkey, session)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f'stored {found}, not {expected}, after {timeout} s'
        await asyncio.sleep(0.05)


def test_a_nodes_store_makes_the_browsers_user_storage(monkeypatch):
    """The hook itself is tested in tests/test_library_hooks.py; here, what the app installs with it."""
    monkeypatch.setattr(Storage, '_create_persistent_dict', Storage._create_persistent_dict)
    storage.install(UserStore(aioredis.Redis(), 'n1').data)
    made = Storage._create_persistent_dict('user-f')
    assert isinstance(made, UserData) and made.key == 'nicegui:user-f'
    assert not isinstance(Storage._create_persistent_dict('general'), UserData)
