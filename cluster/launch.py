"""`python -m cluster run N`: Valkey, a replica for --demo, N app nodes and HAProxy, started and stopped as one."""
from __future__ import annotations

import contextlib
import logging
import os
import secrets
import selectors
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Iterator

from .processes import ROOT, ManagedProcess, ServerError, describe_exit, free_port, port_is_free, sweep
from .servers import NODE_MARKER, Backend, HAProxy, NodeProcess, ReplicaProcess, ValkeyServer, haproxy_config
from .wire import redacted

log = logging.getLogger('cluster')

# Set in every piece's environment, inherited by their children: how orphans of a killed piece are found.
MARKER = 'CRYPTOTRACKER_CLUSTER'
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class ClusterPlan:
    nodes: int
    host: str = '0.0.0.0'
    port: int = 8080
    first_node_port: int | None = None  # None: port+1 onwards; 0: free ports
    demo: bool = False
    redis_url: str | None = None  # an existing Redis; None: start a Valkey
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


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM: a Shutdown raised inside Popen could orphan the child it was creating."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@dataclass
class Cluster:
    plan: ClusterPlan
    valkey: ValkeyServer | None = None
    replica: ReplicaProcess | None = None
    nodes: list[NodeProcess] = field(default_factory=list)
    haproxy: HAProxy | None = None
    cluster_id: str = field(default_factory=lambda: secrets.token_hex(8))

    def pieces(self) -> list[ManagedProcess]:
        """In stopping order: the door first, then the nodes (their viewers are gone), then what they use."""
        return [p for p in (self.haproxy, *self.nodes, self.replica, self.valkey) if p is not None]

    def start(self) -> None:
        os.environ[MARKER] = self.cluster_id
        deadline = time.monotonic() + self.plan.start_timeout
        self.plan.directory().mkdir(parents=True, exist_ok=True)
        redis_url = self._start_redis()
        node_args = [*self.plan.node_args, *self._start_replica()]
        self._start_nodes(node_args, redis_url, deadline)
        self._start_haproxy()
        shown = 'localhost' if self.plan.host in ('0.0.0.0', '::', '127.0.0.1', '') else self.plan.host
        nodes = f'{len(self.nodes)} node' + ('s' if len(self.nodes) > 1 else '')
        print(f'Cluster of {nodes} on http://{shown}:{self.plan.port}', flush=True)

    def _start(self, piece: ManagedProcess, timeout: float | None = None) -> None:
        with signals_held():
            piece.spawn()
        piece.wait_ready(timeout)

    def _start_redis(self) -> str | None:
        if self.plan.without_redis:
            log.info('no Redis: every node keeps its own prices')
            return None
        if self.plan.redis_url:
            log.info('redis: using %s, started elsewhere', redacted(self.plan.redis_url))
            return self.plan.redis_url
        self.valkey = ValkeyServer(self.plan.directory())
        self._start(self.valkey)
        log.info('valkey: %s (pid %d, %s, log %s)', self.valkey.url, self.valkey.pid, self.valkey.binary,
                 self.valkey.log_path)
        return self.valkey.url

    def _start_replica(self) -> list[str]:
        if not self.plan.demo:
            return []
        self.replica = ReplicaProcess(self.plan.directory())
        self._start(self.replica)
        log.info('replica: %s (pid %d, log %s)', self.replica.url, self.replica.pid, self.replica.log_path)
        return ['--tradingview-url', self.replica.url]

    def _start_nodes(self, args: list[str], redis_url: str | None, deadline: float) -> None:
        env: dict[str, str | None] = {'STORAGE_SECRET': _storage_secret(), 'DEMO': None, 'NODE_ID': None}
        if redis_url is None:
            env['REDIS_URL'] = None
        state = self.plan.directory()
        self.nodes = [NodeProcess(backend.name, backend.port, state, args, redis_url, env)
                      for backend in self.plan.backends()]
        for node in self.nodes:  # all at once: each spends seconds importing and launching Chromium
            with signals_held():
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
        """Block until a stop signal (raised as Shutdown) or until nothing is left; log each piece that dies."""
        with selectors.DefaultSelector() as selector:
            for piece in self.pieces():
                try:
                    selector.register(os.pidfd_open(piece.pid), selectors.EVENT_READ, piece)
                except ProcessLookupError:  # died, and was reaped, since it started
                    self._died(piece)
            try:
                while selector.get_map():
                    for key, _ in selector.select():
                        selector.unregister(key.fd)
                        os.close(key.fd)
                        self._died(key.data)
            finally:
                for key in list(selector.get_map().values()):
                    os.close(key.fd)
        log.error('every piece of the cluster has exited')
        return 1

    def _died(self, piece: ManagedProcess) -> None:
        log.error('%s exited unexpectedly (%s); the rest keep running (log %s)', piece.name,
                  describe_exit(piece.process.wait()), piece.log_path)
        if not isinstance(piece, NodeProcess):
            return
        if orphans := sweep({MARKER: self.cluster_id, NODE_MARKER: piece.name}):  # its Chromium, if it stayed
            log.warning('%s left %d process(es) running: stopped them', piece.name, len(orphans))

    def stop(self) -> None:
        pieces = self.pieces()
        if self.haproxy:
            self._stop([self.haproxy])
        self._stop(self.nodes)  # together: every Chromium closes at the same time
        self._stop([p for p in (self.replica, self.valkey) if p])
        if pieces and (orphans := sweep({MARKER: self.cluster_id})):
            log.warning('stopped %d leftover process(es)', len(orphans))

    @staticmethod
    def _stop(pieces: list[ManagedProcess]) -> None:
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
    for signum in _STOP_SIGNALS:
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
        for signum in _STOP_SIGNALS:  # from here on a signal must not interrupt the stopping
            signal.signal(signum, _already_stopping)
        cluster.stop()
        log.info('cluster stopped')

