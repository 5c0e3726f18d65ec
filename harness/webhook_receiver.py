"""A real HTTP server on 127.0.0.1 that webhooks are sent to in tests and benchmarks: it records every request
and answers as each path is told to (a list of statuses in turn, or hanging until released)."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from launcher.processes import wait_until

HANG_LIMIT_S = 60.0


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]
    body: Any  # the JSON sent
    at: float  # time.time() when it arrived


class WebhookReceiver:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.hanging = 0  # requests held right now
        self._answers: dict[str, list[int]] = {}
        self._hang: set[str] = set()
        self._release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get('content-length') or 0)
                raw = self.rfile.read(length)
                receiver._record(Post(self.path, {k.lower(): v for k, v in self.headers.items()},
                                      json.loads(raw) if raw else None, time.time()))
                if receiver._hangs(self.path):
                    with receiver._lock:
                        receiver.hanging += 1
                    try:
                        receiver._release.wait(HANG_LIMIT_S)
                    finally:
                        with receiver._lock:
                            receiver.hanging -= 1
                    return  # the client gave up long ago; nothing to answer
                status = receiver._next_status(self.path)
                self.send_response(status)
                if status == 429:
                    self.send_header('Retry-After', '1')
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name='webhook receiver', daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f'http://127.0.0.1:{self._server.server_address[1]}{path}'

    def answer(self, path: str, *statuses: int) -> None:
        """Answer the next POSTs to `path` with these statuses in turn, then 204."""
        with self._lock:
            self._answers[path] = list(statuses)

    def hang(self, path: str) -> None:
        """POSTs to `path` (or, for 'PREFIX*', to every path that starts so) get no answer (until stop)."""
        self._hang.add(path)

    def _hangs(self, path: str) -> bool:
        return path in self._hang or any(p.endswith('*') and path.startswith(p[:-1]) for p in self._hang)

    def to(self, path: str) -> list[Post]:
        with self._lock:
            return [post for post in self.posts if post.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 20) -> list[Post]:
        wait_until(lambda: len(self.to(path)) >= count, timeout, f'{count} POSTs to {path}')
        return self.to(path)

    def _record(self, post: Post) -> None:
        with self._lock:
            self.posts.append(post)

    def _next_status(self, path: str) -> int:
        with self._lock:
            waiting = self._answers.get(path)
            return waiting.pop(0) if waiting else 204
