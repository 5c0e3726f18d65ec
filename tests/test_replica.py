"""The replica itself, over real HTTP and websockets: several exchanges, each market its own, and the firewall."""
from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.helpers import ReplicaControl, chromium_path, eventually, wait_until
from replica import ReplicaServer, framing
from replica.series import HISTORY, PERIOD, Bars

HEADED_UA = ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 '
             'Safari/537.36')
HEADLESS_UA = HEADED_UA.replace('Chrome/', 'HeadlessChrome/')
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


def chart_name(symbol: str) -> str:
    """How the page names the symbol it resolves for a chart."""
    return '=' + json.dumps({'adjustment': 'splits', 'symbol': symbol}, separators=(',', ':'))


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


def prices(updates: dict[str, dict[str, Any]]) -> dict[str, float]:
    return {name: values['lp'] for name, values in updates.items()}


def du_points(message: dict[str, Any], session: str) -> list[dict[str, Any]]:
    """The bars of a `du` of `session`'s sds_1, after checking its shape."""
    assert message['m'] == 'du' and message['p'][0] == session, message
    assert list(message['p'][1]) == ['sds_1']
    body = message['p'][1]['sds_1']
    assert body['ns'] == {'d': '', 'indexes': 'nochange'} and body['t'] == 's1'
    assert body['lbs'] == {'bar_close_time': int(body['s'][-1]['v'][0]) + PERIOD}
    return body['s']


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


# --- prices and pages ------------------------------------------------------------------------------

def test_every_market_of_a_ticker_starts_at_its_own_price():
    with ReplicaServer(tick_interval=0) as fresh:  # the shared replica's prices are whatever tests left
        start = {symbol: s['price'] for symbol, s in ReplicaControl(fresh.url).stats()['symbols'].items()}
    assert {symbol.partition(':')[0] for symbol in start} == {'BINANCE', 'COINBASE', 'KRAKEN'}
    assert len([s for s in start if s.startswith('BINANCE:')]) == 72
    assert len([s for s in start if s.startswith('COINBASE:')]) == 36 + 6
    for symbol, price in start.items():
        on_binance = start['BINANCE:' + symbol.partition(':')[2]]
        assert symbol.startswith('BINANCE:') or abs(price - on_binance) / on_binance > 0.002, symbol


def test_one_ticker_on_two_exchanges_follows_its_own_control(replica: ReplicaControl):
    binance = replica.price('BTCUSD')
    assert replica.price('BINANCE:BTCUSD') == binance
    replica.set_price('COINBASE:BTCUSD', 88888.88)
    assert (replica.price('BTCUSD'), replica.price('COINBASE:BTCUSD')) == (binance, 88888.88)
    replica.set_price('BTCUSD', 77777.77)
    assert (replica.price('BINANCE:BTCUSD'), replica.price('COINBASE:BTCUSD')) == (77777.77, 88888.88)
    assert replica.price('coinbase:BTCUSD') == 88888.88, 'exchanges are case-insensitive, as on TradingView'


@pytest.mark.parametrize('path', ['/symbols/BTCUSD/?exchange=COINBASE', '/symbols/BTCUSD/?exchange=coinbase',
                                  '/symbols/COINBASE-BTCUSD/'])
def test_a_coinbase_page_names_coinbase_everywhere(replica_server, replica: ReplicaControl, path: str):
    response = page(replica_server.url, path)
    assert response.status_code == 200
    hidden, visible, *related = header_symbols(response.text)
    assert hidden == visible == 'COINBASE:BTCUSD'
    assert related and all(s.startswith('COINBASE:') and s.endswith('USD') for s in related)
    assert '"symbol": "COINBASE:BTCUSD"' in response.text  # what the page's socket will ask for
    assert replica.stats('COINBASE:BTCUSD')['page_loads'] == 1
    assert replica.stats('BTCUSD')['page_loads'] == 0


def test_a_page_without_an_exchange_is_binance(replica_server, replica: ReplicaControl):
    response = page(replica_server.url, '/symbols/ETHUSDT/')
    assert response.status_code == 200
    assert set(header_symbols(response.text)[:2]) == {'BINANCE:ETHUSDT'}
    assert replica.stats('ETHUSDT')['page_loads'] == replica.stats('BINANCE:ETHUSDT')['page_loads'] == 1


def test_a_failure_window_for_one_market_leaves_the_same_ticker_elsewhere_alone(replica_server,
                                                                                replica: ReplicaControl):
    replica.fail(60, symbol='COINBASE:ADAUSD', status=503)
    assert page(replica_server.url, '/symbols/COINBASE-ADAUSD/').status_code == 503
    assert page(replica_server.url, '/symbols/ADAUSD/').status_code == 200
    assert page(replica_server.url, '/symbols/ADAUSD/?exchange=KRAKEN').status_code == 200


@pytest.mark.parametrize('path, symbol', [
    ('/symbols/BTCUSD/?exchange=FOOEX', 'FOOEX:BTCUSD'),  # no such exchange
    ('/symbols/FOOEX-BTCUSD/', 'FOOEX:BTCUSD'),
    ('/symbols/DOTUSDT/?exchange=COINBASE', 'COINBASE:DOTUSDT'),  # a coin Coinbase lists in USD only
    ('/symbols/BNBUSD/?exchange=KRAKEN', 'KRAKEN:BNBUSD'),
    ('/symbols/btcusd/?exchange=COINBASE', 'COINBASE:btcusd'),  # tickers stay case-sensitive
])
def test_an_unknown_exchange_or_an_unlisted_ticker_is_not_found(replica_server, replica: ReplicaControl,
                                                                 path: str, symbol: str):
    response = page(replica_server.url, path)
    assert response.status_code == 404
    assert 'tv-http-error-page' in response.text
    assert replica.stats()['symbols'][symbol]['page_loads'] == 1
    assert replica.stats()['symbols'][symbol]['price'] is None


# --- the data socket -------------------------------------------------------------------------------

async def test_the_socket_quotes_each_exchange_under_its_own_name(replica: ReplicaControl, socket_to):
    sock = await socket_to('/symbols/BTCUSD/?exchange=COINBASE')
    extended = '={"symbol":"COINBASE:ETHUSD","session":"regular"}'
    quotes = await sock.add('COINBASE:BTCUSD', 'BINANCE:BTCUSD', 'BTCUSD', extended, 'FOOEX:BTCUSD',
                            'COINBASE:DOTUSDT')
    assert quotes['COINBASE:BTCUSD'].values['lp'] == replica.price('COINBASE:BTCUSD')
    assert quotes['COINBASE:BTCUSD'].values['exchange'] == 'COINBASE'
    assert quotes['BINANCE:BTCUSD'].values['lp'] == quotes['BTCUSD'].values['lp'] == replica.price('BTCUSD')
    assert quotes['BTCUSD'].values['exchange'] == 'BINANCE', 'a name without an exchange is BINANCE'
    assert quotes[extended].values['lp'] == replica.price('COINBASE:ETHUSD')
    assert (quotes['FOOEX:BTCUSD'].status, quotes['COINBASE:DOTUSDT'].status) == ('error', 'error')
    assert replica.stats('COINBASE:BTCUSD')['sockets_open'] == 1
    assert replica.stats('BTCUSD')['sockets_open'] == 0

    replica.set_price('COINBASE:BTCUSD', 90001.5)
    assert prices(await sock.frame()) == {'COINBASE:BTCUSD': 90001.5}
    replica.set_price('BTCUSD', 80001.5)
    assert prices(await sock.frame()) == {'BINANCE:BTCUSD': 80001.5, 'BTCUSD': 80001.5}


async def test_freeze_and_drop_act_on_one_exchange_only(replica: ReplicaControl, socket_to):
    on_coinbase = await socket_to('/symbols/COINBASE-SOLUSD/')
    on_binance = await socket_to('/symbols/SOLUSD/')
    for sock in (on_coinbase, on_binance):
        await sock.add('COINBASE:SOLUSD', 'BINANCE:SOLUSD')
    replica.freeze('COINBASE:SOLUSD')
    replica.set_price('COINBASE:SOLUSD', 160.5)  # frozen: sent nowhere...
    replica.set_price('SOLUSD', 140.25)  # ...so the next frame on each socket is this one
    for sock in (on_coinbase, on_binance):
        assert list(await sock.frame()) == ['BINANCE:SOLUSD']
    assert replica.price('COINBASE:SOLUSD') == 160.5

    replica.drop('COINBASE:SOLUSD')  # only the socket of the Coinbase page goes
    wait_until(lambda: replica.stats('COINBASE:SOLUSD')['sockets_closed'] == 1, DEADLINE, 'Coinbase socket dropped')
    with pytest.raises(websockets.ConnectionClosed):
        await on_coinbase.payload()
    assert replica.stats('SOLUSD')['sockets_open'] == 1


async def test_dom_only_moves_one_exchange_to_the_pushstream(replica_server, replica: ReplicaControl, socket_to):
    sock = await socket_to('/symbols/XRPUSD/?exchange=KRAKEN')
    await sock.add('KRAKEN:XRPUSD', 'XRPUSD')
    address = replica_server.url.replace('http://', 'ws://') + '/pushstream'
    async with websockets.connect(address, origin=replica_server.url) as push:  # type: ignore[arg-type]
        async with asyncio.timeout(DEADLINE):
            assert 'connected' in str(await push.recv())
        await push.send(json.dumps({'subscribe': ['KRAKEN:XRPUSD', 'BINANCE:XRPUSD']}))
        wait_until(lambda: replica.stats('KRAKEN:XRPUSD')['watchers'] == 2, DEADLINE, 'pushstream subscribed')
        replica.dom_only('KRAKEN:XRPUSD')  # pushes the current price there at once, then each change
        replica.set_price('KRAKEN:XRPUSD', 2.5)
        replica.set_price('XRPUSD', 2.75)
        quotes: list[dict[str, Any]] = []
        while not quotes or quotes[-1]['lp'] != 2.5:
            async with asyncio.timeout(DEADLINE):
                message = json.loads(str(await push.recv()))['text']
            if message['channel'] == 'quotes':  # not news noise
                quotes.append(message['content'])
        assert {quote['symbol'] for quote in quotes} == {'KRAKEN:XRPUSD'}
    assert prices(await sock.frame()) == {'XRPUSD': 2.75}, "Kraken's price left the data socket, Binance's did not"


# --- the chart series ------------------------------------------------------------------------------

def assert_bars_are_a_day_ending_now(bars: list[list[float]], started: float, price: float) -> None:
    times = [int(v[0]) for v in bars]
    assert len(bars) == 300 and all(t % PERIOD == 0 for t in times)
    assert times == list(range(times[0], times[0] + 300 * PERIOD, PERIOD)), 'contiguous, oldest first'
    assert started // PERIOD * PERIOD <= times[-1] <= time.time(), 'the last bar is the current period'
    for previous, (t, o, h, low, c, volume) in zip([None, *bars], bars):
        assert low <= min(o, c) <= max(o, c) <= h and volume >= 0
        assert previous is None or o == previous[4], 'each bar opens at the close before it'
    assert bars[-1][4] == price, 'the last close is the quoted price'


@pytest.mark.parametrize('symbol, pricescale, description', [
    ('COINBASE:LINKUSD', 100, 'Chainlink / U.S. Dollar'),
    ('KRAKEN:DOGEUSD', 10 ** 5, 'Dogecoin / U.S. Dollar'),
    ('BINANCE:SHIBUSDT', 10 ** 8, 'Shiba Inu / TetherUS'),
])
async def test_a_chart_session_gets_the_symbol_then_a_day_of_bars_then_completed(
        replica: ReplicaControl, socket_to, symbol: str, pricescale: int, description: str):
    exchange, _, ticker = symbol.partition(':')
    sock = await socket_to(f'/symbols/{ticker}/?exchange={exchange}')
    quoted = (await sock.add(symbol))[symbol].values['lp']
    started = time.time()
    load = await sock.chart('cs_testchart01', chart_name(symbol))
    assert load.methods == ['symbol_resolved', 'timescale_update', 'series_completed']
    assert {k: load.info[k] for k in ('name', 'full_name', 'pro_name', 'exchange', 'type', 'description',
                                      'pricescale', 'minmov', 'session', 'timezone', 'currency_code')} == {
        'name': ticker, 'full_name': symbol, 'pro_name': symbol, 'exchange': exchange, 'type': 'crypto',
        'description': description, 'pricescale': pricescale, 'minmov': 1, 'session': '24x7',
        'timezone': 'Etc/UTC', 'currency_code': 'USDT' if ticker.endswith('USDT') else 'USD'}
    assert set(load.series) == {'node', 's', 'ns', 't', 'lbs'} and load.series['node']
    assert [point['i'] for point in load.series['s']] == list(range(300))
    assert load.series['ns'] == {'d': '', 'indexes': []} and load.series['t'] == 's1'
    assert load.series['lbs'] == {'bar_close_time': int(load.bars[-1][0]) + PERIOD}
    assert load.timescale['index'] == 0 and load.timescale['changes'] == [int(v[0]) for v in load.bars]
    assert_bars_are_a_day_ending_now(load.bars, started, quoted)
    decimals = len(str(pricescale)) - 1
    assert all(round(x, decimals) == x for v in load.bars for x in v[1:5]), 'prices on the tick grid'
    assert load.completed == ['cs_testchart01', 'sds_1', 'streaming', 's1', {}]
    stats = replica.stats(symbol)
    assert (stats['chart_sessions'], stats['chart_sessions_open'], stats['series']) == (1, 1, 'on')


async def test_every_price_move_updates_the_current_bar_in_or_beside_the_quotes_frame(replica: ReplicaControl,
                                                                                      socket_to):
    sock = await socket_to('/symbols/AVAXUSD/?exchange=KRAKEN')
    await sock.add('KRAKEN:AVAXUSD')
    bar = (await sock.chart('cs_testmoves01', chart_name('KRAKEN:AVAXUSD'))).series['s'][-1]
    layouts = set()
    for n in range(40):
        price = round(bar['v'][4] + (0.37 if n % 2 else -0.51) * (1 + n % 5), 2)
        replica.set_price('KRAKEN:AVAXUSD', price)
        frames = await sock.frames_until(lambda got: sorted(m['m'] for m in got) == ['du', 'qsd'])
        layouts.add('together' if len(frames) == 1 else 'apart')
        messages = {m['m']: m for f in frames for m in f}
        assert messages['qsd']['p'][1]['v']['lp'] == price
        (point,) = du_points(messages['du'], 'cs_testmoves01')
        t, o, h, low, c, _ = point['v']
        if t == bar['v'][0]:  # the same bar, stretched
            assert point['i'] == bar['i'] and o == bar['v'][1]
            assert (h, low) == (max(bar['v'][2], price), min(bar['v'][3], price))
        else:  # the 5 minutes just ended: the next bar opens at the last close
            assert (point['i'], t, o) == (bar['i'] + 1, bar['v'][0] + PERIOD, bar['v'][4])
        assert c == price
        bar = point
    assert layouts == {'together', 'apart'}, 'the du shares the quotes frame sometimes, not always'


async def test_a_new_period_starts_a_new_bar_and_a_quiet_one_is_a_flat_bar():
    ahead = [0.0]  # the replica's clock runs this far ahead of ours, so no test waits 5 minutes
    with ReplicaServer(tick_interval=0, clock=lambda: time.time() + ahead[0]) as fresh:
        control = ReplicaControl(fresh.url)
        sock = await PageSocket.open(fresh.url, '/symbols/ETHUSD/')
        try:
            last = (await sock.chart('cs_testperiod1', chart_name('BINANCE:ETHUSD'))).series['s'][-1]
            t, close = int(last['v'][0]), last['v'][4]
            ahead[0] = PERIOD
            control.set_price('ETHUSD', 3500.5)
            (point,) = du_points(await sock.next_du(), 'cs_testperiod1')
            assert point['i'] == 300
            assert point['v'][:5] == [t + PERIOD, close, max(close, 3500.5), min(close, 3500.5), 3500.5]
            ahead[0] = 4 * PERIOD  # three periods later, two of them without a trade
            control.set_price('ETHUSD', 3400.25)
            points = du_points(await sock.next_du(), 'cs_testperiod1')
            assert [(p['i'], int(p['v'][0])) for p in points] == [(301 + k, t + (2 + k) * PERIOD) for k in range(3)]
            assert [p['v'][1:] for p in points[:2]] == [[3500.5] * 4 + [0.0]] * 2, 'quiet periods are flat bars'
            assert (points[2]['v'][1], points[2]['v'][4]) == (3500.5, 3400.25)
        finally:
            await sock.ws.close()


def test_the_bars_of_a_symbol_are_the_same_walk_on_every_run():
    now = time.time()
    first, again = (Bars('BINANCE:BTCUSD', 97123.45, 4, 50000.0, now).last(HISTORY) for _ in range(2))
    other = Bars('BINANCE:ETHUSD', 97123.45, 4, 50000.0, now).last(HISTORY)
    assert first == again and first[-1].c == 97123.45
    assert [b.c for b in first] != [b.c for b in other], 'each symbol walks its own way'


async def test_a_page_opens_its_own_chart_and_a_related_symbols_mini_chart(replica_server, replica: ReplicaControl,
                                                                           socket_to):
    related = header_symbols(page(replica_server.url, '/symbols/ADAUSDT/').text)[2]
    orders = [init_data(page(replica_server.url, '/symbols/ADAUSDT/').text)['charts'] for _ in range(4)]
    assert sorted(map(tuple, orders)) == sorted([(related, 'BINANCE:ADAUSDT'), ('BINANCE:ADAUSDT', related)] * 2), \
        'both charts, and not always ours first'
    sock = await socket_to('/symbols/ADAUSDT/')
    await sock.add('BINANCE:ADAUSDT', related)
    loads = {}
    for n, symbol in enumerate(orders[0]):  # as the page does: same series ids in both sessions
        loads[symbol] = await sock.chart(f'cs_testminich{n}', chart_name(symbol))
    assert loads[related].info['pro_name'] == related and loads[related].bars[-1][4] == replica.price(related)
    assert loads['BINANCE:ADAUSDT'].bars[-1][4] == replica.price('ADAUSDT')
    sessions = {symbol: f'cs_testminich{n}' for n, symbol in enumerate(orders[0])}
    start = replica.price(related)
    for symbol, price in [(related, start * 1.01), ('BINANCE:ADAUSDT', 0.5123), (related, start * 0.98)]:
        answer = replica.set_price(symbol, price)
        frames = await sock.frames_until(lambda got: sorted(m['m'] for m in got) == ['du', 'qsd'])
        (du,) = [m for f in frames for m in f if m['m'] == 'du']
        assert du_points(du, sessions[symbol])[-1]['v'][4] == answer['price'], "only that symbol's session moves"
    for symbol in ('BINANCE:ADAUSDT', related):
        assert replica.stats(symbol)['chart_sessions'] == 1


async def test_series_off_means_no_chart_on_the_page_and_none_on_the_socket(replica_server, replica: ReplicaControl,
                                                                            socket_to):
    replica.series('COINBASE:ETHUSD', 'off')
    assert init_data(page(replica_server.url, '/symbols/ETHUSD/?exchange=COINBASE').text)['charts'] == []
    mini = init_data(page(replica_server.url, '/symbols/BTCUSD/?exchange=COINBASE').text)['charts']
    assert mini == ['COINBASE:BTCUSD'], "another page opens no mini chart of it either"
    sock = await socket_to('/symbols/ETHUSD/?exchange=COINBASE')
    await sock.open_chart('cs_testseroff1', chart_name('COINBASE:ETHUSD'))  # asked anyway, by hand
    await sock.send('quote_add_symbols', sock.session, 'COINBASE:ETHUSD')  # answered in order, so...
    assert [(await sock.message())['m'] for _ in range(2)] == ['qsd', 'quote_completed'], '...no chart answer came'
    replica.set_price('COINBASE:ETHUSD', 3600.5)
    assert [m['m'] for m in await sock.next_frame()] == ['qsd']
    assert replica.stats('COINBASE:ETHUSD')['chart_sessions'] == 0
    replica.reset()
    assert replica.stats('COINBASE:ETHUSD')['series'] == 'on'
    assert init_data(page(replica_server.url, '/symbols/ETHUSD/?exchange=COINBASE').text)['charts'][0] \
        in ('COINBASE:ETHUSD', 'COINBASE:BTCUSD')


async def test_a_stopped_series_loads_then_sends_no_du_while_quotes_go_on(replica: ReplicaControl, socket_to):
    replica.series('KRAKEN:LTCUSD', 'stopped')
    sock = await socket_to('/symbols/LTCUSD/?exchange=KRAKEN')
    await sock.add('KRAKEN:LTCUSD')
    load = await sock.chart('cs_teststopped', chart_name('KRAKEN:LTCUSD'))
    assert load.methods[-1] == 'series_completed' and len(load.bars) == 300
    for price in (90.5, 91.25, 89.75):
        replica.set_price('KRAKEN:LTCUSD', price)
        assert [m['m'] for m in await sock.next_frame()] == ['qsd']
    assert replica.stats('KRAKEN:LTCUSD')['chart_sessions'] == 1
    replica.series('KRAKEN:LTCUSD', 'on')  # the same series resumes, with the bar as it now is
    replica.set_price('KRAKEN:LTCUSD', 92.0)
    assert du_points(await sock.next_du(), 'cs_teststopped')[-1]['v'][4] == 92.0


async def test_bar_sends_a_du_and_no_quote(replica: ReplicaControl, socket_to):
    sock = await socket_to('/symbols/DOTUSD/?exchange=COINBASE')
    quoted = (await sock.add('COINBASE:DOTUSD'))['COINBASE:DOTUSD'].values['lp']
    last = (await sock.chart('cs_testbaronly', chart_name('COINBASE:DOTUSD'))).series['s'][-1]
    answer = replica.bar('COINBASE:DOTUSD', quoted * 1.02)
    (du,) = await sock.next_frame()
    (point,) = du_points(du, 'cs_testbaronly')
    close = round(quoted * 1.02, 2)
    assert point['i'] == last['i'] and point['v'][4] == close and point['v'][2] == max(last['v'][2], close)
    assert answer['bar']['c'] == close and answer['sockets'] == 1
    assert answer['price'] == replica.price('COINBASE:DOTUSD') == quoted, 'the quote stays where it was'
    replica.set_price('COINBASE:DOTUSD', quoted)
    frames = await sock.frames_until(lambda got: sorted(m['m'] for m in got) == ['du', 'qsd'])
    (du,) = [m for f in frames for m in f if m['m'] == 'du']
    assert du_points(du, 'cs_testbaronly')[-1]['v'][4] == quoted, 'the next quote sets the close again'


async def test_series_error_ends_the_series_and_an_unknown_symbol_is_a_symbol_error(replica: ReplicaControl,
                                                                                    socket_to):
    sock = await socket_to('/symbols/AVAXUSD/?exchange=COINBASE')
    await sock.add('COINBASE:AVAXUSD')
    await sock.chart('cs_testsererr1', chart_name('COINBASE:AVAXUSD'))
    assert replica.series_error('COINBASE:AVAXUSD') == 1
    assert await sock.message() == {'m': 'series_error', 'p': ['cs_testsererr1', 'sds_1', 's1', 'unknown error']}
    replica.set_price('COINBASE:AVAXUSD', 25.5)
    assert [m['m'] for m in await sock.next_frame()] == ['qsd']
    assert replica.stats('COINBASE:AVAXUSD')['chart_sessions_open'] == 0
    await sock.open_chart('cs_testsererr2', chart_name('FOOEX:AVAXUSD'))
    assert await sock.message() == {'m': 'symbol_error', 'p': ['cs_testsererr2', 'sds_sym_1', 'invalid symbol']}
    assert await sock.message() == {'m': 'series_error', 'p': ['cs_testsererr2', 'sds_1', 's1', 'resolve error']}


async def test_the_page_script_opens_both_chart_sessions_unless_the_series_is_off(replica_server,
                                                                                  replica: ReplicaControl):
    from playwright.async_api import WebSocket, async_playwright
    replica.series('KRAKEN:XRPUSD', 'off')
    sent: dict[str, list[dict[str, Any]]] = {}  # by page symbol: what its script sent, and received
    received: dict[str, list[dict[str, Any]]] = {}

    def record(symbol: str, ws: WebSocket) -> None:
        if 'socket.io' in ws.url:
            ws.on('framesent', lambda data: sent[symbol].extend(_messages(data)))
            ws.on('framereceived', lambda data: received[symbol].extend(_messages(data)))

    def got(symbol: str, method: str) -> int:
        return sum(m.get('m') == method for m in received[symbol])

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
        try:
            context = await browser.new_context(user_agent=HEADED_UA)  # past the firewall
            for ticker in ('SOLUSD', 'XRPUSD'):
                sent[ticker], received[ticker] = [], []
                tab = await context.new_page()
                tab.on('websocket', lambda ws, ticker=ticker: record(ticker, ws))
                await tab.goto(f'{replica_server.url}/symbols/{ticker}/?exchange=KRAKEN')
            await eventually(lambda: got('SOLUSD', 'series_completed') == 2, DEADLINE, 'both series loaded')
            # The page sends its chart requests in the same task as its quote requests: by the time the quotes
            # are complete, any chart request of the XRP page would have been seen.
            await eventually(lambda: got('XRPUSD', 'quote_completed'), DEADLINE, 'the XRP page has its quotes')
        finally:
            await browser.close()
    solana = [m for m in sent['SOLUSD'] if m['m'] in ('chart_create_session', 'resolve_symbol', 'create_series')]
    sessions = [m['p'][0] for m in solana if m['m'] == 'chart_create_session']
    assert len(set(sessions)) == 2 and all(m['p'][0] in sessions for m in solana)
    assert sorted(json.loads(m['p'][2][1:])['symbol'] for m in solana if m['m'] == 'resolve_symbol') == [
        'KRAKEN:BTCUSD', 'KRAKEN:SOLUSD'], 'its own chart and the mini chart of its first related symbol'
    assert [m['p'][1:] for m in solana if m['m'] == 'create_series'] == [['sds_1', 's1', 'sds_sym_1', '5', 300]] * 2
    assert not [m for m in sent['XRPUSD'] if m['m'].startswith(('chart_', 'resolve_', 'create_'))]
    assert replica.stats('KRAKEN:SOLUSD')['chart_sessions'] == replica.stats('KRAKEN:BTCUSD')['chart_sessions'] == 1
    assert replica.stats('KRAKEN:XRPUSD')['chart_sessions'] == 0


def _messages(data: str | bytes) -> list[dict[str, Any]]:
    text = data if isinstance(data, str) else data.decode()
    return [json.loads(p) for p in framing.split(text) if not p.startswith('~h~')]


# --- the firewall ----------------------------------------------------------------------------------

HEADLESS_HINTS = '"Chromium";v="130", "HeadlessChrome";v="130", "Not?A_Brand";v="99"'


@pytest.mark.parametrize('headers', [{'user-agent': HEADLESS_UA}, {'sec-ch-ua': HEADLESS_HINTS}])
def test_headless_chrome_is_turned_away_by_the_firewall(replica_server, replica: ReplicaControl, headers):
    response = page(replica_server.url, '/symbols/LTCUSD/?exchange=COINBASE', **headers)
    assert response.status_code == 403
    assert 'Access denied' in response.text and 'tv-http-error-page' not in response.text
    stats = replica.stats('COINBASE:LTCUSD')
    assert (stats['page_loads'], stats['blocked']) == (1, 1)
    sent = {'user-agent': HEADED_UA, **headers}
    assert (stats['user_agent'], stats['sec_ch_ua']) == (sent['user-agent'], sent.get('sec-ch-ua'))
    assert replica.stats()['blocked'] == 1


def test_a_headed_chrome_gets_the_page_and_its_headers_are_recorded(replica_server, replica: ReplicaControl):
    hints = '"Chromium";v="130", "Google Chrome";v="130", "Not?A_Brand";v="99"'
    response = page(replica_server.url, '/symbols/LTCUSD/', **{'sec-ch-ua': hints})
    assert response.status_code == 200
    stats = replica.stats('LTCUSD')
    assert (stats['user_agent'], stats['sec_ch_ua'], stats['blocked']) == (HEADED_UA, hints, 0)
    assert replica.stats()['blocked'] == 0


# --- bad control input ------------------------------------------------------------------------------

@pytest.mark.parametrize('control, body', [
    ('price', {'symbol': 'FOOEX:BTCUSD', 'price': 1.0}),
    ('price', {'symbol': 'COINBASE:DOTUSDT', 'price': 1.0}),
    ('price', {'symbol': ':BTCUSD', 'price': 1.0}),
    ('price', {'symbol': ['COINBASE:BTCUSD'], 'price': 1.0}),
    ('freeze', {'symbol': 'KRAKEN:BNBUSD'}),
    ('drop', {'symbol': 'FOOEX:BTCUSD'}),
    ('fail', {'symbol': 'FOOEX:BTCUSD', 'seconds': 5}),
    ('dom_only', {'symbol': 'coinbase:btcusd'}),
    ('series', {'symbol': 'BTCUSD', 'mode': 'maybe'}),
    ('series', {'symbol': 'FOOEX:BTCUSD', 'mode': 'off'}),
    ('bar', {'symbol': 'BTCUSD', 'close': -1}),
    ('bar', {'symbol': 'BTCUSD', 'close': 'high'}),
    ('series_error', {'symbol': 'BTCUSD', 'message': 5}),
])
def test_bad_control_input_is_a_400_with_a_message(replica_server, replica: ReplicaControl, control, body):
    response = httpx.post(f'{replica_server.url}/_replica/{control}', json=body, timeout=10)
    assert response.status_code == 400
    assert response.json()['ok'] is False and response.json()['error']


@pytest.mark.parametrize('symbol', ['FOOEX:BTCUSD', 'COINBASE:DOTUSDT', 'btcusd'])
def test_the_price_of_an_unknown_symbol_is_a_400(replica_server, replica: ReplicaControl, symbol: str):
    response = httpx.get(f'{replica_server.url}/_replica/price/{symbol}', timeout=10)
    assert response.status_code == 400 and response.json()['ok'] is False
