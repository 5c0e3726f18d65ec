"""Run the replica in a background thread with its own event loop, on a free local port."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from .app import create_app


class ReplicaServer:
    """`server.start()` returns once connections are accepted; `server.stop()` leaves no thread behind."""

    def __init__(self, *, tick_interval: float = 1.0, seed: int | None = None, host: str = '127.0.0.1',
                 port: int = 0, heartbeat_interval: float = 10.0, log_level: str = 'warning',
                 clock: Callable[[], float] = time.time) -> None:
        self.app = create_app(tick_interval=tick_interval, seed=seed, heartbeat_interval=heartbeat_interval,
                              clock=clock)
        self.host = host
        self.port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f'http://{self.host}:{self.port}'

    def start(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            raise RuntimeError('the replica is already running')
        # Bind here, not in the thread, so the port is known (and taken) before start() returns.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        # log_config=None: leave the host program's logging alone. A short graceful timeout, because
        # open page sockets would otherwise hold shutdown until every browser tab closes.
        config = uvicorn.Config(self.app, log_config=None, log_level=self._log_level, access_log=False,
                                lifespan='on', timeout_graceful_shutdown=2, ws_ping_interval=None,
                                ws_per_message_deflate=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={'sockets': [sock]},
                                        name=f'replica-{self.port}', daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('the TradingView replica did not start')
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout / 2)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout / 2)
        self._server = self._thread = None

    def __enter__(self) -> ReplicaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
