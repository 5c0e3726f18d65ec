"""axe-core (tests/e2e/axe.py) on the pages as people use them: the dashboard with cards (prices up and down, a
holding), with the Ticker field's suggestions open, with a dialog open, with an unknown symbol explained at
the field; and the chart view. Light and dark, desktop and phone. Any violation fails, with axe's own words."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.pages import add, add_ticker, card, expect_field_message, ticker_input
from harness.tool_steps import (
    dialog,
    set_holding,
)
from tests.e2e import axe
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e
FORMS = {'desktop': {'viewport': {'width': 1280, 'height': 800}},
         'phone': {'viewport': {'width': 390, 'height': 844}, 'device_scale_factor': 3, 'is_mobile': True,
                   'has_touch': True}}
# Every animation that ends (a spinner never does), ended or cancelled.
SETTLED = '''() => Promise.allSettled(document.getAnimations()
    .filter(animation => animation.effect?.getComputedTiming().endTime !== Infinity)
    .map(animation => animation.finished))'''


def settle(page: Page) -> None:
    """Price flashes and dialog transitions over: axe reads colours as they stay, not mid-animation."""
    page.evaluate(SETTLED)


def check(page: Page, state: str, found: dict[str, list[dict]]) -> None:
    settle(page)
    if violations := axe.violations(page):
        found[state] = violations


@pytest.mark.parametrize('theme', ['light', 'dark'])
@pytest.mark.parametrize('form', list(FORMS))
def test_no_axe_violations(form, theme, new_context, replica, app_server):
    page = new_context(**FORMS[form], color_scheme=theme).new_page()
    page.goto(app_server.url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    for symbol, factor in (('BTCUSD', 1.08), ('ETHUSD', 0.92)):  # one up and one down: both colours shown
        add_ticker(page, symbol)
        replica.set_price(symbol, round(replica.price(symbol) * factor, 2))
        expect(card(page, symbol).locator('.price')).to_have_text(replica.price_text(symbol))
    set_holding(page, 'BTCUSD', '0.5', cost='90,000')
    found: dict[str, list[dict]] = {}
    check(page, 'dashboard with cards', found)

    field = ticker_input(page)
    field.click()
    field.press_sequentially('so', delay=40)
    expect(page.get_by_role('listbox', name='Suggestions')).to_be_visible()
    field.press('ArrowDown')
    check(page, 'suggestions open', found)
    field.press('Escape')

    add(page, 'FOOEX:SOLUSD')
    expect_field_message(page, 'SOLUSD was not found on FOOEX.')
    check(page, 'an unknown symbol explained', found)
    field.press('Escape')  # the suggestions cover what is below them

    page.get_by_role('button', name='Add holding').click()
    expect(dialog(page)).to_be_visible()
    check(page, 'a dialog open', found)
    dialog(page).get_by_role('button', name='Cancel').click()

    page.goto(f'{app_server.url}/symbol/BTCUSD')
    expect(page.locator('.symbol-view')).to_have_attribute('data-status', 'live')
    page.wait_for_function('Number(document.querySelector("[data-testid=price-chart]").dataset.points) > 1')
    check(page, 'the chart view', found)

    assert not found, '\n'.join(f'--- {state}\n{axe.report(violations)}' for state, violations in found.items())
