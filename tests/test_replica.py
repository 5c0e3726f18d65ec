"""The replica itself, over real HTTP and websockets: several exchanges, each market its own, and the firewall.
Its chart series are tests/test_replica_chart.py's."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

from harness.replica_control import ReplicaControl
from launcher.processes import wait_until
from replica import ReplicaServer
from tests.replica_client import (  # noqa: F401  (fixtures; prices_put_back is autouse)
    DEADLINE,
    HEADED_UA,
    header_symbols,
    page,
    prices_put_back,
    socket_to,
)


def prices(updates: dict[str, dict[str, Any]]) -> dict[str, float]:
    return {name: values['lp'] for name, values in updates.items()}


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


# --- the firewall ----------------------------------------------------------------------------------

HEADLESS_HINTS = '"Chromium";v="130", "HeadlessChrome";v="130", "Not?A_Brand";v="99"'
HEADLESS_UA = HEADED_UA.replace('Chrome/', 'HeadlessChrome/')


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
