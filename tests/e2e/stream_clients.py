"""Programs as the tests play them: an SSE reader over httpx, a WebSocket over `websockets`, a client that
never reads, and the app's stream figures from /metrics."""
from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from launcher.app_process import AppProcess


@dataclass
class Event:
    id: int | None
    name: str
    data: Any


class SseReader(AbstractContextManager):
    """`GET /api/stream?symbols=...`, read when the test asks: events wait in the sockets meanwhile."""

    def __init__(self, app: AppProcess, symbols: str) -> None:
        self._client = httpx.Client(base_url=app.url, timeout=httpx.Timeout(10, read=10))
        self._context = self._client.stream('GET', '/api/stream', params={'symbols': symbols})
        self.response = self._context.__enter__()
        self._lines: Iterator[str] = self.response.iter_lines()
        self.comments: list[str] = []

    def next(self) -> Event:
        """The next event; comments (heartbeats) seen on the way are kept in `comments`."""
        fields: dict[str, str] = {}
        for line in self._lines:
            if not line:
                if fields:
                    return Event(int(fields['id']) if 'id' in fields else None, fields.get('event', 'message'),
                                 json.loads(fields['data']))
                continue
            if line.startswith(':'):
                self.comments.append(line)
                continue
            name, _, value = line.partition(':')
            fields[name] = value[1:] if value.startswith(' ') else value
        raise EOFError('the stream ended')

    def heartbeats(self, count: int) -> list[str]:
        """Read on (past any event) until `count` comments came; for a stream with nothing to send."""
        for line in self._lines:
            if line.startswith(':'):
                self.comments.append(line)
                if len(self.comments) >= count:
                    return self.comments
        raise EOFError('the stream ended')

    def until(self, wanted: Callable[[Event], bool], timeout: float = 15) -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted(event := self.next()):
                return event
        raise AssertionError(f'no wanted event within {timeout} s')

    def close(self) -> None:
        self._context.__exit__(None, None, None)
        self._client.close()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def item(event: Event, symbol: str) -> dict | None:
    return next((entry for entry in event.data if entry['symbol'] == symbol), None)


def shows(symbol: str, price_text: str) -> Callable[[Event], bool]:
    return lambda event: (found := item(event, symbol)) is not None and found['price_text'] == price_text


class Socket(AbstractContextManager):
    """`/api/ws`: sends dicts (or raw text and bytes), receives JSON messages."""

    def __init__(self, app: AppProcess, query: str = '') -> None:
        # legacy=True: connected here and closed by close(), not within one `with` block
        self.ws: ClientConnection = connect(f'ws://127.0.0.1:{app.port}/api/ws{query}', open_timeout=10, legacy=True)

    def send(self, message: Any) -> None:
        self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def receive(self, timeout: float = 10) -> dict:
        return json.loads(self.ws.recv(timeout))

    def until(self, wanted: Callable[[dict], bool], timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if wanted(message := self.receive(left)):
                return message
        raise AssertionError(f'no wanted message within {timeout} s')

    def answer(self, message: Any) -> dict:
        """Send, and return the answer: the first message that is not a `tickers` event."""
        self.send(message)
        return self.until(lambda m: m['event'] != 'tickers')

    def close(self) -> None:
        self.ws.close()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


UPGRADE = ('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
           'Sec-WebSocket-Version: 13\r\n')


@dataclass
class SilentClient:
    """Asks for a stream (`kind` 'sse' or 'ws') and never reads it. A small receive buffer, so its own kernel
    takes little of what the server sends (what a client's kernel holds is the client's memory, not the
    server's)."""
    app: AppProcess
    symbols: str
    kind: str = 'sse'
    sock: socket.socket = field(init=False)

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(('127.0.0.1', self.app.port))
        path, extra = ('/api/stream', '') if self.kind == 'sse' else ('/api/ws', UPGRADE)
        self.sock.sendall(f'GET {path}?symbols={self.symbols} HTTP/1.1\r\nHost: test\r\n{extra}\r\n'.encode())

    def dropped(self) -> bool:
        """Read what it was sent: the server ended the connection once the end (EOF or reset) is reached."""
        self.sock.settimeout(2)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def stream_metrics(app: AppProcess) -> dict[str, float]:
    """cryptotracker_stream_* samples by name with labels, e.g. 'consumers{kind="sse"}'."""
    found = {}
    for line in app.get('/metrics').text.splitlines():
        if match := re.match(r'cryptotracker_stream_(\S+) (\S+)$', line):
            found[match.group(1)] = float(match.group(2))
    return found
