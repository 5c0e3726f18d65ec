"""Simulated dashboard viewers: NiceGUI's own Socket.IO protocol over a raw websocket, hundreds per process.

A viewer does what the page's JavaScript does (nicegui/static/nicegui.js, `createApp().mounted`), minus
rendering:

1. `GET /` with the user's session cookie. The server builds that user's page (one card per stored symbol)
   and writes the socket query into the HTML: `query: {'client_id': …, 'next_message_id': 0,
   'implicit_handshake': True}`.
2. Opens `ws://HOST/_nicegui_ws/socket.io/?client_id=…&next_message_id=…&implicit_handshake=true&
   document_id=<uuid>&tab_id=<uuid>&EIO=4&transport=websocket`, offering permessage-deflate as browsers do.
   Engine.IO answers `0{"sid",…,"pingInterval":4000,"pingTimeout":2000}`; the viewer sends the Socket.IO
   CONNECT `40`; the server runs NiceGUI's implicit handshake inside its connect handler and answers
   `40{"sid":…}` (`44{…}` if refused).
3. Reads frames: `2` (Engine.IO ping) is answered `3` at once;
   `42["prices",[{"s","p","c","cp","d","t"}, …]]` carries the
   price changes of a moment; `42["update",{id: element}]` is NiceGUI's element update (the way prices
   travelled before the price rooms, still understood: any element `text` counts). Messages from NiceGUI's
   outbox carry `_id`; like the page, the viewer acks the highest one every 3 s (`42["ack",…]`), which
   lets the server prune its resend history.

It records, per price text, the arrival time (time.time()) at every viewer: the driver knows which text it
made the source send when, so latency = arrival - sent_at. Texts must be unique per change.

bench.viewer_workers runs pools of them in worker processes.
"""
from __future__ import annotations

import ast
import asyncio
import json
import re
import time
import uuid
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import aiohttp

QUERY = re.compile(r'query: (\{.*?\}),\s*\n')
MESSAGE_ID = re.compile(r'"_id":\s*(\d+)')
PRICES = '42["prices",'
UPDATE = '42["update",'
ACK_INTERVAL = 3.0  # as nicegui.js: setInterval(() => ack(), 3000)
CONNECT_TIMEOUT = 60.0  # one viewer's page load and handshake, all steps together


def socket_query(html: str) -> dict[str, Any]:
    """The `query` object NiceGUI writes into the page (a Python dict repr: `True`, single quotes)."""
    found = QUERY.search(html)
    if not found:
        raise ValueError('no socket query in the page')
    return ast.literal_eval(found.group(1))


class Viewer:
    __slots__ = ('client_id', 'ws', 'task', 'next_message_id', 'acked_message_id', 'last', 'ended', 'frames',
                 'priced')

    def __init__(self) -> None:
        self.client_id = ''
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task | None = None
        self.next_message_id = 0
        self.acked_message_id = -1
        self.last: dict[str, str] = {}  # symbol (or element id) -> last text seen, so a repeat is not an arrival
        self.ended = ''
        self.frames = 0
        self.priced = False  # a price arrived since the pool's last reset: this viewer was measured


class ViewerPool:
    """Many viewers of one user (one session cookie) in this process's event loop."""

    def __init__(self, base_url: str, cookie: str, *, deflate: bool = True, concurrency: int = 50) -> None:
        self.base_url = base_url.rstrip('/')
        self.ws_url = 'ws' + self.base_url[4:] + '/_nicegui_ws/socket.io/'
        self.cookie = cookie
        self.deflate = deflate
        self.concurrency = concurrency
        self.viewers: list[Viewer] = []
        self._session: aiohttp.ClientSession | None = None
        self._ack_task: asyncio.Task | None = None
        # text -> arrival times, one per viewer that saw it; text -> the server's `t` (source update time)
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)
        self.source_time: dict[str, float] = {}
        self.frames = 0
        self.pings = 0
        self.kinds: defaultdict[str, int] = defaultdict(int)  # frames by their first characters
        # A burst's frame is the same text for every viewer of the same symbols: parsed once, not once per viewer,
        # so the load generator costs less than the server it measures.
        self._parsed: dict[str, list[dict[str, Any]]] = {}

    async def start(self) -> None:
        # limit=0: every websocket holds its connection for life; a pool limit would block the 101st viewer.
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                              timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))
        self._ack_task = asyncio.create_task(self._ack_loop())

    @property
    def open(self) -> int:
        return sum(1 for v in self.viewers if v.ws is not None and not v.ended)

    async def connect(self, count: int) -> dict[str, Any]:
        """Add `count` viewers, at most `concurrency` connecting at once, each within CONNECT_TIMEOUT."""
        started = time.perf_counter()
        gate = asyncio.Semaphore(self.concurrency)
        fresh = [Viewer() for _ in range(count)]
        self.viewers.extend(fresh)
        results = await asyncio.gather(*(self._connect_one(viewer, gate) for viewer in fresh))
        failed = [r for r in results if r]
        kinds: dict[str, int] = defaultdict(int)
        for problem in failed:
            kinds[problem.split(':')[0]] += 1
        return {'connected': count - len(failed), 'failed': len(failed), 'errors': failed[:5],
                'error_kinds': dict(kinds), 'seconds': round(time.perf_counter() - started, 2)}

    async def _connect_one(self, viewer: Viewer, gate: asyncio.Semaphore) -> str:
        async with gate:
            stage = ['start']
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await self._handshake(viewer, stage)
            except Exception as problem:
                viewer.ended = f'{type(problem).__name__} at {stage[0]}: {problem}'[:200]
                if viewer.ws is not None:
                    await viewer.ws.close()
                return viewer.ended
        viewer.task = asyncio.create_task(self._read(viewer))
        return ''

    async def _handshake(self, viewer: Viewer, stage: list[str]) -> None:
        assert self._session is not None
        headers = {'Cookie': self.cookie}
        stage[0] = 'GET /'
        async with self._session.get(self.base_url + '/', headers=headers) as response:
            html = await response.text()
            if response.status != 200:
                raise RuntimeError(f'GET / answered {response.status}')
        query = socket_query(html)
        viewer.client_id = query['client_id']
        viewer.next_message_id = int(query.get('next_message_id') or 0)
        params = {**{k: v for k, v in query.items() if not isinstance(v, bool)},
                  'implicit_handshake': 'true' if query.get('implicit_handshake') else 'false',
                  'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()),
                  'EIO': '4', 'transport': 'websocket'}
        stage[0] = 'websocket upgrade'
        viewer.ws = ws = await self._session.ws_connect(
            f'{self.ws_url}?{urlencode(params)}', compress=15 if self.deflate else 0,
            headers={**headers, 'Origin': self.base_url}, autoping=True, heartbeat=None, max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5))
        stage[0] = 'Engine.IO open'
        opening = await ws.receive_str()
        if not opening.startswith('0'):
            raise RuntimeError(f'unexpected Engine.IO open {opening[:80]!r}')
        await ws.send_str('40')
        stage[0] = 'Socket.IO connect'
        while True:  # the CONNECT answer; anything the server sends first is handled as usual
            frame = await ws.receive_str()
            if frame.startswith('40'):
                return
            if frame.startswith('44'):
                raise RuntimeError(f'connection refused: {frame[:120]}')
            await self._on_frame(viewer, frame, time.time())

    async def _read(self, viewer: Viewer) -> None:
        ws = viewer.ws
        assert ws is not None
        try:
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    await self._on_frame(viewer, message.data, time.time())
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                                      aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    if not viewer.ended:
                        detail = message.data if message.type is aiohttp.WSMsgType.CLOSE else ws.exception()
                        viewer.ended = (f'socket {message.type.name.lower()} ({detail}) after {viewer.frames} frames, '
                                        f'at {time.strftime("%H:%M:%S")}')
                    return
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            viewer.ended = f'{type(problem).__name__}: {problem}'[:200]

    async def _on_frame(self, viewer: Viewer, frame: str, now: float) -> None:
        self.frames += 1
        self.kinds[frame[:12]] += 1
        viewer.frames += 1
        if frame.startswith(PRICES):
            viewer.priced = True
            for message in self._prices(frame):
                text = message.get('p')
                symbol = message.get('s', '')
                if text and viewer.last.get(symbol) != text:
                    viewer.last[symbol] = text
                    self.arrivals[text].append(now)
                    if text not in self.source_time and message.get('t') is not None:
                        self.source_time[text] = message['t']
        elif frame == '2':  # Engine.IO ping: the server drops a viewer that misses pingTimeout (2 s)
            self.pings += 1
            assert viewer.ws is not None
            await viewer.ws.send_str('3')
        elif frame.startswith(UPDATE):
            elements = json.loads(frame[len(UPDATE):-1])
            if (message_id := elements.pop('_id', None)) is not None:
                viewer.next_message_id = max(viewer.next_message_id, int(message_id) + 1)
            for element_id, element in elements.items():
                text = element.get('text') if isinstance(element, dict) else None
                if text and viewer.last.get(element_id) != text:
                    viewer.last[element_id] = text
                    self.arrivals[text].append(now)
        elif frame.startswith('42'):
            if '"_id"' in frame and (found := MESSAGE_ID.search(frame)):
                viewer.next_message_id = max(viewer.next_message_id, int(found.group(1)) + 1)
        elif frame.startswith('41') or frame == '1':
            viewer.ended = f'closed by the server ({frame[:40]!r}) after {viewer.frames} frames'
            if viewer.ws is not None:
                await viewer.ws.close()

    def _prices(self, frame: str) -> list[dict[str, Any]]:
        if (messages := self._parsed.get(frame)) is None:
            if len(self._parsed) >= 1000:  # bursts of the last few seconds are all that repeat
                self._parsed.clear()
            messages = self._parsed[frame] = json.loads(frame[len(PRICES):-1])
        return messages

    async def _ack_loop(self) -> None:
        """As the page: tell the server every 3 s which messages arrived, so it can drop its copies."""
        while True:
            await asyncio.sleep(ACK_INTERVAL)
            for viewer in self.viewers:
                ws = viewer.ws
                if ws is None or viewer.ended or ws.closed or viewer.acked_message_id >= viewer.next_message_id:
                    continue
                body = json.dumps(['ack', {'client_id': viewer.client_id, 'next_message_id': viewer.next_message_id}])
                try:
                    await ws.send_str('42' + body)
                    viewer.acked_message_id = viewer.next_message_id
                except (ConnectionError, RuntimeError):
                    pass

    def reset(self) -> None:
        self.arrivals.clear()
        self.source_time.clear()
        self.frames = 0
        self.pings = 0
        self.kinds.clear()
        for viewer in self.viewers:
            viewer.priced = False

    def stats(self) -> dict[str, Any]:
        ended = [v.ended for v in self.viewers if v.ended]
        return {'viewers': len(self.viewers), 'open': self.open, 'ended': len(ended), 'ended_reasons': ended[:5],
                'measured': sum(1 for v in self.viewers if v.priced),
                'frames': self.frames, 'pings': self.pings, 'kinds': dict(self.kinds)}

    async def close(self) -> None:
        if self._ack_task:
            self._ack_task.cancel()
        for viewer in self.viewers:
            if viewer.task:
                viewer.task.cancel()
        sockets = [v.ws for v in self.viewers if v.ws is not None and not v.ws.closed]
        for start in range(0, len(sockets), 200):  # bounded: a close handshake each
            await asyncio.gather(*(ws.close() for ws in sockets[start:start + 200]), return_exceptions=True)
        if self._session:
            await self._session.close()
