"""The cluster under test for the 'cluster' scenario, and what measures it from outside.

- ClusterStack: Valkey, the replica (no motion of its own), N nodes (`--headless --lease-ttl 6`, each its own
  Chromium) and HAProxy in front, from launcher.servers; one node can be SIGKILLed and started again with the
  same name and port. Every node and its children carry a mark of this run in their environment, so what a
  killed node leaves behind is found and stopped (launcher.processes.sweep), and nothing else is.
- cluster_groups (for bench.resources.CpuMeter): CPU per node (its web server process, its engine process with
  Playwright's
  driver, its Chromium), Valkey, HAProxy, the replica, the viewers, this process.
"""
from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.processes import raise_file_limit
from launcher.chromium import chromium_path, chromium_processes
from launcher.cluster import MARKER, signals_held
from launcher.processes import free_port, kill_all, sweep
from launcher.sentinels import SentinelGroup
from launcher.servers import Backend, HAProxy, NodeProcess, ReplicaProcess, ValkeyServer


class ClusterStack:
    def __init__(self, nodes: int = 2, lease_ttl: float = 6, stale_after: float = 60, ha: bool = False) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix='bench-cluster-')
        self.dir = Path(self._tmp.name)
        self.mark = secrets.token_hex(8)
        # ha: a primary, a replica and three sentinels (launcher.sentinels); else one Valkey
        self.group = SentinelGroup(self.dir / 'ha') if ha else None
        self._valkey = None if ha else ValkeyServer(self.dir)
        self.replica = ReplicaProcess(self.dir, tick=0)  # every change is one the benchmark made
        self.node_count = nodes
        self.lease_ttl = lease_ttl
        self.stale_after = stale_after
        self.nodes: list[NodeProcess] = []
        self.haproxy: HAProxy | None = None
        self._stopped: dict[str, Any] | None = None

    def start(self) -> ClusterStack:
        raise_file_limit()  # before the nodes start, so they inherit it (2000 sockets)
        try:
            if self.group is not None:
                self.group.start()
            for piece in [p for p in (self._valkey, self.replica) if p is not None]:
                with signals_held():  # a Ctrl+C inside Popen could orphan the child being made
                    piece.spawn()
                piece.wait_ready()
            env = {'STORAGE_SECRET': 'bench-cluster-secret', 'CHROMIUM_PATH': chromium_path(), 'HEADLESS': None,
                   'PYTEST_CURRENT_TEST': None, 'DEMO': None, 'NODE_ID': None, 'REDIS_URL': None,
                   MARKER: self.mark}
            args = ('--headless', '--lease-ttl', str(self.lease_ttl), '--stale-after', str(self.stale_after),
                    '--tradingview-url', self.replica.url)
            store = ({'sentinels': self.group.sentinel_addresses, 'master': self.group.master} if self.group else
                     {'redis_url': self.valkey.url})
            self.nodes = [NodeProcess(f'n{i}', free_port(), self.dir, args, env=env, **store)
                          for i in range(1, self.node_count + 1)]
            for node in self.nodes:
                with signals_held():
                    node.spawn()  # side by side: each waits for its own Chromium
            for node in self.nodes:
                node.wait_ready()
                wait_browser(node, 60)
            self.haproxy = HAProxy([Backend(n.name, '127.0.0.1', n.port) for n in self.nodes], self.dir,
                                   '127.0.0.1', free_port())
            with signals_held():
                self.haproxy.spawn()
            self.haproxy.wait_ready()
        except BaseException:  # nothing may outlive a failed start
            self.stop()
            raise
        return self

    @property
    def valkey(self) -> ValkeyServer:
        """The Valkey the nodes write to now (with sentinels: the one they name the primary)."""
        if self.group is not None:
            return self.group.primary()
        assert self._valkey is not None, 'without sentinels there is one Valkey, made in __init__'
        return self._valkey

    @property
    def url(self) -> str:
        assert self.haproxy is not None
        return self.haproxy.url

    def node(self, name: str) -> NodeProcess:
        return next(node for node in self.nodes if node.name == name)

    def kill(self, node: NodeProcess) -> tuple[float, list[psutil.Process]]:
        """SIGKILL the node's own process (not its children: what they do then is part of what is measured).
        Returns the time of the kill and the children it had."""
        assert node.process is not None and node.alive
        children = psutil.Process(node.pid).children(recursive=True)
        killed_at = time.time()
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)
        return killed_at, children

    async def restart(self, node: NodeProcess) -> float:
        """The same name, port and storage; returns seconds until /health answers and Chromium runs."""
        started = time.perf_counter()
        with signals_held():
            node.spawn()  # in this (main) thread: its death signal then follows this process, not a helper thread
        await asyncio.to_thread(node.wait_ready)
        await asyncio.to_thread(wait_browser, node, 60)
        return round(time.perf_counter() - started, 2)

    def stop(self) -> dict[str, Any]:
        """Everything stopped, in order (the door, the nodes together, what they use), orphans swept; the logs
        are kept in a directory of their own, named in the result."""
        if self._stopped is not None:
            return self._stopped
        codes: dict[str, Any] = {}
        try:
            if self.haproxy is not None:
                codes['haproxy'] = self.haproxy.stop()
            for node in self.nodes:
                node.terminate()
            for node in self.nodes:
                codes[node.name] = node.wait_stopped()
        finally:
            codes['replica'] = self.replica.stop()
            if self.group is not None:
                self.group.stop()
            else:
                codes['valkey'] = self.valkey.stop()
            swept = sweep({MARKER: self.mark})
        kept = Path(tempfile.gettempdir()) / f'{self.dir.name}-logs'
        kept.mkdir(exist_ok=True)
        problems: dict[str, list[str]] = {}
        for log in self.dir.glob('*.log'):
            shutil.copy(log, kept / log.name)
            lines = log.read_text(errors='replace').splitlines()
            problems[log.stem] = [line for line in lines if ' WARNING ' in line or ' ERROR ' in line]
        self._tmp.cleanup()
        self._stopped = {'exit_codes': codes, 'orphans_swept': len(swept), 'logs': str(kept),
                'log_problems': {name: len(lines) for name, lines in problems.items()},
                'log_problem_sample': {name: lines[:8] for name, lines in problems.items() if lines}}
        return self._stopped


def wait_browser(node: NodeProcess, timeout: float) -> None:
    """/health answers 200 before the node's Chromium is up; a node is only measured once it is."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f'{node.url}/health', timeout=2).json()['browser']['state'] == 'running':
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if not node.alive or time.monotonic() > deadline:
            raise node.error(f'has no running Chromium after {timeout:.0f} s')
        time.sleep(0.1)


def wait_gone(processes: list[psutil.Process], timeout: float) -> tuple[float | None, list[psutil.Process]]:
    """Seconds until every one of `processes` exited by itself (None if some did not), and those that did not:
    those are stopped here."""
    started = time.perf_counter()
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    if not alive:
        return round(time.perf_counter() - started, 2), []
    kill_all(alive, grace=0.5)
    return None, alive


# --- CPU ---------------------------------------------------------------------------------------------------

def cluster_groups(stack: ClusterStack) -> dict[str, list[psutil.Process]]:
    """As of now, by name: `n1` (its web server process), `n1_engine` (the engine process and Playwright's
    driver), `n1_chromium`, ..., `valkey`, `haproxy`, `replica`, `viewers` (everything else this benchmark
    started: viewer workers, the hop listener) and `bench`."""
    groups: dict[str, list[psutil.Process]] = {}
    under_test: set[int] = set()
    for node in stack.nodes:
        if not node.alive:
            continue
        try:
            root = psutil.Process(node.pid)
            tree = root.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        chromium = chromium_processes(root)
        groups[node.name], groups[f'{node.name}_engine'] = [root], [p for p in tree if p not in chromium]
        groups[f'{node.name}_chromium'] = chromium
        under_test |= {root.pid, *(p.pid for p in tree)}
    valkeys = stack.group.valkeys if stack.group else [stack.valkey]
    for piece in (*valkeys, stack.haproxy, stack.replica):
        if piece is not None and piece.alive and (pid := piece.pid) is not None:
            groups[piece.name] = [psutil.Process(pid)]
            under_test.add(pid)
    me = psutil.Process()
    groups['viewers'] = [p for p in me.children(recursive=True) if p.pid not in under_test]
    groups['bench'] = [me]
    return groups
