"""The search's parts: what may be searched for, how an answer is read, and the server-wide service (cache,
shared requests, pace, rest after failures) against the replica's search over real HTTP."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from symbol_search.answer import highlighted, parse_answer
from symbol_search.query import InvalidQuery, SearchQuery, parse_query
from symbol_search.service import BUSY, OK, UNAVAILABLE, SymbolSearch


@pytest.mark.parametrize(('typed', 'query'), [
    ('sol', SearchQuery('SOL')), (' coinbase:eth ', SearchQuery('ETH', 'COINBASE')),
    ('BTCUSDT.P', SearchQuery('BTCUSDT.P')),
    ('bitcoin', SearchQuery('BITCOIN'))])
def test_what_may_be_searched_for(typed, query):
    assert parse_query(typed) == query


@pytest.mark.parametrize('typed', ['', 's', 'x' * 21, 'BTC USD', '<em>', '&text=1', 'btcuſd', 'ßOL', 'биткоин',
                                   'FOO EX:SOL', 'a/b', 'sol#', '%20sol', 'bin:', ':so'])
def test_anything_else_is_refused_with_a_reason(typed):
    with pytest.raises(InvalidQuery) as problem:
        parse_query(typed)
    assert str(problem.value)


def test_query_parameters_never_hold_a_type():
    params = SearchQuery('SOL', 'BINANCE').params()
    assert params['text'] == 'SOL' and params['exchange'] == 'BINANCE' and params['hl'] == '1'
    assert 'type' not in params


def test_highlights_become_parts_of_plain_text():
    assert highlighted('<em>BTC</em>USD') == (('BTC', True), ('USD', False))
    assert highlighted('<b>x</b><EM>a&amp;b</EM><script>alert(1)</script>') == (('x', False), ('a&b', True),
                                                                               ('alert(1)', False))


def _item(symbol: str, prefix: str = 'BINANCE', **more) -> dict:
    return {'symbol': symbol, 'description': 'Solana / U.S. Dollar', 'type': 'spot', 'exchange': 'Binance',
            'prefix': prefix, 'typespecs': ['crypto'], 'currency_code': 'USD', **more}


def test_an_answer_is_read_defensively_crypto_first():
    body = {'symbols_remaining': 0, 'symbols': [
        _item('<em>SOL</em>', prefix='NYSE', type='stock', typespecs=['common']),
        _item('<em>SOL</em>USD'), _item('<em>SOL</em>USD'),  # a repeat
        _item('<em>SOL</em>USDT.P', type='swap', typespecs=['crypto', 'perpetual']),
        _item('SOL USD'), _item('../x'), _item('SOLUSD', prefix='<b>'), 'nonsense', None,
        {'symbol': 'SOLEUR', 'source_id': 'KRAKEN', 'unknown': {'deep': [1]}},
    ]}
    found = parse_answer(body)
    # Crypto first; an item that does not say what it is is not taken for crypto.
    assert [s.symbol for s in found] == ['BINANCE:SOLUSD', 'BINANCE:SOLUSDT.P', 'NYSE:SOL', 'KRAKEN:SOLEUR']
    assert [s.kind for s in found] == ['spot', 'perpetual', 'stock', '']
    assert found[0].ticker_parts == (('SOL', True), ('USD', False)) and found[0].name == 'Solana / U.S. Dollar'
    assert found[3].exchange == 'KRAKEN'  # no display name: the prefix
    for malformed in ({}, {'symbols': 'x'}, 'text', 42, None, [None]):
        assert parse_answer(malformed) == []
    assert len(parse_answer({'symbols': [_item(f'SOL{i}') for i in range(30)]})) == 10


# --- the service, against the replica ----------------------------------------------------------------------

@pytest.fixture
def replica_search(replica_server):
    httpx.post(f'{replica_server.url}/_replica/reset', timeout=10).raise_for_status()

    def stats() -> dict:
        return httpx.get(f'{replica_server.url}/_replica/search', timeout=10).json()

    def control(**body) -> None:
        httpx.post(f'{replica_server.url}/_replica/search', json=body, timeout=10).raise_for_status()
    return stats, control


@pytest.fixture
async def service(replica_server):
    made: list[SymbolSearch] = []

    def make(**options) -> SymbolSearch:
        made.append(SymbolSearch(f'{replica_server.url}/symbol_search/v3/', replica_server.url, **options))
        return made[-1]
    yield make
    for search in made:
        await search.close()


async def test_answers_are_cached_and_a_query_in_flight_is_shared(service, replica_search):
    stats, control = replica_search
    search = service()
    control(delay=0.3)  # slow enough that all five ask while the first is on its way
    outcomes = await asyncio.gather(*(search.suggest(parse_query('sol')) for _ in range(5)))
    assert all(o.state == OK for o in outcomes)
    assert 'BINANCE:SOLUSD' in [s.symbol for s in outcomes[0].suggestions]
    assert stats()['requests'] == 1 and search.stats.shared == 4
    again = await search.suggest(parse_query('SOL'))
    assert again.cached and again.suggestions == outcomes[0].suggestions
    assert stats()['requests'] == 1


async def test_new_queries_are_paced_and_the_excess_is_answered_busy(service, replica_search):
    stats, _ = replica_search
    search = service(rate=5, burst=2, max_wait=0.5)
    texts = [f'{a}{b}' for a in 'ABCDE' for b in 'ABCDE']  # 25 distinct queries at once
    outcomes = await asyncio.gather(*(search.suggest(parse_query(text)) for text in texts))
    sent = [o for o in outcomes if o.state == OK]
    # Two at once, then one every 0.2 s for the half second anyone may wait: about four go out.
    assert 2 <= len(sent) <= 5 and stats()['requests'] == len(sent)
    assert sum(o.state == BUSY for o in outcomes) == len(texts) - len(sent)


@pytest.mark.parametrize('trouble', [{'status': 503, 'seconds': 30}, {'status': 429, 'seconds': 30},
                                     {'html': True, 'seconds': 30}])
async def test_a_failing_search_rests_and_says_so(service, replica_search, trouble):
    stats, control = replica_search
    search = service(rest=60)
    control(**trouble)
    assert (await search.suggest(parse_query('ETH'))).state == UNAVAILABLE
    assert (await search.suggest(parse_query('XRP'))).state == UNAVAILABLE  # resting: not asked
    assert stats()['requests'] == 1 and not search.available


async def test_a_foreign_origin_is_refused_and_not_retried_at_once(replica_server, replica_search):
    stats, _ = replica_search
    search = SymbolSearch(f'{replica_server.url}/symbol_search/v3/', 'https://elsewhere.example')
    try:
        assert (await search.suggest(parse_query('BTC'))).state == UNAVAILABLE
        assert stats()['refused'] == 1
    finally:
        await search.close()


async def test_an_unreachable_search_is_unavailable_within_its_timeout():
    search = SymbolSearch('http://127.0.0.1:9/symbol_search/v3/', 'https://www.tradingview.com', timeout=2)
    try:
        assert (await asyncio.wait_for(search.suggest(parse_query('BTC')), 5)).state == UNAVAILABLE
    finally:
        await search.close()


def test_the_search_url_is_a_flag_or_a_variable_and_is_checked(capsys):
    from settings import Settings, parse_settings
    assert parse_settings([], {}).symbol_search_url == Settings().symbol_search_url == \
        'https://symbol-search.tradingview.com/symbol_search/v3/'
    from_env = parse_settings([], {'SYMBOL_SEARCH_URL': 'http://127.0.0.1:9/s/'})
    assert from_env.symbol_search_url == 'http://127.0.0.1:9/s/'
    assert parse_settings(['--symbol-search-url', 'https://x.example/v3/'],
                          {'SYMBOL_SEARCH_URL': 'http://127.0.0.1:9/s/'}).symbol_search_url == 'https://x.example/v3/'
    for bad in ('ftp://x/', 'symbol-search.tradingview.com', 'http:// x/'):
        with pytest.raises(SystemExit):
            parse_settings(['--symbol-search-url', bad], {})
        assert 'argument --symbol-search-url: ' in (err := capsys.readouterr().err) and 'is not an http(s) URL' in err
