"""Suggestions as you type, from TradingView's symbol search (the replica's), asked by the server.

One app for the module, its search pointed at the replica (app_process.py does that); each test types its
own prefixes, because the app's cache is the whole server's."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.pages import (
    add_ticker,
    card,
    expect_field_message,
    expect_live,
    field_message,
    shown_symbols,
    ticker_input,
)
from launcher.processes import wait_until

pytestmark = pytest.mark.e2e
PHONE = {'viewport': {'width': 390, 'height': 844}, 'device_scale_factor': 3, 'is_mobile': True, 'has_touch': True}


class ReplicaSearch:
    def __init__(self, url: str) -> None:
        self.url = url

    def stats(self) -> dict:
        return httpx.get(f'{self.url}/_replica/search', timeout=10).json()

    def texts(self) -> list[str]:
        return self.stats()['texts']

    def set(self, **trouble) -> None:
        httpx.post(f'{self.url}/_replica/search', json=trouble, timeout=10).raise_for_status()


@pytest.fixture
def search(replica, replica_server) -> ReplicaSearch:
    return ReplicaSearch(replica_server.url)  # `replica` has reset the search's counters and troubles


def listbox(page: Page):
    return page.get_by_role('listbox', name='Suggestions')


def option(page: Page, symbol: str):
    return page.locator(f'[role="option"][data-suggestion="{symbol}"]')


def type_slowly(page: Page, text: str) -> None:
    field = ticker_input(page)
    field.click()
    field.press_sequentially(text, delay=40)


def test_typing_sol_suggests_markets_and_the_keyboard_adds_one(dashboard: Page, search, replica):
    type_slowly(dashboard, 'sol')
    expect(listbox(dashboard)).to_be_visible()
    field = ticker_input(dashboard)
    expect(field).to_have_attribute('role', 'combobox')
    expect(field).to_have_attribute('aria-expanded', 'true')
    expect(field).to_have_attribute('aria-controls', listbox(dashboard).get_attribute('id') or 'none')
    solusd = option(dashboard, 'BINANCE:SOLUSD')
    for text in ('SOLUSD', 'Solana / U.S. Dollar', 'Binance', 'spot'):
        expect(solusd).to_contain_text(text)
    expect(solusd.locator('mark').first).to_have_text('SOL')  # the typed part, as plain text
    options = dashboard.get_by_role('option')
    assert 1 < options.count() <= 10
    assert search.texts() == ['SOL']  # one query for the pause, none for 's' or 'so' typed on the way

    field.press('ArrowDown')  # the first: BINANCE:SOLUSD
    expect(field).to_have_attribute('aria-activedescendant', solusd.get_attribute('id') or 'none')
    expect(solusd).to_have_attribute('aria-selected', 'true')
    field.press('ArrowDown')
    field.press('ArrowUp')
    field.press('Enter')
    expect(listbox(dashboard)).to_have_count(0)
    expect_live(dashboard, 'BINANCE:SOLUSD', replica.price_text('SOLUSD'))
    expect(field).to_have_value('')
    assert shown_symbols(dashboard) == ['BINANCE:SOLUSD']

    type_slowly(dashboard, 'avax')
    expect(listbox(dashboard)).to_be_visible()
    field.press('Escape')  # closes the list, keeps the text
    expect(listbox(dashboard)).to_have_count(0)
    expect(field).to_have_attribute('aria-expanded', 'false')
    expect(field).to_have_value('avax')
    field.press('ArrowDown')  # opens it again
    expect(listbox(dashboard)).to_be_visible()
    option(dashboard, 'COINBASE:AVAXUSD').click()  # a click adds it too, as if typed
    expect_live(dashboard, 'COINBASE:AVAXUSD')


def test_a_full_symbol_and_enter_adds_it_with_no_search(dashboard: Page, search):
    add_ticker(dashboard, 'KRAKEN:XLMUSD')
    expect_live(dashboard, 'KRAKEN:XLMUSD')
    type_slowly(dashboard, 'trx')  # a search typed after it: once it is answered, one for XLMUSD would have been
    expect(option(dashboard, 'BINANCE:TRXUSD')).to_be_visible()
    assert search.texts() == ['TRX']


def test_two_browsers_typing_the_same_prefix_cause_one_search_request(new_context, search, app_server):
    search.set(delay=1.0)  # the first request is still on its way when the second browser asks
    pages = [new_context().new_page() for _ in range(2)]
    for page in pages:
        page.goto(app_server.url)
        expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    for page in pages:
        type_slowly(page, 'do')
    for page in pages:
        expect(option(page, 'BINANCE:DOGEUSD')).to_be_visible()
    assert search.texts() == ['DO']
    third = new_context().new_page()  # and later, from the cache
    third.goto(app_server.url)
    type_slowly(third, 'do')
    expect(option(third, 'BINANCE:DOGEUSD')).to_be_visible()
    assert search.texts() == ['DO']


HOSTILE = ['<script>alert(1)</script>', 'so&type=stocks', "' OR 1=1 --", '../../etc', 'ſol', 'so l', 'x' * 40,
           'bin ance:sol', '%3Cb%3E', 'sol\u202e', '"><img src=x>']


def test_hostile_input_is_never_sent_to_the_replica(dashboard: Page, search):
    field = ticker_input(dashboard)
    for text in HOSTILE:
        field.fill(text)
        # Past the browser's own check too: the server's is the one that counts.
        dashboard.evaluate('''text => getElement(document.querySelector('.ticker-field').id.slice(1))
                                  .$emit('search', text)''', text)
    field.fill('')
    type_slowly(dashboard, 'xr')  # a real query after them: once it is answered, they all were handled
    expect(option(dashboard, 'BINANCE:XRPUSD')).to_be_visible()
    assert search.texts() == ['XR']
    assert dashboard.locator('img[src="x"], script:text("alert")').count() == 0


def test_an_unknown_symbol_is_explained_next_to_the_field_with_suggestions(dashboard: Page, search, replica):
    field = ticker_input(dashboard)
    field.fill('FOOEX:HBARUSD')
    field.press('Enter')
    expect_field_message(dashboard, 'HBARUSD was not found on FOOEX.')
    expect(field).to_have_value('FOOEX:HBARUSD')  # put back, to be corrected
    expect(card(dashboard, 'FOOEX:HBARUSD')).to_have_count(0)  # no red card to remove
    for symbol in ('BINANCE:HBARUSD', 'COINBASE:HBARUSD', 'KRAKEN:HBARUSD'):
        expect(option(dashboard, symbol)).to_be_visible()
    field.press('ArrowDown')
    field.press('ArrowDown')
    field.press('Enter')  # COINBASE:HBARUSD
    expect_live(dashboard, 'COINBASE:HBARUSD')
    expect(field_message(dashboard)).to_have_count(0)
    dashboard.reload()
    expect_live(dashboard, 'COINBASE:HBARUSD')
    assert shown_symbols(dashboard) == ['COINBASE:HBARUSD']  # the unknown one was never kept


def test_api_search_answers_and_refuses_bad_queries(app_server, search):
    answer = app_server.get('/api/search?q=eth')
    assert answer.status_code == 200
    body = answer.json()
    assert body['query'] == 'ETH' and body['cached'] is False
    eth = next(s for s in body['suggestions'] if s['symbol'] == 'BINANCE:ETHUSD')
    assert (eth['ticker'], eth['name'], eth['exchange'], eth['kind']) == ('ETHUSD', 'Ethereum / U.S. Dollar', 'Binance',
                                                                        'spot')
    assert eth['ticker_parts'] == [['ETH', True], ['USD', False]]
    assert app_server.get('/api/search?q=coinbase:eth').json()['suggestions'][0]['symbol'] == 'COINBASE:ETHUSD'
    assert app_server.get('/api/search?q=ETH').json()['cached'] is True
    for bad in ('', 'e', 'x' * 30, '<b>', 'et h', 'ſol', 'a:b:c'):
        refused = app_server.get(f'/api/search?q={bad}')
        assert refused.status_code == 400 and refused.json()['error'], bad
    assert app_server.get('/api/search').status_code == 400
    assert search.texts() == ['ETH', 'ETH']  # the second with exchange=COINBASE; nothing refused was sent
    assert '/api/search' in app_server.get('/openapi.json').json()['paths']
    # One address may not spend everyone's budget: 40 at once go past its 10, however slow the machine is.
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: app_server.get('/api/search?q=eth'), range(40)))
    refused = [a for a in answers if a.status_code == 429]
    assert refused and refused[0].headers['retry-after'] == '1' and refused[0].json()['error']
    assert {a.status_code for a in answers} == {200, 429}


def test_the_first_card_fits_a_phone_and_suggestions_work_by_touch(new_context, search, replica, app_server):
    page = new_context(**PHONE, color_scheme='dark').new_page()
    page.goto(app_server.url)
    for symbol in ('ADAUSDT', 'BTCUSDT', 'ETHUSDT', 'LTCUSD', 'SUIUSD', 'TRXUSD'):
        add_ticker(page, symbol)
    expect_live(page, 'ADAUSDT')
    first = page.locator('[data-symbol]').first.bounding_box()
    above = [ticker_input(page), page.get_by_role('button', name='Add holding'),
             page.locator('.sort-control').filter(has=page.get_by_label('Sort')),
             page.locator('.filter-box').filter(has=page.get_by_label('Filter'))]
    boxes = [element.bounding_box() for element in above]
    assert first and all(boxes), boxes
    assert first['y'] + first['height'] <= 844, first  # the whole first card on the first screen
    assert all(box['y'] + box['height'] <= first['y'] for box in boxes)
    assert abs(boxes[2]['y'] - boxes[3]['y']) < 2  # sort and filter share one row

    ticker_input(page).tap()
    ticker_input(page).press_sequentially('ne', delay=40)
    expect(listbox(page)).to_be_visible()
    box = listbox(page).bounding_box()
    assert box and box['x'] >= 0 and box['x'] + box['width'] <= 390 and box['y'] + box['height'] <= 844
    option(page, 'BINANCE:NEARUSD').tap()
    expect_live(page, 'BINANCE:NEARUSD')


def test_search_down_leaves_adding_by_full_symbol_working_with_a_calm_message(dashboard: Page, search, app_server):
    search.set(status=503, seconds=60)
    type_slowly(dashboard, 'li')
    hint = dashboard.locator('.add-form .q-field__messages')
    expect(hint).to_contain_text('Suggestions are unavailable right now; a full symbol such as BINANCE:SOLUSD '
                                 'still works.')
    expect(field_message(dashboard)).to_have_count(0)  # quiet: no alert, no red
    expect(listbox(dashboard)).to_have_count(0)
    expect(dashboard.locator('.add-form [role="status"]')).to_contain_text('Suggestions are unavailable')
    ticker_input(dashboard).fill('LINKUSD')
    ticker_input(dashboard).press('Enter')
    expect_live(dashboard, 'LINKUSD')
    assert search.texts() == ['LI']
    search.set(status=503, seconds=0)  # back: the app asks again once its rest is over
    wait_until(lambda: app_server.get('/api/search?q=li').status_code == 200, 30, 'the search answering again')


def test_nothing_typed_reaches_the_page_as_markup(dashboard: Page, search):
    type_slowly(dashboard, 'bitcoin')
    expect(option(dashboard, 'BINANCE:BTCUSD')).to_contain_text(re.compile(r'Bitcoin / U\.S\. Dollar'))
    names = dashboard.locator('.suggestion-name').all_inner_texts()
    assert names and not any('<' in name for name in names)
