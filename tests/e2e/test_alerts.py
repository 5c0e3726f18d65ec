"""Price alerts as a person uses them: set on a card's bell, checked by the server against every price, fired
once per browser with a toast in each tab and (when allowed) one system notification. (Webhooks, pages
closed, restarts and programs: test_alert_webhooks.py.)

One app for the module; each test uses symbols no other test here uses.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live
from harness.tool_steps import (
    alert_line,
    alert_toasts,
    dialog,
    field_error,
    open_alert,
    round_trip,
    set_alert,
)
from launcher.app_process import AppProcess
from market.formatting import format_price
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e

# Kept by the page for the tests that observe notifications: it wraps the browser's own Notification and
# requestPermission to count their use, and calls through to them, so what the app does is unchanged.
RECORD_NOTIFICATIONS = """
(() => {
  window.notificationsShown = [];
  window.permissionRequests = 0;
  if (!('Notification' in window)) return;
  const Real = window.Notification;
  const request = Real.requestPermission.bind(Real);
  window.Notification = new Proxy(Real, {
    construct(target, args) {
      window.notificationsShown.push({ title: args[0], body: args[1]?.body, tag: args[1]?.tag });
      return new target(...args);
    },
  });
  Real.requestPermission = (...args) => { window.permissionRequests += 1; return request(...args); };
})();
"""


def _level(price: float) -> str:
    return format_price(price).replace(',', '')


@pytest.mark.parametrize(('side', 'symbol', 'factor', 'verb'), [('above', 'ADAUSD', 1.05, 'rose above'),
                                                                 ('below', 'DOTUSD', 0.95, 'fell below')])
def test_an_alert_fires_exactly_once_when_the_price_crosses_it(dashboard: Page, replica, side, symbol, factor, verb):
    add_ticker(dashboard, symbol)
    expect_live(dashboard, symbol)
    start = replica.price(symbol)
    level = round(start * factor, 4)
    set_alert(dashboard, symbol, **{side: _level(level)})
    expect(alert_line(dashboard, symbol)).to_have_text(f'Alert: {side.capitalize()} {format_price(level)}')

    halfway = round(start * (1 + (factor - 1) / 2), 4)  # towards the level, not across it
    replica.set_price(symbol, halfway)
    expect(card(dashboard, symbol).locator('.price')).to_have_text(format_price(halfway))
    round_trip(dashboard, symbol)
    expect(alert_toasts(dashboard, symbol)).to_have_count(0)

    across = round(start * (1 + (factor - 1) * 2), 4)
    replica.set_price(symbol, across)
    toast = alert_toasts(dashboard, symbol)
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text(f'{verb} {format_price(level)}: now {format_price(across)}')
    expect(alert_line(dashboard, symbol)).to_have_attribute('data-alert', 'fired')
    expect(alert_line(dashboard, symbol)).to_contain_text(f'{side.capitalize()} {format_price(level)} (reached)')

    further = round(start * (1 + (factor - 1) * 3), 4)  # still beyond the level: no second firing
    replica.set_price(symbol, further)
    expect(card(dashboard, symbol).locator('.price')).to_have_text(format_price(further))
    round_trip(dashboard, symbol)
    expect(alert_toasts(dashboard, symbol)).to_have_count(1)

    dashboard.reload()  # a new page sees the price beyond the level at once, and knows it fired
    expect_live(dashboard, symbol, format_price(further))
    expect(alert_line(dashboard, symbol)).to_have_attribute('data-alert', 'fired')
    round_trip(dashboard, symbol)
    expect(alert_toasts(dashboard, symbol)).to_have_count(0)


def test_a_fired_alert_is_re_armed_then_removed(dashboard: Page, replica):
    add_ticker(dashboard, 'AVAXUSD')
    expect_live(dashboard, 'AVAXUSD')
    set_alert(dashboard, 'AVAXUSD', above='30')
    replica.set_price('AVAXUSD', 31)
    expect(alert_toasts(dashboard, 'AVAXUSD')).to_have_count(1)
    expect(alert_line(dashboard, 'AVAXUSD')).to_have_attribute('data-alert', 'fired')

    form = open_alert(dashboard, 'AVAXUSD')
    expect(form).to_contain_text('Reached above')
    expect(form.get_by_label('Above')).to_have_value('30')
    form.get_by_role('button', name='Re-arm').click()  # the price is beyond it already: refused, and why
    expect(field_error(form, 'Above')).to_have_text('The price is already 31.00: enter a higher level.')
    form.get_by_label('Above').fill('32')
    form.get_by_role('button', name='Re-arm').click()
    expect(dialog(dashboard)).to_be_hidden()
    expect(alert_line(dashboard, 'AVAXUSD')).to_have_attribute('data-alert', 'armed')
    replica.set_price('AVAXUSD', 32.5)
    expect(alert_toasts(dashboard, 'AVAXUSD')).to_have_count(2)

    form = open_alert(dashboard, 'AVAXUSD')
    form.get_by_role('button', name='Remove alert').click()
    expect(alert_line(dashboard, 'AVAXUSD')).to_have_count(0)
    dashboard.reload()
    expect_live(dashboard, 'AVAXUSD')
    expect(alert_line(dashboard, 'AVAXUSD')).to_have_count(0)


def test_an_alert_survives_a_reload_and_fires_after_it(dashboard: Page, replica):
    add_ticker(dashboard, 'LINKUSD')
    expect_live(dashboard, 'LINKUSD')
    set_alert(dashboard, 'LINKUSD', below='14.5')
    dashboard.reload()
    expect_live(dashboard, 'LINKUSD')
    expect(alert_line(dashboard, 'LINKUSD')).to_have_text('Alert: Below 14.50')
    replica.set_price('LINKUSD', 14.2)
    expect(alert_toasts(dashboard, 'LINKUSD')).to_contain_text('fell below 14.50: now 14.20')


def test_a_notification_is_shown_when_permitted(new_context, replica, app_server: AppProcess):
    context = new_context()
    context.grant_permissions(['notifications'], origin=app_server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.goto(app_server.url)
    add_ticker(page, 'XRPUSD')
    expect_live(page, 'XRPUSD')
    set_alert(page, 'XRPUSD', above='3')
    replica.set_price('XRPUSD', 3.25)
    expect(alert_toasts(page, 'XRPUSD')).to_have_count(1)
    page.wait_for_function('window.notificationsShown.length > 0')
    [shown] = page.evaluate('window.notificationsShown')
    assert shown['title'] == 'XRPUSD above 3.00'
    assert shown['body'] == 'XRPUSD on BINANCE rose above your level of 3.00; it is at 3.25.'
    assert page.evaluate('window.permissionRequests') == 0  # already granted: nothing to ask


def test_permission_is_asked_when_the_first_alert_is_set_and_never_on_load(new_context, replica, app_server):
    context = new_context()
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.goto(app_server.url)
    add_ticker(page, 'LTCUSD')
    add_ticker(page, 'BCHUSD')
    expect_live(page, 'LTCUSD')
    assert page.evaluate('[Notification.permission, window.permissionRequests]') == ['default', 0]
    set_alert(page, 'LTCUSD', above='200')
    page.wait_for_function('window.permissionRequests === 1')
    set_alert(page, 'BCHUSD', above='100000')  # asked once, whatever the answer was
    round_trip(page, 'BCHUSD')
    page.reload()
    expect_live(page, 'LTCUSD')
    round_trip(page, 'LTCUSD')
    assert page.evaluate('window.permissionRequests') == 0


def test_tabs_of_one_browser_share_alerts_and_it_fires_once(new_context, replica, app_server):
    context = new_context()
    context.grant_permissions(['notifications'], origin=app_server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    first, second = context.new_page(), context.new_page()
    first.goto(app_server.url)
    add_ticker(first, 'ETCUSD')
    second.goto(app_server.url)
    expect_live(second, 'ETCUSD')
    set_alert(first, 'ETCUSD', above='40')
    expect(alert_line(second, 'ETCUSD')).to_have_text('Alert: Above 40.00')  # the other tab shows it too

    replica.set_price('ETCUSD', 41)
    for tab in (first, second):  # both tabs saw the price and claimed: one claim wins
        expect(alert_toasts(tab, 'ETCUSD')).to_have_count(1)
        expect(alert_line(tab, 'ETCUSD')).to_have_attribute('data-alert', 'fired')
        round_trip(tab, 'ETCUSD')
    shown = [tab.evaluate('window.notificationsShown.length') for tab in (first, second)]
    assert sorted(shown) == [0, 1]


BAD_LEVELS = [  # above, below, the field with the message, the message
    ('abc', '', 'Above', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('', '1e3', 'Below', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('<b>9</b>', '', 'Above', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('1,2', '', 'Above', 'Enter a number, like 1250.5 or 1,250.50.'),
    ('-5', '', 'Above', 'Enter a number greater than 0.'),
    ('', '0', 'Below', 'Enter a number greater than 0.'),
    ('9' * 17, '', 'Above', 'That is too large: at most 1,000,000,000,000,000.'),
    ('', '', 'Above', 'Enter a level above or below the price (or both).'),
    ('4', '', 'Above', 'The price is already 4.52: enter a higher level.'),
    ('', '5', 'Below', 'The price is already 4.52: enter a lower level.'),
]


def test_bad_alert_levels_are_refused_with_messages(dashboard: Page, replica):
    add_ticker(dashboard, 'ATOMUSD')
    replica.set_price('ATOMUSD', 4.52)
    expect_live(dashboard, 'ATOMUSD', '4.52')
    form = open_alert(dashboard, 'ATOMUSD')
    for above, below, field, message in BAD_LEVELS:
        form.get_by_label('Above').fill(above)
        form.get_by_label('Below').fill(below)
        form.get_by_label('Below').press('Enter')  # Enter in a field sets it, as the button does
        expect(field_error(form, field)).to_have_text(message)
        expect(form.get_by_label('Above')).to_have_value(above)  # kept, to be corrected
    assert dashboard.locator('b:text("9")').count() == 0
    form.get_by_role('button', name='Cancel').click()
    expect(alert_line(dashboard, 'ATOMUSD')).to_have_count(0)


def test_an_alert_is_set_with_the_keyboard_alone(dashboard: Page, replica):
    add_ticker(dashboard, 'FILUSD')
    expect_live(dashboard, 'FILUSD')
    card(dashboard, 'FILUSD').get_by_role('button', name='Alert FILUSD on BINANCE').focus()
    dashboard.keyboard.press('Enter')
    form = dialog(dashboard)
    expect(form.get_by_label('Above')).to_be_focused()
    price = replica.price('FILUSD')
    # Prefilled near the price: a round level just above it and one just below.
    assert float(form.get_by_label('Above').input_value()) > price > float(form.get_by_label('Below').input_value())
    dashboard.keyboard.press('Control+A')
    dashboard.keyboard.type('9')
    dashboard.keyboard.press('Enter')
    expect(dialog(dashboard)).to_be_hidden()
    expect(alert_line(dashboard, 'FILUSD')).to_contain_text('Above 9.00')


def test_an_alert_on_a_ticker_in_error_says_so(dashboard: Page, replica):
    # A ticker typed and not found goes back to the field; one on the list goes on as a card in error. The
    # page that typed this one is reloaded while the source is slow to answer, so it stays on the list.
    replica.hang(3)
    add_ticker(dashboard, 'NOPEUSD')
    dashboard.reload()
    expect(card(dashboard, 'NOPEUSD')).to_have_attribute('data-status', 'error', timeout=15_000)
    form = open_alert(dashboard, 'NOPEUSD')
    expect(form).to_contain_text('This ticker has no price now: an alert waits until it has one.')
    expect(form.get_by_label('Above')).to_have_value('')  # nothing to prefill from
    form.get_by_label('Above').fill('5')
    form.get_by_role('button', name='Set alert').click()
    expect(alert_line(dashboard, 'NOPEUSD')).to_have_text('Alert: Above 5.00 · on hold: no price')


def test_an_alert_on_a_stale_price_says_so(new_context, replica, replica_server, tmp_path):
    app = AppProcess(replica_server.url, tmp_path, stale_after=2).start()
    try:
        page = new_context().new_page()
        page.goto(app.url)
        add_ticker(page, 'TRXUSD')
        expect_live(page, 'TRXUSD')
        set_alert(page, 'TRXUSD', above='1')
        # The replica is silent unless told otherwise: after --stale-after seconds the price is stale.
        expect(card(page, 'TRXUSD')).to_have_attribute('data-status', 'stale', timeout=15_000)
        expect(alert_line(page, 'TRXUSD')).to_have_text('Alert: Above 1.00 · on hold: the price is stale')
        replica.set_price('TRXUSD', 0.25)
        expect_live(page, 'TRXUSD', replica.price_text('TRXUSD'))
        expect(alert_line(page, 'TRXUSD')).to_have_text('Alert: Above 1.00')
    finally:
        app.stop()
