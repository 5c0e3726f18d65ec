"""What a person does with alerts, holdings, sorting and filtering, as Playwright steps (beside pages.py)."""
from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from harness.pages import card, qualified


def dialog(page: Page) -> Locator:
    return page.get_by_role('dialog')


def open_alert(page: Page, symbol: str) -> Locator:
    card(page, symbol).get_by_role('button', name=f'Alert {_name(symbol)}').click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page)).to_contain_text(f'Alert for {_name(symbol)}')
    return dialog(page)


def set_alert(page: Page, symbol: str, above: str = '', below: str = '') -> None:
    """Open the bell, type the levels (an empty one means none) and set it; wait until the card shows it."""
    form = open_alert(page, symbol)
    form.get_by_label('Above').fill(above)
    form.get_by_label('Below').fill(below)
    form.get_by_role('button', name='Set alert').or_(form.get_by_role('button', name='Re-arm')).click()
    expect(dialog(page)).to_be_hidden()
    expect(alert_line(page, symbol)).to_have_attribute('data-alert', 'armed')


def alert_line(page: Page, symbol: str) -> Locator:
    return card(page, symbol).locator('.alert-line')


def alert_toasts(page: Page, symbol: str) -> Locator:
    return page.locator('.alert-toast').filter(has_text=f'{_name(symbol)} ')


def field_error(form: Locator, label: str) -> Locator:
    """The message under the field labelled `label`."""
    return form.locator('.q-field').filter(has=form.page.get_by_label(label, exact=True)).locator('[role="alert"]')


def round_trip(page: Page, symbol: str) -> None:
    """Open and close a card's alert form: once the form shows, the server has handled everything this page
    sent before (a claim among it), and what it sent back before the form (a toast) has been shown."""
    open_alert(page, symbol)
    dialog(page).get_by_role('button', name='Cancel').click()
    expect(dialog(page)).to_be_hidden()


def open_holding_form(page: Page, symbol: str | None = None) -> Locator:
    if symbol is None:
        page.get_by_role('button', name='Add holding').click()
    else:
        page.get_by_role('button', name=f'Edit holding {_name(symbol)}').click()
    expect(dialog(page)).to_be_visible()
    return dialog(page)


def set_holding(page: Page, symbol: str, quantity: str, cost: str = '') -> None:
    form = open_holding_form(page)
    choose(page, form.get_by_label('Ticker'), _name(symbol))
    form.get_by_label('Quantity').fill(quantity)
    form.get_by_label('Cost per unit (optional)').fill(cost)
    form.get_by_role('button', name='Save').click()
    expect(dialog(page)).to_be_hidden()
    expect(holding_row(page, symbol)).to_be_visible()


def holding_row(page: Page, symbol: str) -> Locator:
    return page.locator(f'tr[data-holding="{qualified(symbol)}"]')


def total(page: Page) -> Locator:
    return page.get_by_test_id('portfolio-total')


def choose(page: Page, select: Locator, option: str) -> None:
    select.click()
    page.get_by_role('option', name=option, exact=True).click()
    expect(page.get_by_role('listbox')).to_have_count(0)


def sort_by(page: Page, option: str) -> None:
    choose(page, page.get_by_label('Sort'), option)


def _name(symbol: str) -> str:
    exchange, _, ticker = qualified(symbol).partition(':')
    return f'{ticker} on {exchange}'
