"""The page as a person uses it, against one app subprocess for the whole module.

Each test uses symbols no other test here uses, so a tab still closing from an earlier test cannot
change what a later one counts.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from harness.pages import (
    add,
    add_ticker,
    card,
    expect_field_message,
    expect_live,
    field_message,
    shown_symbols,
    ticker_input,
)
from launcher.processes import wait_until
from market.formatting import format_price
from market.symbols import InvalidSymbol, normalize_symbol

pytestmark = pytest.mark.e2e


def test_a_ticker_shows_a_spinner_then_its_price_then_follows_the_source(dashboard: Page, replica):
    replica.hang(1.5, symbol='BTCUSD')  # the source is slow, so the connecting state is visible
    add(dashboard, 'btcusd')
    btc = card(dashboard, 'BTCUSD')
    expect(btc).to_have_attribute('data-status', 'connecting')
    expect(btc.get_by_role('progressbar')).to_be_visible()
    expect(btc.locator('.symbol')).to_have_text('BTCUSD')

    expect_live(dashboard, 'BTCUSD', replica.price_text('BTCUSD'))
    expect(btc.get_by_role('progressbar')).to_be_hidden()
    expect(ticker_input(dashboard)).to_have_value('')

    replica.set_price('BTCUSD', 91234.57)
    expect(btc.locator('.price')).to_have_text('91,234.57')
    expect(btc.locator('.price')).to_have_class(re.compile(r'flash-down-[ab]'))
    replica.set_price('BTCUSD', 91300.01)
    expect(btc.locator('.price')).to_have_text('91,300.01')
    expect(btc.locator('.price')).to_have_class(re.compile(r'flash-up-[ab]'))
    expect(btc.locator('.change-percent')).to_have_class(re.compile(r'signed-(up|down)'))


def test_cards_are_alphabetical_whatever_the_order_of_adding(dashboard: Page, replica):
    for symbol in ('ETHUSD', 'ADAUSD', 'SOLUSD', 'BTCUSD'):
        add_ticker(dashboard, symbol)
    assert shown_symbols(dashboard) == ['BINANCE:ADAUSD', 'BINANCE:BTCUSD', 'BINANCE:ETHUSD', 'BINANCE:SOLUSD']


def test_removing_a_card_closes_its_source_tab(dashboard: Page, replica, app_server):
    add_ticker(dashboard, 'LTCUSD')
    expect_live(dashboard, 'LTCUSD')
    assert replica.stats('LTCUSD')['sockets_open'] == 1

    dashboard.get_by_role('button', name='Remove LTCUSD on BINANCE').click()
    expect(card(dashboard, 'LTCUSD')).to_have_count(0)
    wait_until(lambda: replica.stats('LTCUSD')['sockets_open'] == 0, 10, 'LTCUSD socket closed')
    assert 'BINANCE:LTCUSD' not in app_server.tickers()

    dashboard.reload()  # and it stays removed
    expect(dashboard.locator('.empty-state')).to_be_visible()
    assert shown_symbols(dashboard) == []


def test_two_browsers_on_one_symbol_share_one_tab(dashboard: Page, new_context, replica, app_server):
    add_ticker(dashboard, 'XRPUSD')
    price_text = replica.price_text('XRPUSD')
    expect_live(dashboard, 'XRPUSD', price_text)

    other = new_context().new_page()
    other.goto(app_server.url)
    add_ticker(other, 'XRPUSD')
    xrp = card(other, 'XRPUSD')
    # The cached price arrives with the card itself: no spinner, no waiting.
    assert xrp.locator('.price').inner_text() == price_text
    assert xrp.get_by_role('progressbar').is_hidden()

    assert replica.stats('XRPUSD')['page_loads'] == 1
    assert app_server.tickers()['BINANCE:XRPUSD']['viewers'] == 2
    replica.set_price('XRPUSD', 2.5)
    for page in (dashboard, other):
        expect(card(page, 'XRPUSD').locator('.price')).to_have_text('2.50')
    assert replica.stats('XRPUSD')['page_loads'] == 1


def test_tabs_of_one_browser_show_the_same_list(dashboard: Page, replica, app_server):
    second_tab = dashboard.context.new_page()
    second_tab.goto(app_server.url)
    add_ticker(dashboard, 'UNIUSD')
    expect_live(second_tab, 'UNIUSD')
    second_tab.get_by_role('button', name='Remove UNIUSD on BINANCE').click()
    expect(card(dashboard, 'UNIUSD')).to_have_count(0)
    wait_until(lambda: 'BINANCE:UNIUSD' not in app_server.tickers(), 5, 'UNIUSD released by both tabs')


def test_one_coin_on_two_exchanges_is_two_cards_each_following_its_own_market(dashboard: Page, replica,
                                                                             app_server):
    add_ticker(dashboard, 'COINBASE:AAVEUSD')
    add_ticker(dashboard, 'BINANCE:ALGOUSD')
    add_ticker(dashboard, 'aaveusd')  # no exchange: the configured one, BINANCE
    # By ticker, then exchange: one coin's markets side by side.
    assert shown_symbols(dashboard) == ['BINANCE:AAVEUSD', 'COINBASE:AAVEUSD', 'BINANCE:ALGOUSD']
    on_binance, on_coinbase = replica.price('AAVEUSD'), replica.price('COINBASE:AAVEUSD')
    assert format_price(on_binance) != format_price(on_coinbase)
    expect_live(dashboard, 'AAVEUSD', format_price(on_binance))
    expect_live(dashboard, 'COINBASE:AAVEUSD', format_price(on_coinbase))
    coinbase = card(dashboard, 'COINBASE:AAVEUSD')
    expect(coinbase.locator('.symbol')).to_have_text('AAVEUSD')
    expect(coinbase.locator('.exchange')).to_have_text('COINBASE')
    expect(coinbase).to_have_attribute('aria-label', 'AAVEUSD on COINBASE')

    replica.set_price('COINBASE:AAVEUSD', 270.55)
    expect(coinbase.locator('.price')).to_have_text('270.55')
    replica.set_price('AAVEUSD', 250.11)
    expect(card(dashboard, 'AAVEUSD').locator('.price')).to_have_text('250.11')
    expect(coinbase.locator('.price')).to_have_text('270.55')  # each card follows its own market only
    assert replica.stats('COINBASE:AAVEUSD')['page_loads'] == 1 and replica.stats('AAVEUSD')['page_loads'] == 1
    tickers = app_server.tickers()
    assert (tickers['COINBASE:AAVEUSD']['exchange'], tickers['COINBASE:AAVEUSD']['ticker']) == ('COINBASE', 'AAVEUSD')
    assert (tickers['COINBASE:AAVEUSD']['price'], tickers['BINANCE:AAVEUSD']['price']) == (270.55, 250.11)


@pytest.mark.parametrize(('typed', 'message', 'suggested'), [
    ('FOOEX:HBARUSD', 'HBARUSD was not found on FOOEX.', 'KRAKEN:HBARUSD'),
    ('coinbase:hbarusdt', 'HBARUSDT was not found on COINBASE.', 'BINANCE:HBARUSDT')])
def test_an_exchange_that_does_not_list_the_ticker_is_explained_at_the_field(dashboard: Page, replica, typed, message,
                                                                             suggested):
    add(dashboard, typed)
    # Next to the field, with the markets that do exist, instead of a red card the person must then remove.
    expect_field_message(dashboard, message)
    expect(ticker_input(dashboard)).to_have_value(typed)
    expect(dashboard.locator(f'[role="option"][data-suggestion="{suggested}"]')).to_be_visible()
    assert shown_symbols(dashboard) == []
    dashboard.reload()
    assert shown_symbols(dashboard) == []  # not kept on the list either


def test_an_unknown_ticker_is_explained_at_the_field(dashboard: Page, replica, app_server):
    add(dashboard, 'NOPEUSD')
    expect_field_message(dashboard, 'NOPEUSD was not found on BINANCE.')
    expect(ticker_input(dashboard)).to_have_value('NOPEUSD')
    expect(dashboard.locator('.add-form .q-field__messages')).to_contain_text('NOPEUSD was not found')
    expect(card(dashboard, 'NOPEUSD')).to_have_count(0)
    wait_until(lambda: 'BINANCE:NOPEUSD' not in app_server.tickers(), 10, 'NOPEUSD released')
    ticker_input(dashboard).fill('NOPEUSDT')  # typing again clears the message
    expect(field_message(dashboard)).to_have_count(0)


# The last ones upper-case to ASCII ('ſ' -> 'S', 'ß' -> 'SS', 'ﬀ' -> 'FF'): refused as typed, never "corrected".
BAD_INPUTS = ['', '   ', 'BTC USD', 'X' * 100, '../x', '<script>', '<b>BTC</b>', 'BTC/USD', 'BTCÜSD', 'биткоин',
              '"><img src=x>', "a'];x", 'FOO EX:BTCUSD', 'btcuſd', 'ßUSD', 'Zﬀ', 'ſINANCE:BTCUSD']


def test_bad_input_is_explained_under_the_field_which_keeps_the_text(dashboard: Page, app_server):
    for index, text in enumerate(BAD_INPUTS):
        with pytest.raises(InvalidSymbol) as problem:
            normalize_symbol(text, 'BINANCE')
        add(dashboard, text, press_enter=index % 2 == 0)  # Enter and the button alike
        expect_field_message(dashboard, str(problem.value))
        expect(ticker_input(dashboard)).to_have_value(text)
        assert shown_symbols(dashboard) == []
    # Nothing typed reached the page as markup.
    assert dashboard.locator('img[src="x"], b:text("BTC")').count() == 0
    dashboard.reload()
    assert shown_symbols(dashboard) == []


def test_adding_a_ticker_already_shown_says_so_and_changes_nothing(dashboard: Page, replica, app_server):
    add_ticker(dashboard, 'DOTUSD')
    expect_live(dashboard, 'DOTUSD')
    add(dashboard, ' dotusd ')
    expect_field_message(dashboard, 'BINANCE:DOTUSD is already on your list.')
    expect(ticker_input(dashboard)).to_have_value(' dotusd ')
    assert shown_symbols(dashboard) == ['BINANCE:DOTUSD']
    assert app_server.tickers()['BINANCE:DOTUSD']['viewers'] == 1

    ticker_input(dashboard).fill('DOTUSDT')  # typing again clears the message
    expect(field_message(dashboard)).to_have_count(0)


def test_a_reload_keeps_the_list_and_the_source_tabs(dashboard: Page, replica):
    for symbol in ('LINKUSD', 'AVAXUSD'):
        add_ticker(dashboard, symbol)
        expect_live(dashboard, symbol)
    dashboard.reload()
    expect_live(dashboard, 'AVAXUSD', replica.price_text('AVAXUSD'))
    assert shown_symbols(dashboard) == ['BINANCE:AVAXUSD', 'BINANCE:LINKUSD']
    # The new page subscribed before the old one was let go: the tabs were never rebuilt.
    assert replica.stats('AVAXUSD')['page_loads'] == 1
    assert replica.stats('LINKUSD')['page_loads'] == 1


def test_closing_the_last_viewer_closes_the_tab(new_context, replica, app_server):
    context = new_context()
    page = context.new_page()
    page.goto(app_server.url)
    add_ticker(page, 'BNBUSD')
    expect_live(page, 'BNBUSD')
    assert replica.stats('BNBUSD')['sockets_open'] == 1
    context.close()
    wait_until(lambda: replica.stats('BNBUSD')['sockets_open'] == 0, 15, 'BNBUSD socket closed')
    wait_until(lambda: 'BINANCE:BNBUSD' not in app_server.tickers(), 5, 'BNBUSD forgotten')


LAYOUTS = {  # viewport -> columns
    'phone': (None, 1),
    'tablet': ({'width': 820, 'height': 1180}, 2),
    'laptop': ({'width': 1280, 'height': 800}, 3),
    'desktop': ({'width': 1440, 'height': 900}, 4),
}


@pytest.mark.parametrize('layout', LAYOUTS)
def test_the_grid_fits_the_screen(layout, new_context, playwright, replica, app_server):
    viewport, columns = LAYOUTS[layout]
    if viewport is None:
        device = {k: v for k, v in playwright.devices['iPhone 13'].items() if k != 'default_browser_type'}
        page = new_context(**device).new_page()
    else:
        page = new_context(viewport=viewport).new_page()
    page.goto(app_server.url)
    symbols = ['ADAUSDT', 'BTCUSDT', 'DOGEUSD', 'ETHUSDT', 'SOLUSDT']
    for symbol in symbols:
        add_ticker(page, symbol)
    expect_live(page, 'DOGEUSD')

    lefts = page.locator('[data-symbol]').evaluate_all('cards => cards.map(c => c.getBoundingClientRect().left)')
    assert len({round(left) for left in lefts}) == columns
    assert page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')
    for button in page.get_by_role('button').all():
        if button.is_visible():
            box = button.bounding_box()
            assert box and box['width'] >= 44 and box['height'] >= 44, (button.get_attribute('aria-label'), box)
    field = ticker_input(page).bounding_box()
    assert field and field['height'] >= 44


def test_the_theme_follows_the_system_until_toggled_and_the_choice_is_kept(new_context, app_server):
    page = new_context(color_scheme='dark').new_page()
    page.goto(app_server.url)
    body = page.locator('body')
    expect(body).to_have_class(re.compile(r'\bbody--dark\b'))  # the system prefers dark

    page.emulate_media(color_scheme='light')
    expect(body).not_to_have_class(re.compile(r'\bbody--dark\b'))  # still following the system

    page.get_by_role('button', name='Toggle dark theme').click()
    expect(body).to_have_class(re.compile(r'\bbody--dark\b'))
    page.reload()
    expect(body).to_have_class(re.compile(r'\bbody--dark\b'))  # remembered, against the system

    page.get_by_role('button', name='Toggle dark theme').click()
    expect(body).not_to_have_class(re.compile(r'\bbody--dark\b'))
    page.reload()
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    expect(body).not_to_have_class(re.compile(r'\bbody--dark\b'))


def test_the_header_shows_the_connection(dashboard: Page):
    indicator = dashboard.get_by_test_id('connection')
    expect(indicator).to_have_text('Live', use_inner_text=True)
    expect(indicator).to_have_attribute('role', 'status')
    # A dropped socket reads "Reconnecting…", and NiceGUI's own reconnect brings it back to "Live".
    dashboard.evaluate('''() => {
        window.seenStates = [];
        new MutationObserver(() => window.seenStates.push(document.documentElement.dataset.connection))
            .observe(document.documentElement, {attributes: true, attributeFilter: ['data-connection']});
        window.socket.io.engine.close();
    }''')
    dashboard.wait_for_function('window.seenStates.includes("live")')
    assert dashboard.evaluate('window.seenStates') == ['reconnecting', 'live']
    expect(indicator).to_have_text('Live', use_inner_text=True)


def test_health_tickers_and_metrics_for_programs(dashboard: Page, replica, app_server):
    add(dashboard, 'NOSUCHUSD')
    expect_field_message(dashboard, 'NOSUCHUSD was not found on BINANCE.')  # counted below, then released
    add_ticker(dashboard, 'ATOMUSD')
    expect_live(dashboard, 'ATOMUSD')
    replica.set_price('ATOMUSD', 4.75)
    expect(card(dashboard, 'ATOMUSD').locator('.price')).to_have_text('4.75')

    health = app_server.get('/health')
    assert health.status_code == 200
    assert health.headers['content-type'] == 'application/json'
    body = health.json()
    assert body['status'] == 'ok'
    assert body['browser']['state'] == 'running' and body['browser']['open_tabs'] >= 1
    assert body['connected_clients'] >= 1
    assert body['binding_active_links'] == 0  # every binding is pushed, none polled

    tickers = app_server.get('/api/tickers')
    assert tickers.status_code == 200 and tickers.headers['content-type'] == 'application/json'
    atom = {row['symbol']: row for row in tickers.json()['tickers']}['BINANCE:ATOMUSD']
    assert atom['price'] == 4.75 and atom['price_text'] == '4.75'
    assert (atom['exchange'], atom['ticker']) == ('BINANCE', 'ATOMUSD')
    assert atom['status'] == 'live' and atom['message'] == '' and atom['viewers'] == 1
    assert atom['change'] is not None and atom['change_percent'] is not None
    assert atom['updated_at'] > 0 and atom['updated_at_iso'].endswith('+00:00')

    metrics = app_server.get('/metrics')
    assert metrics.status_code == 200
    assert metrics.headers['content-type'].startswith('text/plain; version=')
    text = metrics.text
    assert re.search(r'^cryptotracker_price_updates_total\{exchange="BINANCE",symbol="BINANCE:ATOMUSD"\} [1-9]',
                     text, re.M)
    assert re.search(r'^cryptotracker_update_push_seconds_count [1-9]', text, re.M)
    # The input path, apart from the way out: the engine's own loop and its hand-over to the web server's loop.
    assert re.search(r'^cryptotracker_engine_handover_seconds_count [1-9]', text, re.M)
    assert re.search(r'^cryptotracker_engine_loop_lag_seconds_count [1-9]', text, re.M)
    assert re.search(r'^cryptotracker_connected_clients [1-9]', text, re.M)
    assert re.search(r'^cryptotracker_active_symbols [1-9]', text, re.M)
    assert re.search(r'^cryptotracker_open_tabs [1-9]', text, re.M)
    assert re.search(r'^cryptotracker_scrape_errors_total\{exchange="BINANCE",symbol="BINANCE:NOSUCHUSD"\} 1\.0$',
                     text, re.M)


def test_a_page_whose_socket_reconnects_catches_up_and_keeps_following(dashboard: Page, replica):
    add_ticker(dashboard, 'ICPUSD')
    expect_live(dashboard, 'ICPUSD')
    icp = card(dashboard, 'ICPUSD').locator('.price')

    dashboard.evaluate('window.socket.io.engine.close()')  # a network blip: socket.io reconnects by itself
    replica.set_price('ICPUSD', 7.77)  # a change the page may miss while it is away
    expect(dashboard.locator('html')).to_have_attribute('data-connection', 'live')
    expect(icp).to_have_text('7.77')  # caught up on reconnect

    replica.set_price('ICPUSD', 7.91)  # and the new socket is back in the symbol's room
    expect(icp).to_have_text('7.91')


def test_a_card_whose_code_is_slow_to_load_still_shows_the_price_and_state(new_context, replica, app_server):
    """On an empty page the first card's component is fetched when it is needed. The symbol's first price
    and its 'live' state can reach the page before that code has run: the card must catch up, not keep a
    spinner and no price for as long as the market is quiet (the replica here does not move by itself)."""
    page = new_context().new_page()
    held = []
    page.route(re.compile(r'/components/[^/]+/ticker_card\.js'), lambda route: held.append(route))  # answered later
    page.goto(app_server.url)
    add(page, 'XLMUSD')
    wait_until(lambda: app_server.tickers().get('BINANCE:XLMUSD', {}).get('status') == 'live', 15, 'XLMUSD live')
    wait_until(lambda: _pushed(app_server, 'XLMUSD'), 10, 'its first price pushed to its viewers')
    page.evaluate('1')  # lets Playwright hand us the paused request for the component
    assert held, 'the page did not ask for the card component'
    expect(card(page, 'XLMUSD')).to_have_count(0)  # its code has not run: nothing could hear the push
    for route in held:
        route.continue_()
    expect_live(page, 'XLMUSD', replica.price_text('XLMUSD'))
    expect(card(page, 'XLMUSD').get_by_role('progressbar')).to_be_hidden()


def _pushed(app_server, symbol: str) -> bool:
    text = app_server.get('/metrics').text
    wanted = rf'^cryptotracker_price_updates_total\{{exchange="BINANCE",symbol="BINANCE:{symbol}"\}} [1-9]'
    return bool(re.search(wanted, text, re.M))
