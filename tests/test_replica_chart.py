"""The replica's chart series, over real websockets and a real page script: the symbol, a day of bars, one
du per price move, new periods, the mini chart, and the series modes and errors."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest

from harness.replica_control import ReplicaControl
from harness.waiting import eventually
from launcher.chromium import chromium_path
from replica import ReplicaServer, framing
from replica.series import HISTORY, PERIOD, Bars
from tests.replica_client import (  # noqa: F401  (fixtures; prices_put_back is autouse)
    DEADLINE,
    HEADED_UA,
    PageSocket,
    header_symbols,
    init_data,
    page,
    prices_put_back,
    socket_to,
)


def chart_name(symbol: str) -> str:
    """How the page names the symbol it resolves for a chart."""
    return '=' + json.dumps({'adjustment': 'splits', 'symbol': symbol}, separators=(',', ':'))


def du_points(message: dict[str, Any], session: str) -> list[dict[str, Any]]:
    """The bars of a `du` of `session`'s sds_1, after checking its shape."""
    assert message['m'] == 'du' and message['p'][0] == session, message
    assert list(message['p'][1]) == ['sds_1']
    body = message['p'][1]['sds_1']
    assert body['ns'] == {'d': '', 'indexes': 'nochange'} and body['t'] == 's1'
    assert body['lbs'] == {'bar_close_time': int(body['s'][-1]['v'][0]) + PERIOD}
    return body['s']


def assert_bars_are_a_day_ending_now(bars: list[list[float]], started: float, price: float) -> None:
    times = [int(v[0]) for v in bars]
    assert len(bars) == 300 and all(t % PERIOD == 0 for t in times)
    assert times == list(range(times[0], times[0] + 300 * PERIOD, PERIOD)), 'contiguous, oldest first'
    assert started // PERIOD * PERIOD <= times[-1] <= time.time(), 'the last bar is the current period'
    for previous, (_t, o, h, low, c, volume) in zip([None, *bars], bars, strict=False):
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

