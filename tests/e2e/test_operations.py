"""Running the app in harder conditions: at its symbol cap, and without a usable Chromium."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.pages import add, add_ticker, card, expect_field_message, expect_live, shown_symbols, ticker_input
from launcher.app_process import AppProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def small_app(replica_server, tmp_path_factory) -> Iterator[AppProcess]:
    app = AppProcess(replica_server.url, tmp_path_factory.mktemp('small'), extra_args=('--max-symbols', '2')).start()
    yield app
    app.stop()


def test_one_symbol_too_many_is_refused_with_a_clear_message(page: Page, small_app, replica):
    page.goto(small_app.url)
    for symbol in ('FILUSD', 'NEARUSD'):
        add_ticker(page, symbol)
    add(page, 'aptusd')
    expect_field_message(page, 'At most 2 symbols can be watched at once; remove one first.')
    expect(ticker_input(page)).to_have_value('aptusd')
    assert shown_symbols(page) == ['BINANCE:FILUSD', 'BINANCE:NEARUSD']
    assert sorted(small_app.tickers()) == ['BINANCE:FILUSD', 'BINANCE:NEARUSD']

    page.get_by_role('button', name='Remove FILUSD on BINANCE').click()
    expect(card(page, 'FILUSD')).to_have_count(0)
    ticker_input(page).press('Enter')  # the same text, now that there is room
    expect_live(page, 'APTUSD')
    assert shown_symbols(page) == ['BINANCE:APTUSD', 'BINANCE:NEARUSD']


def test_without_chromium_health_says_503_and_the_page_still_serves(replica_server, tmp_path):
    app = AppProcess(replica_server.url, tmp_path, extra_args=('--chromium', str(tmp_path / 'no-such-chromium')))
    app.start(until=lambda health: health['browser']['state'] == 'failed')
    try:
        health = app.get('/health')
        assert health.status_code == 503
        body = health.json()
        assert body['status'] == 'failed' and body['browser']['open_tabs'] == 0
        assert 'Chromium could not be started' in body['browser']['error']
        assert httpx.get(app.url, timeout=10).status_code == 200
        assert 'cryptotracker_browser_up 0.0' in app.get('/metrics').text
    finally:
        assert app.stop() == 0, app.log_tail()
