"""A client of the replica over real HTTP and its websocket, spoken by hand as the page's script speaks it, and the
fixtures the replica's test modules share (prices_put_back, the browser tests' modules that move prices too): a
module imports them to use them, so the autouse one is its own."""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from harness.replica_control import ReplicaControl
from replica import framing

HEADED_UA = ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 '
             'Safari/537.36')
DEADLINE = 10.0


def page(url: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(url + path, headers={'user-agent': HEADED_UA, **headers}, timeout=10)


def header_symbols(html: str) -> list[str]:
    """`data-symbol` of both header blocks, then of every related symbol."""
    return re.findall(r'data-symbol="([^"]+)"', html)


def init_data(html: str) -> dict[str, Any]:
    """The page script's configuration, as the page hands it over."""
    found = re.search(r'window\.initData = (\{.*?\});</script>', html)
    assert found, 'no initData in the page'
    return json.loads(found.group(1))


@dataclass
class ChartLoad:
    """What one chart session received, up to its series_completed."""
    methods: list[str]
    info: dict[str, Any]  # symbol_resolved's
    series: dict[str, Any]  # timescale_update's body of sds_1
    timescale: dict[str, Any]  # timescale_update's last element
    completed: list[Any]  # series_completed's params

    @property
    def bars(self) -> list[list[float]]:
        return [point['v'] for point in self.series['s']]


@dataclass
class Quote:
    name: str
    status: str
    values: dict[str, Any]


@dataclass
class PageSocket:
    """The page's TradingView socket, spoken by hand: one quote session."""
    ws: ClientConnection
    session: str = 'qs_testreplica01'
    pending: list[str] = field(default_factory=list)  # payloads received but not read yet

    @classmethod
    async def open(cls, url: str, page_path: str) -> PageSocket:
        query = urlencode({'from': page_path.lstrip('/'), 'date': '2026-11-21T00:00:00'})  # as the page's JS
        address = url.replace('http://', 'ws://') + '/socket.io/websocket?' + query
        sock = cls(await websockets.connect(address, origin=url))  # type: ignore[arg-type]
        assert 'session_id' in await sock.payload()
        await sock.send('quote_create_session', sock.session)
        await sock.send('quote_set_fields', sock.session, 'lp', 'ch', 'chp', 'lp_time', 'volume', 'exchange')
        return sock

    async def send(self, method: str, *params: Any) -> None:
        await self.ws.send(framing.packet(framing.message(method, *params)))

    async def payload(self) -> str:
        """The next payload that is not a heartbeat, within the deadline."""
        while True:
            while not self.pending:
                async with asyncio.timeout(DEADLINE):
                    self.pending = framing.split(str(await self.ws.recv(decode=True)))
            payload = self.pending.pop(0)
            if not payload.startswith('~h~'):
                return payload

    async def add(self, *names: str) -> dict[str, Quote]:
        """Subscribe and collect the first qsd of each name, up to the last quote_completed."""
        await self.send('quote_add_symbols', self.session, *names)
        quotes: dict[str, Quote] = {}
        completed: set[str] = set()
        while completed != set(names):
            message = json.loads(await self.payload())
            if message['m'] == 'qsd':
                body = message['p'][1]
                quotes[body['n']] = Quote(body['n'], body['s'], body['v'])
            elif message['m'] == 'quote_completed':
                completed.add(message['p'][1])
        return quotes

    async def message(self) -> dict[str, Any]:
        return json.loads(await self.payload())

    async def next_frame(self) -> list[dict[str, Any]]:
        """The messages of the next websocket frame that holds more than heartbeats."""
        assert not self.pending, 'the last frame was not read to its end'
        while True:
            async with asyncio.timeout(DEADLINE):
                payloads = framing.split(str(await self.ws.recv(decode=True)))
            messages = [json.loads(p) for p in payloads if not p.startswith('~h~')]
            if messages:
                return messages

    async def open_chart(self, session: str, name: str, series: str = 'sds_1', count: int = 300) -> None:
        """What the page script sends for one chart."""
        await self.send('chart_create_session', session, 'disable_statistics')
        await self.send('resolve_symbol', session, 'sds_sym_1', name)
        await self.send('create_series', session, series, 's1', 'sds_sym_1', '5', count)

    async def chart(self, session: str, name: str) -> ChartLoad:
        """Open a chart and collect its messages up to series_completed; nothing else may come between."""
        await self.open_chart(session, name)
        methods: list[str] = []
        load: dict[str, Any] = {}
        while not methods or methods[-1] != 'series_completed':
            message = await self.message()
            assert message['p'][0] == session, message
            methods.append(message['m'])
            load[message['m']] = message['p']
        _, _, info = load['symbol_resolved']
        _, series, timescale = load['timescale_update']
        assert list(series) == ['sds_1']
        return ChartLoad(methods, info, series['sds_1'], timescale, load['series_completed'])

    async def frames_until(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[list[dict[str, Any]]]:
        """Whole frames, until the messages read so far satisfy `done`."""
        frames: list[list[dict[str, Any]]] = []
        while not done([m for f in frames for m in f]):
            frames.append(await self.next_frame())
        return frames

    async def next_du(self) -> dict[str, Any]:
        frames = await self.frames_until(lambda got: any(m['m'] == 'du' for m in got))
        return next(m for f in frames for m in f if m['m'] == 'du')

    async def frame(self) -> dict[str, dict[str, Any]]:
        """The updates of the next frame (name -> changed values): one frame holds one publish."""
        updates = {}
        message = json.loads(await self.payload())
        while True:
            assert message['m'] == 'qsd', message
            updates[message['p'][1]['n']] = message['p'][1]['v']
            if not self.pending:
                return updates
            message = json.loads(await self.payload())


@pytest.fixture(scope='module', autouse=True)
def prices_put_back(replica_server):
    """The replica is the whole session's: leave its prices and modes as this module found them, so the
    tests that run after it (which may expect a symbol's starting price) do not depend on the order."""
    control = ReplicaControl(replica_server.url)
    before = {symbol: s['price'] for symbol, s in control.stats()['symbols'].items() if s['price'] is not None}
    yield
    control.reset()
    for symbol, s in control.stats()['symbols'].items():
        if symbol in before and s['price'] != before[symbol]:
            control.set_price(symbol, before[symbol])


@pytest.fixture
async def socket_to(replica_server):
    opened: list[PageSocket] = []

    async def open_socket(page_path: str) -> PageSocket:
        opened.append(await PageSocket.open(replica_server.url, page_path))
        return opened[-1]
    yield open_socket
    for sock in opened:
        await sock.ws.close()

