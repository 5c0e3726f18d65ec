"""Programs following prices (/api/stream, /api/ws, /api/tickers/{SYMBOL}) against the app in a subprocess
and the replica, with real HTTP and WebSocket clients; one browser where a page shares a symbol.

Each test uses symbols no other test here uses, and ends with what it opened released.
"""
from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import psutil
import pytest
from playwright.sync_api import Page, expect
from websockets.exceptions import InvalidStatus

from harness.pages import add_ticker, card, expect_live
from harness.replica_control import ReplicaControl
from launcher.app_process import ROOT, AppProcess
from launcher.processes import wait_until
from tests.e2e.stream_clients import SilentClient, Socket, SseReader, item, shows, stream_metrics

pytestmark = pytest.mark.e2e

CAP = 6  # --max-symbols and --max-tickers-per-browser of this module's app
BUFFER = 10  # --stream-buffer


@pytest.fixture(scope='module')
def app(replica_server, tmp_path_factory) -> Iterator[AppProcess]:
    app = AppProcess(replica_server.url, tmp_path_factory.mktemp('stream'), extra_args=(
        '--max-symbols', str(CAP), '--max-tickers-per-browser', str(CAP), '--stream-buffer', str(BUFFER),
        '--stream-heartbeat', '0.5')).start()
    yield app
    assert app.stop() == 0, app.log_tail(60)


def released(app: AppProcess, replica: ReplicaControl, *symbols: str) -> None:
    """Nobody holds these any more: gone from /api/tickers, their source sockets closed."""
    wait_until(lambda: not set(symbols) & set(app.tickers()), 10, f'{symbols} released')
    wait_until(lambda: all(replica.stats(s)['sockets_open'] == 0 for s in symbols), 10, f'{symbols} tabs closed')


def test_a_program_gets_the_cached_price_first_then_each_change_and_two_programs_share_one_tab(app, replica):
    with SseReader(app, 'trxusd') as first:
        live = first.until(lambda event: item(event, 'BINANCE:TRXUSD')['status'] == 'live')
        assert first.response.headers['content-type'].startswith('text/event-stream')
        price = replica.price('TRXUSD')
        assert item(live, 'BINANCE:TRXUSD')['price'] == price

        with SseReader(app, 'BINANCE:TRXUSD') as second:
            opening = second.next()
            assert opening.id == 1 and opening.name == 'tickers'
            [cached] = opening.data
            assert cached == {**cached, 'symbol': 'BINANCE:TRXUSD', 'exchange': 'BINANCE', 'ticker': 'TRXUSD',
                              'price': price, 'price_text': replica.price_text('TRXUSD'), 'status': 'live',
                              'message': '', 'currency': 'USD'}
            assert set(cached) == {'symbol', 'exchange', 'ticker', 'price', 'price_text', 'change', 'change_percent',
                                   'status', 'message', 'currency', 'updated_at'}
            assert all(isinstance(cached[k], float) for k in ('change', 'change_percent', 'updated_at'))
            assert stream_metrics(app)['consumers{kind="sse"}'] == 2
            assert replica.stats('TRXUSD')['page_loads'] == 1, 'the second program was answered from the cache'
            assert app.tickers()['BINANCE:TRXUSD']['viewers'] == 2
            assert replica.stats('TRXUSD')['sockets_open'] == 1

            replica.set_price('TRXUSD', 0.31234)
            for reader in (first, second):
                change = reader.until(shows('BINANCE:TRXUSD', replica.price_text('TRXUSD')))
                assert item(change, 'BINANCE:TRXUSD')['price'] == 0.31234
            assert change.id == 2, 'ids count the events of this consumer'

        wait_until(lambda: app.tickers()['BINANCE:TRXUSD']['viewers'] == 1, 5, 'the second program released')
        assert replica.stats('TRXUSD')['sockets_open'] == 1, 'the first still holds the tab'
    released(app, replica, 'BINANCE:TRXUSD')
    assert replica.stats('TRXUSD')['page_loads'] == 1


def test_a_program_and_a_browser_share_one_tab_and_both_follow_it(page: Page, app, replica):
    page.goto(app.url)
    add_ticker(page, 'XLMUSD')
    expect_live(page, 'XLMUSD', replica.price_text('XLMUSD'))
    with SseReader(app, 'XLMUSD') as program:
        assert item(program.next(), 'BINANCE:XLMUSD')['price'] == replica.price('XLMUSD')
        assert replica.stats('XLMUSD')['page_loads'] == 1
        assert app.tickers()['BINANCE:XLMUSD']['viewers'] == 2

        replica.set_price('XLMUSD', 0.35555)
        shown = replica.price_text('XLMUSD')  # the decimals of the symbol's pricescale, as on the page
        program.until(shows('BINANCE:XLMUSD', shown))
        expect(card(page, 'XLMUSD').locator('.price')).to_have_text(shown)

    page.get_by_role('button', name='Remove XLMUSD on BINANCE').click()
    released(app, replica, 'BINANCE:XLMUSD')
    assert replica.stats('XLMUSD')['page_loads'] == 1


@pytest.mark.parametrize('symbols, message', [
    ('BTC/USD', "'BTC/USD': A ticker uses only letters"),
    ('ICPUSD,ÉTH', "'ÉTH': A ticker uses only letters"),
    ('ICPUSD,,HBARUSD', 'An empty symbol'),
    ('', 'Name at least one symbol'),
    ('icpusd,hbarusd,algousd,vetusd,injusd,mkrusd,arbusd', f'A program can follow at most {CAP} symbols'),
])
def test_a_bad_symbol_list_is_refused_with_a_message_and_nothing_is_subscribed(app, replica, symbols, message):
    response = app.get(f'/api/stream?symbols={symbols}')
    assert response.status_code == 400
    assert response.headers['content-type'] == 'application/json'
    assert message in response.json()['error']
    if symbols:  # a WebSocket may start with no symbols and subscribe later
        with pytest.raises(InvalidStatus) as refused:
            Socket(app, f'?symbols={quote(symbols)}')
        assert refused.value.response.status_code == 400
        assert message in json.loads(refused.value.response.body)['error']
    assert not app.tickers()
    assert replica.stats('ICPUSD')['page_loads'] == 0


def test_more_symbols_than_the_engine_has_room_for_are_refused_before_any_is_opened(app, replica):
    assert not app.tickers()
    held = ['BCHUSD', 'TONUSD', 'SUIUSD', 'OPUSD', 'ARBUSD', 'RNDRUSD'][:CAP]
    with SseReader(app, ','.join(held)) as holder:
        holder.next()
        response = app.get('/api/stream?symbols=BCHUSD,INJUSD')  # one held, one more: no room
        assert response.status_code == 400
        assert response.json() == {'error': f'At most {CAP} symbols can be watched at once; remove one first.'}
        assert replica.stats('INJUSD')['page_loads'] == 0
        assert app.tickers()['BINANCE:BCHUSD']['viewers'] == 1
    released(app, replica, *(f'BINANCE:{s}' for s in held))


def test_a_quiet_stream_sends_heartbeats(app, replica):
    with SseReader(app, 'NEARUSD') as program:
        program.until(lambda event: item(event, 'BINANCE:NEARUSD')['status'] == 'live')
        seen, started = len(program.comments), time.monotonic()
        assert program.heartbeats(seen + 2)[seen:] == [': heartbeat', ': heartbeat']
        assert time.monotonic() - started < 5, 'every 0.5 s (--stream-heartbeat), not every 15 s'
        assert not program.comments or set(program.comments) == {': heartbeat'}
    released(app, replica, 'BINANCE:NEARUSD')


def test_the_websocket_subscribes_and_unsubscribes_and_answers_bad_messages(app, replica):
    with Socket(app) as ws:
        assert ws.answer({'subscribe': ['aptusd']}) == {'event': 'subscriptions', 'symbols': ['BINANCE:APTUSD']}
        ws.until(lambda m: m['event'] == 'tickers' and m['data'][0]['status'] == 'live')
        assert stream_metrics(app)['consumers{kind="ws"}'] == 1

        for bad, says in [('not json', 'Not JSON'), ({'subscribe': 'APTUSD'}, 'takes a list of symbols'),
                          ({'watch': ['APTUSD']}, 'Unknown message'), ([1, 2], 'Unknown message'),
                          ({'subscribe': ['APT/USD']}, "'APT/USD'"), ({'unsubscribe': ['FILUSD']}, 'Not subscribed'),
                          ({'subscribe': [f'X{n}USD' for n in range(CAP + 1)]}, f'at most {CAP} symbols'),
                          (b'\x00binary', 'Send JSON as text frames')]:
            answer = ws.answer(bad)
            assert answer['event'] == 'error' and says in answer['error'], (bad, answer)
        assert app.tickers()['BINANCE:APTUSD']['viewers'] == 1, 'the bad messages changed nothing'

        moved = replica.set_price('APTUSD', 5.43)['price']
        event = ws.until(lambda m: m['event'] == 'tickers' and m['data'][0]['price'] == moved)
        assert event['data'][0]['price_text'] == replica.price_text('APTUSD') and event['id'] > 1

        assert ws.answer({'subscribe': ['COINBASE:APTUSD']})['symbols'] == ['BINANCE:APTUSD', 'COINBASE:APTUSD']
        assert ws.answer({'unsubscribe': ['aptusd']}) == {'event': 'subscriptions', 'symbols': ['COINBASE:APTUSD']}
        released(app, replica, 'BINANCE:APTUSD')
        assert 'COINBASE:APTUSD' in app.tickers()
        assert stream_metrics(app)['events_sent_total{kind="ws"}'] >= 3
    released(app, replica, 'COINBASE:APTUSD')
    assert stream_metrics(app)['consumers{kind="ws"}'] == 0


def test_one_symbol_snapshot_and_the_openapi_schema(app, replica):
    assert app.get('/api/tickers/ETCUSD').json() == {
        'error': 'BINANCE:ETCUSD is not being watched; /api/stream?symbols=BINANCE:ETCUSD follows it.'}
    assert app.get('/api/tickers/ETCUSD').status_code == 404
    assert app.get('/api/tickers/ETC$USD').status_code == 400
    with SseReader(app, 'ETCUSD') as program:
        program.until(lambda event: item(event, 'BINANCE:ETCUSD')['status'] == 'live')
        row = app.get('/api/tickers/binance:etcusd').json()
        assert row['symbol'] == 'BINANCE:ETCUSD' and row['price'] == replica.price('ETCUSD') and row['viewers'] == 1
    released(app, replica, 'BINANCE:ETCUSD')

    schema = app.get('/openapi.json').json()
    stream = schema['paths']['/api/stream']['get']
    assert [(p['name'], p['in'], p['required']) for p in stream['parameters']] == [('symbols', 'query', True)]
    assert 'text/event-stream' in stream['responses']['200']['content']
    error = stream['responses']['400']['content']['application/json']['schema']['$ref']
    assert schema['components']['schemas'][error.rsplit('/', 1)[1]]['required'] == ['error']
    snapshot = schema['paths']['/api/tickers/{symbol}']['get']['responses']
    assert set(snapshot) == {'200', '400', '404'}
    assert '/api/ws' in schema['info']['description'] and '"subscribe"' in schema['info']['description']
    docs = app.get('/docs')
    assert docs.status_code == 200 and '/openapi.json' in docs.text


def _readme_block(language: str) -> str:
    readme = (ROOT / 'README.md').read_text()
    section = readme[readme.index('## API for programs'):]
    return re.search(rf'```{language}\n(.*?)```', section, re.S).group(1)


def test_the_readme_examples_run(app, replica):
    code = _readme_block('python')
    assert len(code.strip().splitlines()) <= 10
    program = subprocess.Popen([sys.executable, '-c', code], env={'TRACKER_URL': app.url, 'PYTHONUNBUFFERED': '1',
                                                                  'PATH': '/usr/bin:/bin'},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    lines: list[str] = []
    reading = threading.Thread(target=lambda: lines.extend(iter(program.stdout.readline, '')), daemon=True)
    reading.start()
    try:
        wait_until(lambda: any(re.fullmatch(r'BINANCE:BTCUSD [\d,.]+ -?[\d.]+ live\n', line) for line in lines), 20,
                   'the example to print a live BTCUSD')
        replica.set_price('BTCUSD', 95555.55)
        wait_until(lambda: any(line.startswith('BINANCE:BTCUSD 95,555.55 ') for line in lines), 10, 'the new price')
        assert any(line.startswith('COINBASE:ETHUSD ') for line in lines)
    finally:
        program.terminate()
        program.wait(10)
        reading.join(5)
    released(app, replica, 'BINANCE:BTCUSD', 'COINBASE:ETHUSD')

    curl = _readme_block('bash').strip().replace('http://localhost:8080', app.url)
    output = subprocess.run(['timeout', '8', 'sh', '-c', curl], capture_output=True, text=True).stdout
    assert output.startswith('id: 1\nevent: tickers\ndata: [{"symbol":"BINANCE:BTCUSD"'), output[:300]
    assert ': heartbeat' in output
    released(app, replica, 'BINANCE:BTCUSD', 'COINBASE:ETHUSD')


async def _flood(replica_url: str, symbols: list[str], done: Callable[[], bool], timeout: float) -> int:
    """Move every symbol as fast as the replica takes it until `done()`; returns the number of moves."""
    moves = 0
    async with httpx.AsyncClient(base_url=replica_url, timeout=10) as client:
        prices = {s: (await client.get(f'/_replica/price/{s}')).json()['price'] for s in symbols}
        stop = asyncio.Event()

        async def move(symbol: str) -> None:
            nonlocal moves
            while not stop.is_set():
                prices[symbol] = round(prices[symbol] + 0.01, 2)
                await client.post('/_replica/price', json={'symbol': symbol, 'price': prices[symbol]})
                moves += 1

        async def watch() -> None:
            deadline = time.monotonic() + timeout
            while not await asyncio.to_thread(done) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            stop.set()
        await asyncio.gather(watch(), *(move(s) for s in symbols))
    return moves


@pytest.mark.parametrize('kind', ['sse', 'ws'])
def test_a_consumer_that_never_reads_is_cut_off_and_its_buffer_stays_bounded(app, replica, kind):
    symbols = ['AVAXUSD', 'LINKUSD', 'DOTUSD', 'ATOMUSD', 'UNIUSD', 'AAVEUSD'][:CAP]
    names = [f'BINANCE:{s}' for s in symbols]
    silent = SilentClient(app, ','.join(symbols), kind)
    cut_offs_before = stream_metrics(app)[f'cut_offs_total{{kind="{kind}"}}']
    wait_until(lambda: all(app.tickers().get(n, {}).get('status') == 'live' for n in names), 30, 'all live')
    reader, ids, stop = SseReader(app, ','.join(symbols)), [], threading.Event()

    def keep_reading() -> None:
        try:
            while not stop.is_set():
                ids.append(reader.next().id)
        except (httpx.HTTPError, EOFError):  # closed under it at the end
            pass
    reading = threading.Thread(target=keep_reading, daemon=True)
    reading.start()
    server = psutil.Process(app.pid)
    rss_before = server.memory_info().rss
    longest: list[float] = []

    def cut_off() -> bool:
        figures = stream_metrics(app)
        longest.append(figures['longest_buffer'])
        return figures[f'cut_offs_total{{kind="{kind}"}}'] == cut_offs_before + 1
    try:
        # its own thread: Playwright's sync API keeps an event loop running in this one once a browser test ran
        with ThreadPoolExecutor(1) as runner:
            moves = runner.submit(lambda: asyncio.run(_flood(replica.url, symbols, cut_off, timeout=90))).result()
        assert cut_off(), f'not cut off after {moves} moves'
        assert max(longest) <= BUFFER, longest
        assert silent.dropped(), 'the server ended its connection'
        figures = stream_metrics(app)
        assert figures['consumers{kind="sse"}'] == 1 and figures['consumers{kind="ws"}'] == 0
        assert figures['buffered_events'] <= BUFFER
        assert all(app.tickers()[n]['viewers'] == 1 for n in names), 'the silent one released its symbols'
        rss_growth_mb = (server.memory_info().rss - rss_before) / 2**20
        assert rss_growth_mb < 20, f'server RSS grew {rss_growth_mb:.1f} MiB while {moves} moves went out'
        assert re.search(rf'WARNING .*{kind} consumer cut off after \d+ events: it left {BUFFER} unread; released '
                         + ','.join(sorted(names, key=lambda n: n.split(':')[1])), app.log_tail(400))
    finally:
        stop.set()
        reader.close()
        reading.join(10)
        silent.close()
    assert ids == list(range(1, len(ids) + 1)), 'the reading consumer got every event, in order'
    released(app, replica, *names)


def test_sigterm_ends_every_stream_and_releases_at_once(replica_server, replica, tmp_path):
    own = AppProcess(replica_server.url, tmp_path).start()
    reader = silent = ws = None
    try:
        reader = SseReader(own, 'ALGOUSD')
        reader.until(lambda event: item(event, 'BINANCE:ALGOUSD')['status'] == 'live')
        silent = SilentClient(own, 'HBARUSD')  # its stream cannot end politely: it reads nothing
        ws = Socket(own, '?symbols=ALGOUSD')
        wait_until(lambda: (m := stream_metrics(own))['consumers{kind="sse"}'] == 2 and m['consumers{kind="ws"}'] == 1,
                   20, 'both SSE consumers and the WebSocket one')  # else SIGTERM may come before the socket is held
        own.process.send_signal(signal.SIGTERM)
        assert own.process.wait(20) == 0, own.log_tail()
        with pytest.raises(EOFError):  # the stream ended properly, after what was sent before
            while True:
                reader.next()
        log = own.log_tail(100_000)  # the whole run: the shutdown logs more than it did (alerts, frame counts)
        # The two SSE streams never end by themselves: the server ends them. The WebSocket may be gone first:
        # uvicorn's own shutdown closes every WebSocket (1012) in the same moment (seen once in a fresh clone).
        assert re.search(r'ending [23] stream consumers: the server is stopping', log), log
        # no "timeout graceful shutdown exceeded", no "Exception in ASGI application"
        assert 'ERROR' not in log and 'Traceback' not in log, log
        assert replica.stats('ALGOUSD')['sockets_open'] == 0 and replica.stats('HBARUSD')['sockets_open'] == 0
    finally:
        own.stop()
        for client in (reader, silent, ws):
            if client is not None:
                client.close()
