"""`python -m launcher run N`: Valkey (--ha: with a replica and sentinels), a replica for --demo, N app nodes and
HAProxy, started and stopped as one; a piece of Valkey that dies is started again (see keeper.py)."""
from __future__ import annotations

import logging
import os
import secrets
import selectors
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from cluster.wire import redacted
from replica.search import SEARCH_PATH

from .keeper import StoreKeeper
from .processes import (
    ROOT,
    STOP_SIGNALS,
    ManagedProcess,
    ServerError,
    describe_exit,
    free_port,
    port_is_free,
    signals_held,  # noqa: F401  (bench/cluster_stack.py imports it from here)
    sweep,
)
from .servers import NODE_MARKER, Backend, HAProxy, NodeProcess, ReplicaProcess, haproxy_config

log = logging.getLogger('cluster')

# Set in every piece's environment, inherited by their children: how orphans of a killed piece are found.
MARKER = 'CRYPTOTRACKER_CLUSTER'


@dataclass(frozen=True)
class ClusterPlan:
    nodes: int
    host: str = '0.0.0.0'
    port: int = 8080
    first_node_port: int | None = None  # None: port+1 onwards; 0: free ports
    demo: bool = False
    redis_url: str | None = None  # an existing Redis; None: start a Valkey
    redis_sentinels: str | None = None  # or existing sentinels, HOST:PORT,..., naming the primary redis_master
    redis_master: str = 'tracker'
    ha: bool = False  # start a primary, a replica and three sentinels rather than one Valkey
    without_redis: bool = False  # nodes that share nothing, for an app without cluster mode
    node_args: tuple[str, ...] = ()
    state_dir: Path | None = None
    start_timeout: float = 120

    def node_ports(self) -> list[int]:
        if self.first_node_port == 0:
            return [free_port() for _ in range(self.nodes)]
        first = self.port + 1 if self.first_node_port is None else self.first_node_port
        return list(range(first, first + self.nodes))

    def backends(self) -> list[Backend]:
        return [Backend(f'n{i}', '127.0.0.1', port) for i, port in enumerate(self.node_ports(), start=1)]

    def directory(self) -> Path:
        # Under the repository's ignored .state/ so logs outlive a crash; nothing there is worth committing.
        return self.state_dir or ROOT / '.state' / f'cluster-{self.port}'


def config_text(plan: ClusterPlan) -> str:
    return haproxy_config(plan.backends(), plan.host, plan.port)


class Shutdown(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


@dataclass
class Cluster:
    plan: ClusterPlan
    store: StoreKeeper | None = None
    replica: ReplicaProcess | None = None
    nodes: list[NodeProcess] = field(default_factory=list)
    haproxy: HAProxy | None = None
    cluster_id: str = field(default_factory=lambda: secrets.token_hex(8))
    _reported: set[int] = field(default_factory=set)  # pids already logged as dead

    def pieces(self) -> list[ManagedProcess]:
        """In stopping order: the door first, then the nodes (their viewers are gone), then what they use."""
        store = self.store.pieces() if self.store else []
        return [p for p in (self.haproxy, *self.nodes, self.replica, *store) if p is not None]

    def start(self) -> None:
        os.environ[MARKER] = self.cluster_id
        deadline = time.monotonic() + self.plan.start_timeout
        self.plan.directory().mkdir(parents=True, exist_ok=True)
        store = self._start_redis(deadline)
        node_args = [*self.plan.node_args, *self._start_replica()]
        self._start_nodes(node_args, store, deadline)
        self._start_haproxy()
        shown = 'localhost' if self.plan.host in ('0.0.0.0', '::', '127.0.0.1', '') else self.plan.host
        nodes = f'{len(self.nodes)} node' + ('s' if len(self.nodes) > 1 else '')
        print(f'Cluster of {nodes} on http://{shown}:{self.plan.port}', flush=True)

    def _start(self, piece: ManagedProcess, timeout: float | None = None) -> None:
        piece.spawn()
        piece.wait_ready(timeout)

    def _start_redis(self, deadline: float) -> dict[str, str]:
        """How the nodes reach the store: NodeProcess keyword arguments (none: no store)."""
        plan = self.plan
        if plan.without_redis:
            log.info('no Redis: every node keeps its own prices')
            return {}
        if plan.redis_url:
            log.info('redis: using %s, started elsewhere', redacted(plan.redis_url))
            return {'redis_url': plan.redis_url}
        if plan.redis_sentinels:
            log.info('redis: primary %r of sentinels %s, started elsewhere', plan.redis_master, plan.redis_sentinels)
            return {'sentinels': plan.redis_sentinels, 'master': plan.redis_master}
        self.store = StoreKeeper(plan.directory(), ha=plan.ha, master=plan.redis_master)
        return self.store.start(max(1.0, deadline - time.monotonic()))

    def _start_replica(self) -> list[str]:
        if not self.plan.demo:
            return []
        self.replica = ReplicaProcess(self.plan.directory())
        self._start(self.replica)
        log.info('replica: %s (pid %d, log %s)', self.replica.url, self.replica.pid, self.replica.log_path)
        return ['--tradingview-url', self.replica.url, '--symbol-search-url', self.replica.url + SEARCH_PATH]

    def _start_nodes(self, args: list[str], store: dict[str, str], deadline: float) -> None:
        env: dict[str, str | None] = {'STORAGE_SECRET': _storage_secret(), 'DEMO': None, 'NODE_ID': None}
        if not store:
            env.update(REDIS_URL=None, REDIS_SENTINEL=None, REDIS_MASTER=None)
        state = self.plan.directory()
        self.nodes = [NodeProcess(backend.name, backend.port, state, args, env=env, **store)
                      for backend in self.plan.backends()]
        for node in self.nodes:  # all at once: each spends seconds importing and launching Chromium
            node.spawn()
        for node in self.nodes:
            node.wait_ready(max(1.0, deadline - time.monotonic()))
            log.info('%s: %s (pid %d, log %s)', node.name, node.url, node.pid, node.log_path)

    def _start_haproxy(self) -> None:
        backends = [Backend(node.name, '127.0.0.1', node.port) for node in self.nodes]
        self.haproxy = HAProxy(backends, self.plan.directory(), self.plan.host, self.plan.port)
        self._start(self.haproxy)
        log.info('haproxy: %s:%d -> %s (pid %d, config %s)', self.plan.host, self.plan.port,
                 ' '.join(b.name for b in backends), self.haproxy.pid, self.haproxy.config_path)

    def supervise(self) -> int:
        """Block until a stop signal (raised as Shutdown) or until nothing is left; log each piece that dies.
        A dead piece of Valkey is started again by the keeper; the rest stay down (a node's viewers move on)."""
        with selectors.DefaultSelector() as selector:
            try:
                while self._watch(selector) or (self.store and self.store.pending()):
                    for key, _ in selector.select(timeout=1.0):
                        selector.unregister(key.fd)
                        os.close(key.fd)
                        self._died(key.data)
                    if self.store:
                        self.store.tick()
            finally:
                for key in list(selector.get_map().values()):
                    os.close(key.fd)
        log.error('every piece of the cluster has exited')
        return 1

    def _watch(self, selector: selectors.BaseSelector) -> bool:
        """Watch every piece started since the last call (first all, then those the keeper restarted)."""
        watched = {key.data.pid for key in selector.get_map().values()}
        for piece in self.pieces():
            if piece.pid is None or piece.pid in watched or piece.pid in self._reported:
                continue
            try:
                selector.register(os.pidfd_open(piece.pid), selectors.EVENT_READ, piece)
            except ProcessLookupError:  # died, and was reaped, since it started
                self._died(piece)
        return bool(selector.get_map())

    def _died(self, piece: ManagedProcess) -> None:
        assert piece.process is not None and piece.pid is not None  # it was started: it has died
        self._reported.add(piece.pid)
        log.error('%s exited unexpectedly (%s); the rest keep running (log %s)', piece.name,
                  describe_exit(piece.process.wait()), piece.log_path)
        if self.store and self.store.owns(piece):
            self.store.died(piece)
        if not isinstance(piece, NodeProcess):
            return
        if orphans := sweep({MARKER: self.cluster_id, NODE_MARKER: piece.name}):  # its Chromium, if it stayed
            log.warning('%s left %d process(es) running: stopped them', piece.name, len(orphans))

    def stop(self) -> None:
        pieces = self.pieces()
        if self.haproxy:
            self._stop([self.haproxy])
        self._stop(self.nodes)  # together: every Chromium closes at the same time
        self._stop([self.replica] if self.replica else [])
        if self.store:
            self.store.stop()  # the sentinels first: stopping the primary must start no failover
        if pieces and (orphans := sweep({MARKER: self.cluster_id})):
            log.warning('stopped %d leftover process(es)', len(orphans))

    @staticmethod
    def _stop(pieces: Sequence[ManagedProcess]) -> None:
        running = [piece for piece in pieces if piece.alive]
        for piece in running:
            piece.terminate()
        for piece in running:
            piece.wait_stopped()


def _storage_secret() -> str:
    if secret := os.environ.get('STORAGE_SECRET'):
        return secret
    # Every node must sign the session cookie alike, or a browser's list vanishes when it changes node.
    log.warning('STORAGE_SECRET is not set: one made for this run (./run.sh keeps one in .storage_secret)')
    return secrets.token_urlsafe(32)


def _raise_shutdown(signum: int, _: FrameType | None) -> None:
    raise Shutdown(signum)


def _already_stopping(signum: int, _: FrameType | None) -> None:
    log.info('%s: already stopping', signal.Signals(signum).name)


def check_ports(plan: ClusterPlan) -> None:
    taken = [port for port in [plan.port] if not port_is_free(plan.host or '0.0.0.0', port)]
    if plan.first_node_port != 0:
        taken += [port for port in plan.node_ports() if not port_is_free('127.0.0.1', port)]
    if taken:
        raise ServerError(f'port(s) {", ".join(map(str, taken))} already in use: choose --port or --node-port')


def run(plan: ClusterPlan) -> int:
    """Start everything, keep it running until SIGINT/SIGTERM, then stop everything; the exit code."""
    cluster = Cluster(plan)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_shutdown)
    try:
        check_ports(plan)
        cluster.start()
        return cluster.supervise()
    except Shutdown as stop:
        log.info('%s: stopping the cluster', stop)
        return 0
    except ServerError as problem:
        log.error('%s', problem)
        return 1
    finally:
        for signum in STOP_SIGNALS:  # from here on a signal must not interrupt the stopping
            signal.signal(signum, _already_stopping)
        cluster.stop()
        log.info('cluster stopped')

