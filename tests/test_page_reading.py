"""The dashboard's and the chart page's own readings, in-process: the holding form, what a browser's storage holds
(its list, holdings and sort choice, read defensively: it may come from an older version), and the chart page's
one URL per symbol. The pages themselves: e2e/test_portfolio.py, test_sorting.py, test_symbol_page.py."""
from __future__ import annotations

import pytest

from cryptoui.pages.amounts import plain
from cryptoui.pages.holding_form import label, read_holding
from cryptoui.pages.portfolio import Holding, Holdings, quantity_text
from cryptoui.pages.sorting import CHOICES, DEFAULT, stored_choice
from cryptoui.pages.symbol_page import path
from cryptoui.pages.watchlist import Watchlist
from market.symbols import normalize_symbol

HOW_MUCH = 'Enter how much you hold, like 0.5.'
NOT_A_NUMBER = 'Enter a number, like 1250.5 or 1,250.50.'


# --- the holding form ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(('quantity', 'cost', 'holding'), [
    ('0.5', '', Holding(0.5, None)),
    ('1,250', '30,000.50', Holding(1250.0, 30000.5)),
    (' 2 ', ' 0 ', Holding(2.0, 0.0)),  # a cost of 0 (a gift, an airdrop) is a cost
    ('0.00000001', None, Holding(1e-8, None)),
])
def test_a_holding_is_a_quantity_and_maybe_a_cost(quantity, cost, holding):
    assert read_holding(quantity, cost) == (holding, {})


@pytest.mark.parametrize(('quantity', 'cost', 'problems'), [
    ('', '', {'quantity': HOW_MUCH}),
    (None, '100', {'quantity': HOW_MUCH}),
    ('0', '', {'quantity': 'Enter a number greater than 0.'}),
    ('-1', '', {'quantity': 'Enter a number greater than 0.'}),
    ('abc', '-1', {'quantity': NOT_A_NUMBER, 'cost': 'Enter 0 or more.'}),  # both fields say what is wrong
    ('1', 'free', {'cost': NOT_A_NUMBER}),
    ('1', '1e3', {'cost': NOT_A_NUMBER}),
    ('1,5', '', {'quantity': NOT_A_NUMBER}),  # a decimal comma is not read as 15
    ('2000000000000000', '', {'quantity': 'That is too large: at most 1,000,000,000,000,000.'}),
])
def test_nothing_is_kept_until_both_fields_read(quantity, cost, problems):
    assert read_holding(quantity, cost) == (None, problems)


@pytest.mark.parametrize(('quantity', 'cost'), [(0.0000012345, 0.1), (1e-9, None), (12345678.87654321, 0.0),
                                                (2 / 3, 97123.456789)])
def test_a_holding_opened_again_and_saved_unchanged_stays_the_same(quantity, cost):
    """The form shows a holding with plain(): with 8 decimals, 1e-9 came back as '0' and was refused on Save."""
    shown = (plain(quantity), '' if cost is None else plain(cost))
    assert read_holding(*shown) == (Holding(quantity, cost), {})


def test_a_symbol_is_named_as_people_say_it():
    assert label('COINBASE:BTCUSD') == 'BTCUSD on COINBASE'
    assert [quantity_text(q) for q in (1250.0, 0.5, 1.23456789)] == ['1,250', '0.5', '1.23456789']


# --- what a browser's storage holds ----------------------------------------------------------------------------------

@pytest.mark.parametrize(('stored', 'holding'), [
    ({'quantity': 2, 'cost': 3}, Holding(2.0, 3.0)),
    ({'quantity': 0.5}, Holding(0.5, None)),
    ({'quantity': 1, 'cost': 0}, Holding(1.0, 0.0)),
    ({'quantity': 1, 'cost': -5}, Holding(1.0, None)),  # a cost that cannot be is dropped, the holding kept
    ({'quantity': 1, 'cost': float('inf')}, Holding(1.0, None)),
    ({'quantity': 1, 'cost': '3'}, Holding(1.0, None)),
    ({'quantity': 1, 'cost': True}, Holding(1.0, None)),
    ({'quantity': 0}, None), ({'quantity': -1}, None), ({'quantity': float('nan')}, None),
    ({'quantity': True}, None), ({'quantity': '2'}, None), ({}, None), ([2, 3], None), ('2', None), (None, None),
])
def test_a_stored_holding_is_read_or_dropped_never_a_crash(stored, holding):
    assert Holding.read(stored) == holding


def test_only_the_holdings_that_read_are_shown():
    storage = {'holdings': {'BINANCE:BTCUSD': {'quantity': 1.5, 'cost': 90000}, 'BINANCE:ETHUSD': 'lots',
                            'BINANCE:SOLUSD': {'quantity': -1}}}
    assert Holdings(storage).all() == {'BINANCE:BTCUSD': Holding(1.5, 90000.0)}
    assert Holdings({'holdings': ['BINANCE:BTCUSD']}).all() == {}
    assert Holdings({}).all() == {}


def test_holdings_follow_the_list():
    storage: dict = {}
    holdings = Holdings(storage)
    holdings.set('BINANCE:BTCUSD', Holding(1.0, 2.0))
    holdings.set('BINANCE:ETHUSD', Holding(3.0))
    assert storage == {'holdings': {'BINANCE:BTCUSD': {'quantity': 1.0, 'cost': 2.0},
                                    'BINANCE:ETHUSD': {'quantity': 3.0, 'cost': None}}}
    holdings.keep_only(['BINANCE:ETHUSD'])  # a card removed takes its holding with it
    assert holdings.all() == {'BINANCE:ETHUSD': Holding(3.0)}


def test_a_stored_list_is_read_in_today_s_form():
    """Bare tickers stored before symbols named their exchange meant the configured one; anything that would no
    longer pass is dropped, repeats once; the storage is rewritten so it is read this way once."""
    storage = {'tickers': ['ethusd', 'BINANCE:BTCUSD', 'btcusd', 'COINBASE:ethusd', 5, None, '../x', '<b>', '',
                           'ＢＴＣ']}
    assert Watchlist(storage, 'BINANCE').valid_symbols() == ['BINANCE:BTCUSD', 'BINANCE:ETHUSD', 'COINBASE:ETHUSD']
    assert storage == {'tickers': ['BINANCE:BTCUSD', 'BINANCE:ETHUSD', 'COINBASE:ETHUSD']}
    assert Watchlist({}, 'BINANCE').valid_symbols() == []


def test_a_list_keeps_one_card_per_symbol_by_ticker_then_exchange():
    storage: dict = {}
    watchlist = Watchlist(storage, 'BINANCE')
    for symbol in ('COINBASE:BTCUSD', 'BINANCE:ETHUSD', 'BINANCE:BTCUSD', 'COINBASE:BTCUSD'):
        watchlist.add(symbol)
    assert watchlist.symbols == ['BINANCE:BTCUSD', 'COINBASE:BTCUSD', 'BINANCE:ETHUSD']
    watchlist.remove('COINBASE:BTCUSD')
    watchlist.remove('NOT:THERE')
    assert watchlist.symbols == ['BINANCE:BTCUSD', 'BINANCE:ETHUSD']


@pytest.mark.parametrize('stored', [*CHOICES])
def test_a_stored_sort_choice_is_kept(stored):
    assert stored_choice({'sort': stored}) == stored


@pytest.mark.parametrize('stored', [None, '', 'price', 'NAME', 5, ['name'], {'name': 1}])
def test_any_other_stored_sort_is_the_default_never_a_crash(stored):
    """A list or a dict could not even be looked up among the choices before (TypeError: unhashable)."""
    assert stored_choice({'sort': stored}) == DEFAULT == 'name'
    assert stored_choice({}) == DEFAULT


# --- /symbol/{SYMBOL} ------------------------------------------------------------------------------------------------

def test_a_symbol_on_the_default_exchange_has_the_short_url():
    assert path('BINANCE:BTCUSD', 'BINANCE') == '/symbol/BTCUSD'
    assert path('COINBASE:BTCUSD', 'BINANCE') == '/symbol/COINBASE:BTCUSD'
    assert path('BINANCE:BTCUSD', 'COINBASE') == '/symbol/BINANCE:BTCUSD'


@pytest.mark.parametrize(('raw', 'canonical'), [
    ('BTCUSD', '/symbol/BTCUSD'), ('btcusd', '/symbol/BTCUSD'), ('BINANCE:BTCUSD', '/symbol/BTCUSD'),
    ('binance:btcusd', '/symbol/BTCUSD'), ('COINBASE:BTCUSD', '/symbol/COINBASE:BTCUSD'),
    ('coinbase:BtcUsd', '/symbol/COINBASE:BTCUSD'), ('1000SATS_USDT', '/symbol/1000SATS_USDT'),
    ('BRK.B', '/symbol/BRK.B'),
])
def test_every_spelling_leads_to_one_url_that_is_served_without_another_redirect(raw, canonical):
    """The page redirects when /symbol/{raw} is not the canonical path: the canonical one must not redirect again."""
    assert path(normalize_symbol(raw, 'BINANCE'), 'BINANCE') == canonical
    again = canonical.removeprefix('/symbol/')
    assert path(normalize_symbol(again, 'BINANCE'), 'BINANCE') == canonical == f'/symbol/{again}'

