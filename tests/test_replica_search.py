"""The replica's symbol search over real HTTP: the v3 shape of the facts, its rules, and that every
suggestion it makes is a page it really serves."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.replica_client import HEADED_UA

ORIGIN = {'origin': 'https://www.tradingview.com'}


@pytest.fixture
def search(replica_server):
    httpx.post(f'{replica_server.url}/_replica/reset', timeout=10).raise_for_status()

    def ask(headers: dict[str, str] | None = ORIGIN, **params: str) -> httpx.Response:
        return httpx.get(f'{replica_server.url}/symbol_search/v3/', params={'hl': '1', **params},
                         headers=headers or {}, timeout=10)
    return ask


def _plain(text: str) -> str:
    return re.sub(r'</?em>', '', text)


def test_an_answer_has_the_facts_shape_with_highlights(search):
    body = search(text='SOL').json()
    assert set(body) == {'symbols_remaining', 'symbols'}
    first = body['symbols'][0]
    assert first['symbol'] == '<em>SOL</em>USD' and first['description'] == '<em>Sol</em>ana / U.S. Dollar'
    assert (first['prefix'], first['source_id'], first['provider_id']) == ('BINANCE', 'BINANCE', 'binance')
    assert (first['exchange'], first['type'], first['typespecs'], first['currency_code']) == \
        ('Binance', 'spot', ['crypto'], 'USD')
    assert first['source2'] == {'id': 'BINANCE', 'name': 'Binance', 'description': 'Binance'}
    symbols = [f'{item["prefix"]}:{_plain(item["symbol"])}' for item in body['symbols']]
    assert symbols[:3] == ['BINANCE:SOLUSD', 'COINBASE:SOLUSD', 'KRAKEN:SOLUSD']
    assert 'BINANCE:SOLUSDT' in symbols
    assert '<em>' not in search(text='SOL', hl='0').json()['symbols'][0]['symbol']


def test_names_match_by_word_and_the_closest_comes_first(search):
    items = search(text='BITCOIN').json()['symbols']
    assert [_plain(i['description']) for i in items[:2]] == ['Bitcoin / U.S. Dollar', 'Bitcoin / U.S. Dollar']
    assert {_plain(i['symbol']) for i in items} == {'BTCUSD', 'BTCUSDT', 'BCHUSD', 'BCHUSDT'}
    assert search(text='ITCOIN').json()['symbols'] == []  # inside a word: no


def test_pages_of_fifty_and_what_remains(search):
    first = search(text='USD').json()
    assert len(first['symbols']) == 50
    total = 50 + first['symbols_remaining']
    pages = [first]
    while pages[-1]['symbols_remaining']:
        pages.append(search(text='USD', start=str(50 * len(pages))).json())
    everything = [f'{i["prefix"]}:{_plain(i["symbol"])}' for page in pages for i in page['symbols']]
    assert len(everything) == len(set(everything)) == total


def test_exchange_and_search_type_filter(search):
    assert {i['prefix'] for i in search(text='ETH', exchange='KRAKEN').json()['symbols']} == {'KRAKEN'}
    assert search(text='ETH', search_type='crypto').json()['symbols']
    assert search(text='ETH', search_type='stocks').json() == {'symbols_remaining': 0, 'symbols': []}
    refused = search(text='ETH', type='crypto')
    assert refused.status_code == 400 and refused.json()['error'] == 'forbidden_set_type_with_search_type_api'


def test_only_tradingview_origins_are_answered(search, replica_server):
    assert search(headers={}, text='BTC').status_code == 403
    assert search(headers={'origin': 'https://evil.example'}, text='BTC').status_code == 403
    assert search(headers={'referer': 'https://www.tradingview.com/symbols/BTCUSD/'}, text='BTC').status_code == 200
    assert search(headers={'origin': replica_server.url}, text='BTC').status_code == 200  # its own pages
    stats = httpx.get(f'{replica_server.url}/_replica/search', timeout=10).json()
    assert stats['requests'] == 4 and stats['refused'] == 2 and stats['texts'] == ['BTC'] * 4


def test_every_suggestion_opens_a_real_page(search, replica_server):
    items = search(text='A').json()['symbols'] + search(text='DOGE').json()['symbols']
    for item in items[:12]:
        page = httpx.get(f'{replica_server.url}/symbols/{_plain(item["symbol"])}/?exchange={item["prefix"]}',
                         headers={'user-agent': HEADED_UA}, timeout=10)
        assert page.status_code == 200, item
        assert f'data-symbol="{item["prefix"]}:{_plain(item["symbol"])}"' in page.text


def test_controls_fail_delay_and_challenge(search, replica_server):
    control = f'{replica_server.url}/_replica/search'
    httpx.post(control, json={'status': 503, 'seconds': 30}, timeout=10).raise_for_status()
    assert search(text='BTC').status_code == 503
    httpx.post(f'{replica_server.url}/_replica/reset', timeout=10).raise_for_status()
    assert search(text='BTC').status_code == 200
    httpx.post(control, json={'html': True, 'seconds': 30}, timeout=10).raise_for_status()
    answer = search(text='BTC')
    assert answer.status_code == 200 and answer.headers['content-type'].startswith('text/html')
    assert httpx.post(control, json={'delay': 'soon'}, timeout=10).status_code == 400
    assert httpx.post(control, content=b'[1]', timeout=10).status_code == 400
