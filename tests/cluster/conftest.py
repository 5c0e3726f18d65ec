"""Real Valkey, real app nodes (each with its own Chromium), real HAProxy, the replica, and real browsers."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from cluster.wire import PriceMessage, channel, latest_key
from launcher.chromium import chromium_path
from launcher.processes import free_port
from launcher.sentinels import SentinelGroup
from launcher.servers import Backend, HAProxy, NodeProcess, ValkeyServer

# Playwright for one module at a time, as in the e2e tests (the async engine tests cannot share its loop).
from tests.e2e.conftest import (  # noqa: F401
    browser,
    browser_context_args,
    browser_type,
    browser_type_launch_args,
    playwright,
)

LEASE_TTL = 3.0  # short, so failover tests are quick; the cluster's default is 6 s
NODE_ARGS = ('--headless', '--lease-ttl', str(LEASE_TTL), '--stale-after', '60')


class RunningCluster:
    """Valkey (or, `ha`, a primary, a replica and three sentinels), N nodes watching the replica, and optionally
    HAProxy in front of them."""

    def __init__(self, root: Path, replica_url: str, nodes: int = 2, balancer: bool = False,
                 ha: bool = False) -> None:
        self.root = root
        self.group = SentinelGroup(root / 'ha') if ha else None
        self._valkey = None if ha else ValkeyServer(root)
        env = {'STORAGE_SECRET': 'cluster-test-secret', 'CHROMIUM_PATH': chromium_path(), 'HEADLESS': None,
               'PYTEST_CURRENT_TEST': None}
        store = ({'sentinels': self.group.sentinel_addresses, 'master': self.group.master} if self.group else
                 {'redis_url': self.valkey.url})
        self.nodes = [NodeProcess(f'n{i}', free_port(), root, (*NODE_ARGS, '--tradingview-url', replica_url),
                                  env=env, **store) for i in range(1, nodes + 1)]
        self.haproxy = HAProxy([Backend(n.name, '127.0.0.1', n.port) for n in self.nodes], root, '127.0.0.1',
                               free_port()) if balancer else None

    @property
    def valkey(self) -> ValkeyServer:
        """The Valkey the nodes write to now: with sentinels, whichever they name the primary."""
        return self.group.primary() if self.group else self._valkey

    def start(self) -> RunningCluster:
        try:
            (self.group or self.valkey).start()
            for node in self.nodes:
                node.spawn()  # side by side: each waits for its own Chromium
            for node in self.nodes:
                node.wait_ready()
            if self.haproxy:
                self.haproxy.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for piece in [self.haproxy, *self.nodes, self.group or self._valkey]:
            if piece is not None:
                piece.stop()

    def node(self, name: str) -> NodeProcess:
        return next(node for node in self.nodes if node.name == name)

    def tickers(self, node: NodeProcess) -> dict[str, dict]:
        return {row['symbol']: row for row in httpx.get(f'{node.url}/api/tickers', timeout=10).json()['tickers']}

    def health(self, node: NodeProcess) -> dict[str, Any]:
        return httpx.get(f'{node.url}/health', timeout=10).json()

    def redis(self, *command: Any) -> Any:
        # The synchronous client: sync Playwright keeps an event loop running in this thread.
        with redis.Redis.from_url(self.valkey.url) as client:
            return client.execute_command(*command)

    def publish(self, symbol: str, message: PriceMessage) -> None:
        self.redis('PUBLISH', channel(symbol), message.encode())

    def latest(self, symbol: str) -> PriceMessage | None:
        raw = self.redis('GET', latest_key(symbol))
        return PriceMessage.decode(raw) if raw else None

    def logs(self) -> str:
        return '\n'.join(f'--- {piece.name}\n{piece.log_tail(40)}' for piece in [*self.nodes, self.valkey])


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[ValkeyServer]:
    """One Valkey of its own, for tests of a single part against the real store."""
    server = ValkeyServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def cluster(tmp_path: Path, replica_server) -> Iterator[RunningCluster]:
    """A fresh cluster for a test that kills or restarts something."""
    running = RunningCluster(tmp_path, replica_server.url).start()
    yield running
    running.stop()


@pytest.fixture
def balanced_cluster(tmp_path: Path, replica_server) -> Iterator[RunningCluster]:
    running = RunningCluster(tmp_path, replica_server.url, balancer=True).start()
    yield running
    running.stop()


@pytest.fixture
def ha_cluster(tmp_path: Path, replica_server) -> Iterator[RunningCluster]:
    """Nodes on Valkey that fails over: a primary, a replica and three sentinels."""
    running = RunningCluster(tmp_path, replica_server.url, ha=True).start()
    yield running
    running.stop()


@pytest.fixture(scope='module')
def shared_cluster(tmp_path_factory, replica_server) -> Iterator[RunningCluster]:
    """One cluster for the tests that leave it as they found it (each uses its own symbols)."""
    running = RunningCluster(tmp_path_factory.mktemp('cluster'), replica_server.url).start()
    yield running
    running.stop()


def fields(message: PriceMessage, **changes: Any) -> PriceMessage:
    return PriceMessage(changes.pop('fence', message.fence), changes.pop('node', message.node),
                        json.loads(json.dumps({**message.values, **changes})))
