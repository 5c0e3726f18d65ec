"""The portfolio as a person uses it: holdings of tickers on the list, valued live in the browser from the
prices the page receives, stored per browser. One app for the module; each test uses its own symbols."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live, shown_symbols
from harness.tool_steps import (
    dialog,
    field_error,
    holding_row,
    open_holding_form,
    set_alert,
    set_holding,
    total,
)
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e


def test_the_total_and_each_position_follow_the_prices(dashboard: Page, replica):
    for symbol in ('BTCUSD', 'ETHUSD'):
        add_ticker(dashboard, symbol)
    replica.set_price('BTCUSD', 90000)
    replica.set_price('ETHUSD', 3000)
    expect_live(dashboard, 'BTCUSD', '90,000.00')
    expect_live(dashboard, 'ETHUSD', '3,000.00')
    expect(card(dashboard, 'BTCUSD').locator('.currency')).to_have_text('USD')
    set_holding(dashboard, 'BTCUSD', '0.5', cost='80,000')
    set_holding(dashboard, 'ETHUSD', '10')
    expect(total(dashboard)).to_have_text('75,000.00 USD')
    btc = holding_row(dashboard, 'BTCUSD')
    expect(btc.locator('.quantity')).to_have_text('0.5')
    expect(btc.locator('.value')).to_have_text('45,000.00 USD')
    expect(btc.locator('.share')).to_have_text('60.0%')
    expect(btc.locator('.pl')).to_have_text('+5,000.00 USD (+12.50%)')
    expect(holding_row(dashboard, 'ETHUSD').locator('.pl')).to_have_text('—')  # no cost given

    replica.set_price('BTCUSD', 70000)  # below its cost now
    expect(total(dashboard)).to_have_text('65,000.00 USD')
    expect(btc.locator('.value')).to_have_text('35,000.00 USD')
    expect(btc.locator('.pl')).to_have_text('−5,000.00 USD (−12.50%)')
    expect(btc.locator('.pl')).to_have_class('pl signed-down')
    replica.set_price('ETHUSD', 3100.5)
    expect(total(dashboard)).to_have_text('66,005.00 USD')

    dashboard.reload()  # stored per browser
    expect(total(dashboard)).to_have_text('66,005.00 USD')

    form = open_holding_form(dashboard, 'ETHUSD')  # a row opens its own holding
    expect(form.get_by_label('Quantity')).to_have_value('10')
    form.get_by_role('button', name='Remove holding').click()
    expect(holding_row(dashboard, 'ETHUSD')).to_have_count(0)
    expect(total(dashboard)).to_have_text('35,000.00 USD')


def test_amounts_in_two_currencies_are_not_added_up(dashboard: Page, replica):
    add_ticker(dashboard, 'SOLUSD')
    add_ticker(dashboard, 'SOLUSDT')
    replica.set_price('SOLUSD', 150)
    replica.set_price('SOLUSDT', 151)
    expect_live(dashboard, 'SOLUSD', '150.00')
    expect_live(dashboard, 'SOLUSDT', '151.00')
    set_holding(dashboard, 'SOLUSD', '2')
    set_holding(dashboard, 'SOLUSDT', '3')
    expect(total(dashboard)).to_have_text('300.00 USD + 453.00 USDT')
    expect(holding_row(dashboard, 'SOLUSDT').locator('.share')).to_have_text('100.0%')


BAD_AMOUNTS = [  # quantity, cost, the field with the message, the message
    ('', '', 'Quantity', 'Enter how much you hold, like 0.5.'),
    ('abc', '', 'Quantity', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('0', '', 'Quantity', 'Enter a number greater than 0.'),
    ('-2', '', 'Quantity', 'Enter a number greater than 0.'),
    ('1/2', '', 'Quantity', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('2e3', '', 'Quantity', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('9' * 20, '', 'Quantity', 'That is too large: at most 1,000,000,000,000,000.'),
    ('1', '-5', 'Cost per unit (optional)', 'Enter 0 or more.'),
    ('1', 'free', 'Cost per unit (optional)', 'Enter a number, like 1250.5 or 1,250.50.'),
]


def test_bad_quantities_are_refused_with_messages(dashboard: Page, replica):
    add_ticker(dashboard, 'ADAUSDT')
    expect_live(dashboard, 'ADAUSDT')
    form = open_holding_form(dashboard)
    for quantity, cost, field, message in BAD_AMOUNTS:
        form.get_by_label('Quantity').fill(quantity)
        form.get_by_label('Cost per unit (optional)').fill(cost)
        form.get_by_label('Quantity').press('Enter')
        expect(field_error(form, field)).to_have_text(message)
        expect(form.get_by_label('Quantity')).to_have_value(quantity)
    form.get_by_role('button', name='Cancel').click()
    expect(dialog(dashboard)).to_be_hidden()
    expect(holding_row(dashboard, 'ADAUSDT')).to_have_count(0)
    # Still no holding: the portfolio is its button alone, no title, no table.
    expect(dashboard.get_by_role('button', name='Add holding')).to_be_visible()
    expect(dashboard.get_by_role('heading', name='Portfolio')).to_have_count(0)
    expect(dashboard.locator('.portfolio-table')).to_have_count(0)


def test_removing_a_ticker_asks_before_dropping_its_holding(dashboard: Page, replica, app_server):
    add_ticker(dashboard, 'DOGEUSD')
    add_ticker(dashboard, 'XLMUSD')
    expect_live(dashboard, 'DOGEUSD')
    set_holding(dashboard, 'DOGEUSD', '1000')
    set_alert(dashboard, 'DOGEUSD', above='1')
    remove = card(dashboard, 'DOGEUSD').get_by_role('button', name='Remove DOGEUSD on BINANCE')

    remove.click()
    question = dialog(dashboard)
    expect(question).to_contain_text('Remove DOGEUSD on BINANCE? Your holding of 1,000 and its alert will be '
                                      'removed too.')
    question.get_by_role('button', name='Cancel').click()
    expect(dialog(dashboard)).to_be_hidden()
    expect(card(dashboard, 'DOGEUSD')).to_be_visible()
    expect(holding_row(dashboard, 'DOGEUSD')).to_be_visible()

    remove.click()
    dialog(dashboard).get_by_role('button', name='Remove').click()
    expect(card(dashboard, 'DOGEUSD')).to_have_count(0)
    expect(holding_row(dashboard, 'DOGEUSD')).to_have_count(0)
    # A ticker without a holding or alert goes at once, as before.
    card(dashboard, 'XLMUSD').get_by_role('button', name='Remove XLMUSD on BINANCE').click()
    expect(card(dashboard, 'XLMUSD')).to_have_count(0)

    add_ticker(dashboard, 'DOGEUSD')  # back on the list: its old holding and alert are not
    expect_live(dashboard, 'DOGEUSD')
    expect(holding_row(dashboard, 'DOGEUSD')).to_have_count(0)
    expect(card(dashboard, 'DOGEUSD').locator('.alert-line')).to_have_count(0)


def test_tabs_of_one_browser_share_the_portfolio(dashboard: Page, replica, app_server):
    add_ticker(dashboard, 'BNBUSD')
    replica.set_price('BNBUSD', 600)
    expect_live(dashboard, 'BNBUSD', '600.00')
    other = dashboard.context.new_page()
    other.goto(app_server.url)
    expect_live(other, 'BNBUSD', '600.00')
    dashboard.bring_to_front()  # a tab in the background draws no menus (no animation frames)
    set_holding(dashboard, 'BNBUSD', '1.25')
    expect(total(other)).to_have_text('750.00 USD')
    replica.set_price('BNBUSD', 610)
    expect(total(other)).to_have_text('762.50 USD')
    expect(total(dashboard)).to_have_text('762.50 USD')


def test_the_portfolio_fits_a_phone_and_the_dark_theme(new_context, playwright, replica, app_server):
    device = {k: v for k, v in playwright.devices['iPhone 13'].items() if k != 'default_browser_type'}
    page = new_context(**device, color_scheme='dark').new_page()
    page.goto(app_server.url)
    for symbol in ('SHIBUSD', 'PEPEUSD'):
        add_ticker(page, symbol)
        replica.set_price(symbol, 0.00001)
        expect_live(page, symbol, replica.price_text(symbol))
    set_holding(page, 'SHIBUSD', '123,456,789', cost='0.000008')
    set_holding(page, 'PEPEUSD', '987,654,321.5')
    assert shown_symbols(page) == ['BINANCE:PEPEUSD', 'BINANCE:SHIBUSD']
    assert page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')
    panel = page.locator('.portfolio')
    # The dark theme's card colour, as the cards have it.
    assert panel.evaluate('e => getComputedStyle(e).backgroundColor') == \
        card(page, 'SHIBUSD').evaluate('e => getComputedStyle(e).backgroundColor') == 'rgb(17, 24, 39)'
    for button in page.get_by_role('button').all():
        if button.is_visible():
            box = button.bounding_box()
            assert box and box['width'] >= 44 and box['height'] >= 44, (button.get_attribute('aria-label'), box)
    expect(holding_row(page, 'SHIBUSD').locator('.pl')).to_have_text('+246.91 USD (+25.00%)')
    expect(total(page)).to_have_text('11,111.11 USD')
