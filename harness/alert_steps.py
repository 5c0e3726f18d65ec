"""What a person does with the alert form beyond a level (a move, repeating, a note, a webhook, the API token),
as Playwright steps, and what a program does with /api/alerts."""
from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from harness.tool_steps import alert_line, choose, dialog, open_alert


def fill_alert(page: Page, symbol: str, *, above: str = '', below: str = '', move: str = '',
               direction: str | None = None, window: str | None = None, every: str | None = None, note: str = '',
               url: str = '', format: str | None = None) -> Locator:
    """Open the bell and fill the form (nothing is set yet); `every` is a cool-down ('1 min'): every time."""
    form = open_alert(page, symbol)
    form.get_by_label('Above').fill(above)
    form.get_by_label('Below').fill(below)
    form.get_by_label('Moves by (%)').fill(move)
    if direction:
        choose(page, form.get_by_label('Direction'), direction)
    if window:
        choose(page, form.get_by_label('Within'), window)
    if every:
        choose(page, form.get_by_label('Repeat'), 'Every time')
        choose(page, form.get_by_label('Cool-down'), every)
    form.get_by_label('Note (optional)').fill(note)
    if format:
        choose(page, form.get_by_label('Webhook format'), format)
    form.get_by_label('Webhook URL').fill(url)
    return form


def set_alert_with(page: Page, symbol: str, **fields: Any) -> None:
    form = fill_alert(page, symbol, **fields)
    form.get_by_role('button', name='Set alert').or_(form.get_by_role('button', name='Re-arm')).click()
    expect(dialog(page)).to_be_hidden()
    expect(alert_line(page, symbol)).to_have_attribute('data-alert', 'armed')


def api_token(page: Page, symbol: str) -> str:
    """The browser's API token, as a person copies it from the alert form."""
    form = open_alert(page, symbol)
    form.get_by_text('For programs: your API token').click()
    form.get_by_role('button', name='Show token').click()
    token = form.get_by_test_id('api-token')
    expect(token).to_have_text(re.compile(r'^ct_[A-Za-z0-9_-]{20,}$'))  # whole, not masked
    text = token.inner_text()
    form.get_by_role('button', name='Cancel').click()
    expect(dialog(page)).to_be_hidden()
    return text


def deliveries(page: Page) -> Locator:
    """The open form's delivery log lines, newest first."""
    return dialog(page).locator('.delivery')


class AlertApi:
    """A program using /api/alerts with a browser's token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.headers = {'Authorization': f'Bearer {token}'}

    def create(self, **alert: Any) -> httpx.Response:
        return httpx.post(f'{self.base_url}/api/alerts', json=alert, headers=self.headers, timeout=10)

    def list(self) -> list[dict]:
        response = httpx.get(f'{self.base_url}/api/alerts', headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.json()['alerts']

    def get(self, alert_id: str) -> dict:
        response = httpx.get(f'{self.base_url}/api/alerts/{alert_id}', headers=self.headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def delete(self, alert_id: str) -> httpx.Response:
        return httpx.delete(f'{self.base_url}/api/alerts/{alert_id}', headers=self.headers, timeout=10)
