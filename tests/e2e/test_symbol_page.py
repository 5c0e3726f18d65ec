"""The chart view, /symbol/{SYMBOL}: opened by URL, by a click or Enter on a card; live; released when closed.
Each test uses symbols no other test here uses."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from harness.pages import add_ticker, card, expect_live, last_value
from launcher.processes import wait_until

pytestmark = pytest.mark.e2e


def chart(page: Page) -> Locator:
    return page.get_by_test_id('price-chart')


def view(page: Page) -> Locator:
    return page.locator('.symbol-view')


def points(page: Page) -> int:
    return int(chart(page).get_attribute('data-points') or 0)


def tab_to(page: Page, target: Locator, presses: int = 12) -> None:
    """Press Tab until `target` has the focus, as a keyboard user reaches it."""
    for _ in range(presses):
        page.keyboard.press('Tab')
        if target.evaluate('element => element === document.activeElement'):
            return
    raise AssertionError(f'{target} not reached in {presses} presses of Tab')


def open_chart(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')


def test_the_chart_view_opens_by_url_and_follows_the_price(page: Page, replica, app_server):
    open_chart(page, f'{app_server.url}/symbol/ETCUSD')
    expect(page).to_have_title('ETCUSD on BINANCE · Crypto Tracker')
    expect(view(page)).to_have_attribute('data-status', 'live')
    expect(view(page).locator('.price')).to_have_text(replica.price_text('ETCUSD'))
    expect(page.get_by_test_id('source-state')).to_contain_text('Live')
    expect(view(page).locator('.instrument')).to_have_text('Ethereum Classic / U.S. Dollar')
    wait_until(lambda: points(page) > 8, 10, 'the series on the chart')

    replica.set_price('ETCUSD', 19.55)
    expect(view(page).locator('.price')).to_have_text('19.55')
    wait_until(lambda: last_value(chart(page)) == 19.55, 5, 'the chart ending at the new price')
    expect(page.locator('.range-high')).to_have_text(re.compile(r'^\d[\d,]*\.\d+$'))

    replica.bar('ETCUSD', 19.8)  # a bar update with no quote moves the chart too
    wait_until(lambda: last_value(chart(page)) == 19.8, 5, 'the chart ending at the bar update')


def test_another_exchange_has_its_own_url_and_every_spelling_leads_to_one(page: Page, replica, app_server):
    open_chart(page, f'{app_server.url}/symbol/kraken:etcusd')
    assert page.url == f'{app_server.url}/symbol/KRAKEN:ETCUSD'
    expect(page).to_have_title('ETCUSD on KRAKEN · Crypto Tracker')
    expect(view(page)).to_have_attribute('data-status', 'live')
    expect(view(page).locator('.price')).to_have_text(replica.price_text('KRAKEN:ETCUSD'))

    open_chart(page, f'{app_server.url}/symbol/BINANCE:etcusdt')  # the default exchange goes without saying
    assert page.url == f'{app_server.url}/symbol/ETCUSDT'
    expect(page).to_have_title('ETCUSDT on BINANCE · Crypto Tracker')


def test_a_click_on_a_card_opens_its_chart_with_the_cached_price_and_back_leads_home(page: Page, replica,
                                                                                   app_server):
    page.goto(app_server.url)
    add_ticker(page, 'COINBASE:ICPUSD')
    price_text = replica.price_text('COINBASE:ICPUSD')
    expect_live(page, 'COINBASE:ICPUSD', price_text)

    card(page, 'COINBASE:ICPUSD').click()
    expect(page).to_have_url(f'{app_server.url}/symbol/COINBASE:ICPUSD')
    expect(page).to_have_title('ICPUSD on COINBASE · Crypto Tracker')
    expect(view(page).locator('.price')).to_have_text(price_text)
    # The dashboard held the symbol until the chart had it: its tab never closed.
    assert replica.stats('COINBASE:ICPUSD')['page_loads'] == 1

    page.get_by_role('link', name='Back to the dashboard').click()
    expect(page).to_have_url(f'{app_server.url}/')
    expect_live(page, 'COINBASE:ICPUSD', price_text)
    assert replica.stats('COINBASE:ICPUSD')['page_loads'] == 1


def test_enter_or_space_on_a_card_opens_its_chart_and_its_remove_button_still_removes(page: Page, replica,
                                                                                     app_server):
    page.goto(app_server.url)
    add_ticker(page, 'INJUSD')
    add_ticker(page, 'VETUSD')
    expect_live(page, 'INJUSD')
    link = card(page, 'INJUSD').get_by_role('link', name='Open the chart of INJUSD on BINANCE')
    tab_to(page, link)
    expect(card(page, 'INJUSD')).to_have_css('outline-style', 'solid')  # focus shows on the whole card
    page.keyboard.press('Enter')
    expect(page).to_have_url(f'{app_server.url}/symbol/INJUSD')
    expect(view(page)).to_have_attribute('data-status', 'live')

    page.goto(app_server.url)
    tab_to(page, link)
    page.keyboard.press('Space')
    expect(page).to_have_url(f'{app_server.url}/symbol/INJUSD')

    page.goto(app_server.url)
    page.get_by_role('button', name='Remove VETUSD on BINANCE').click()  # above the card's link, not under it
    expect(card(page, 'VETUSD')).to_have_count(0)
    assert page.url == f'{app_server.url}/'


def test_closing_the_chart_view_releases_its_symbol(page: Page, replica, app_server):
    open_chart(page, f'{app_server.url}/symbol/HBARUSD')
    expect(view(page)).to_have_attribute('data-status', 'live')
    assert app_server.tickers()['BINANCE:HBARUSD']['viewers'] == 1
    assert replica.stats('HBARUSD')['sockets_open'] == 1

    page.close()
    wait_until(lambda: 'BINANCE:HBARUSD' not in app_server.tickers(), 10, 'HBARUSD released')
    wait_until(lambda: replica.stats('HBARUSD')['sockets_open'] == 0, 10, 'the HBARUSD tab closed')


def test_ranges_and_chart_types_redraw_from_the_same_history(page: Page, replica, app_server):
    open_chart(page, f'{app_server.url}/symbol/RNDRUSD')
    expect(view(page)).to_have_attribute('data-status', 'live')
    wait_until(lambda: points(page) > 8, 10, 'the series on the chart')
    day = points(page)

    page.get_by_role('button', name='1h').click()
    expect(chart(page)).to_have_attribute('data-range', '1h')
    expect(page.get_by_role('button', name='1h')).to_have_attribute('aria-pressed', 'true')
    expect(page.get_by_role('button', name='1D')).to_have_attribute('aria-pressed', 'false')
    assert 0 < points(page) < day  # the series' 5-minute bars of the last hour
    expect(page.locator('.range-stats')).to_contain_text('Change (1h)')

    page.get_by_role('button', name='Candles').click()
    expect(chart(page)).to_have_attribute('data-mode', 'candles')
    expect(chart(page)).to_have_attribute('aria-label', re.compile(r'^RNDRUSD on BINANCE, 1h, candles: from '))
    hour = points(page)
    page.get_by_role('button', name='All').click()
    expect(chart(page)).to_have_attribute('data-range', 'all')
    assert points(page) > hour


def test_a_symbol_the_source_does_not_list_says_so_on_its_chart(page: Page, replica, app_server):
    open_chart(page, f'{app_server.url}/symbol/NOSUCHCOIN')
    expect(view(page)).to_have_attribute('data-status', 'error')
    expect(page.get_by_test_id('source-state')).to_contain_text('Error')
    expect(page.locator('.chart-empty')).to_be_visible()


@pytest.mark.parametrize('raw', ['bad!!', 'COINBASE:', 'X' * 30, '%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E'])
def test_a_bad_symbol_url_says_why_and_leads_back(page: Page, app_server, raw: str):
    response = page.goto(f'{app_server.url}/symbol/{raw}')
    assert response is not None and response.status < 500
    expect(page).to_have_title('Not a symbol · Crypto Tracker')
    expect(page.get_by_role('alert')).to_contain_text('is not a symbol we can chart')
    assert page.locator('img').count() == 0  # what the URL said is shown as text, never as HTML
    page.get_by_role('link', name='Back to your tickers').click()
    expect(page).to_have_url(f'{app_server.url}/')


def test_the_chart_view_fits_a_phone_in_the_dark_theme(new_context, playwright, replica, app_server):
    device = {k: v for k, v in playwright.devices['iPhone 13'].items() if k != 'default_browser_type'}
    phone = new_context(**device, color_scheme='dark').new_page()
    open_chart(phone, f'{app_server.url}/symbol/TONUSD')
    expect(phone.locator('body')).to_have_class(re.compile(r'body--dark'))
    expect(view(phone)).to_have_attribute('data-status', 'live')
    expect(chart(phone)).to_be_visible()
    assert phone.evaluate('document.scrollingElement.scrollWidth <= window.innerWidth')
    box = chart(phone).bounding_box()
    assert box is not None and box['width'] > 300 and box['height'] >= 280
    for name in ('1h', '1D', 'All', 'Line', 'Candles'):  # big enough for a finger
        button = phone.get_by_role('button', name=name, exact=True).bounding_box()
        assert button is not None and button['height'] >= 40
