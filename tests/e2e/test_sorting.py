"""Sorting and filtering the grid, done in the browser from the prices the page receives. One app for the
module; each test uses its own symbols (the replica's prices are reset before each test)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live, shown_symbols
from harness.tool_steps import (
    set_holding,
    sort_by,
)
from launcher.processes import wait_until
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e


def _order(page: Page, expected: list[str]) -> None:
    wait_until(lambda: shown_symbols(page) == expected, 10, f'the cards in the order {expected}')


def _set(replica, page: Page, factors: dict[str, float]) -> None:
    for symbol, factor in factors.items():
        price = round(replica.price(symbol) * factor, 4)
        replica.set_price(symbol, price)
        # The card shows it: the page has the message, and so has the sorter.
        expect(card(page, symbol).locator('.price')).to_have_text(replica.price_text(symbol))


def test_sorting_by_change_orders_the_cards_both_ways_and_the_choice_survives_a_reload(dashboard: Page, replica):
    symbols = ['ADAUSD', 'BTCUSD', 'ETHUSD']
    for symbol in symbols:
        add_ticker(dashboard, symbol)
        expect_live(dashboard, symbol)
    _set(replica, dashboard, {'ADAUSD': 1.0, 'BTCUSD': 0.6, 'ETHUSD': 1.5})  # ~0 %, ~−40 %, ~+50 %
    assert shown_symbols(dashboard) == ['BINANCE:ADAUSD', 'BINANCE:BTCUSD', 'BINANCE:ETHUSD']  # by name

    sort_by(dashboard, 'Change % (high to low)')
    _order(dashboard, ['BINANCE:ETHUSD', 'BINANCE:ADAUSD', 'BINANCE:BTCUSD'])
    dashboard.reload()
    expect(dashboard.get_by_label('Sort')).to_have_value('Change % (high to low)')
    _order(dashboard, ['BINANCE:ETHUSD', 'BINANCE:ADAUSD', 'BINANCE:BTCUSD'])

    sort_by(dashboard, 'Change % (low to high)')
    _order(dashboard, ['BINANCE:BTCUSD', 'BINANCE:ADAUSD', 'BINANCE:ETHUSD'])
    # Tab goes through the cards in the order they are seen: they are moved, not just drawn elsewhere.
    boxes = dashboard.locator('[data-symbol]').evaluate_all(
        'cards => cards.map(c => [c.getBoundingClientRect().top, c.getBoundingClientRect().left])')
    assert boxes == sorted(boxes)

    sort_by(dashboard, 'Name (A–Z)')
    _order(dashboard, ['BINANCE:ADAUSD', 'BINANCE:BTCUSD', 'BINANCE:ETHUSD'])
    dashboard.reload()
    expect(dashboard.get_by_label('Sort')).to_have_value('Name (A–Z)')


def test_sorting_by_position_value(dashboard: Page, replica):
    for symbol in ('SOLUSD', 'XRPUSD', 'DOGEUSD'):
        add_ticker(dashboard, symbol)
    replica.set_price('SOLUSD', 100)
    replica.set_price('XRPUSD', 2)
    replica.set_price('DOGEUSD', 0.2)
    expect_live(dashboard, 'SOLUSD', '100.00')
    expect_live(dashboard, 'XRPUSD', '2.00')
    expect_live(dashboard, 'DOGEUSD', replica.price_text('DOGEUSD'))  # the pricescale's decimals
    set_holding(dashboard, 'SOLUSD', '1')  # 100
    set_holding(dashboard, 'XRPUSD', '200')  # 400
    sort_by(dashboard, 'Position value (high to low)')
    # No holding: last, by name.
    _order(dashboard, ['BINANCE:XRPUSD', 'BINANCE:SOLUSD', 'BINANCE:DOGEUSD'])
    set_holding(dashboard, 'DOGEUSD', '10000')  # 2000: a changed holding re-sorts at once
    _order(dashboard, ['BINANCE:DOGEUSD', 'BINANCE:XRPUSD', 'BINANCE:SOLUSD'])


def test_live_changes_re_sort_but_not_under_the_pointer(dashboard: Page, replica):
    for symbol in ('LTCUSD', 'LINKUSD'):
        add_ticker(dashboard, symbol)
        expect_live(dashboard, symbol)
    _set(replica, dashboard, {'LTCUSD': 1.5, 'LINKUSD': 0.6})
    sort_by(dashboard, 'Change % (high to low)')
    _order(dashboard, ['BINANCE:LTCUSD', 'BINANCE:LINKUSD'])

    card(dashboard, 'LINKUSD').hover()  # reading, about to click
    _set(replica, dashboard, {'LTCUSD': 0.4, 'LINKUSD': 3.0})  # the order of change % flips
    sorter = dashboard.locator('.grid-sorter')
    expect(sorter).to_have_attribute('data-pending', 'held', timeout=15_000)  # a round went by: it waited
    assert shown_symbols(dashboard) == ['BINANCE:LTCUSD', 'BINANCE:LINKUSD']

    dashboard.mouse.move(5, 5)  # over the header, off the grid
    _order(dashboard, ['BINANCE:LINKUSD', 'BINANCE:LTCUSD'])
    expect(sorter).not_to_have_attribute('data-pending', 'held')


def test_the_filter_narrows_as_you_type_and_clears(dashboard: Page, replica):
    symbols = ['AAVEUSD', 'ALGOUSD', 'COINBASE:ETHUSD', 'ETHUSD', 'SUIUSD']
    for symbol in symbols:
        add_ticker(dashboard, symbol)
    box = dashboard.get_by_label('Filter')
    expect(box).to_be_hidden()  # five cards are read at a glance
    add_ticker(dashboard, 'TONUSD')
    expect(box).to_be_visible()

    box.press_sequentially('et')
    visible = dashboard.locator('[data-symbol]:visible')
    expect(visible).to_have_count(2)
    assert visible.evaluate_all('cards => cards.map(c => c.dataset.symbol)') == ['BINANCE:ETHUSD', 'COINBASE:ETHUSD']
    expect(dashboard.locator('.grid-sorter')).to_have_text('2 of 6 tickers shown')
    box.fill('coinbase')
    expect(visible).to_have_count(1)
    box.fill('ethereum')  # the instrument's name, as the page's chart series gives it
    expect(visible).to_have_count(2)
    box.fill('nothing like it')
    expect(visible).to_have_count(0)
    expect(dashboard.locator('.grid-sorter')).to_have_text('No ticker on your list matches the filter.')
    box.press('Escape')
    expect(box).to_have_value('')
    expect(visible).to_have_count(6)

    box.fill('ton')
    expect(visible).to_have_count(1)
    dashboard.get_by_role('button', name='Remove TONUSD on BINANCE').click()
    expect(box).to_be_hidden()  # five left: the box goes, and its filter with it
    expect(visible).to_have_count(5)
