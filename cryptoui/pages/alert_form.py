"""The bell's form: a level above and/or below one symbol's price (prefilled near it), a move within a window,
once or every time, a note, and a webhook with "Send a test" and its delivery log. Each problem is shown under
its field; nothing is kept until everything reads and the webhook's address passed the guard."""
from __future__ import annotations

import math
import time
from typing import Protocol

from nicegui import ui

from alerts import webhooks
from alerts.address_guard import mask
from alerts.conditions import describe
from alerts.model import ABOVE, BELOW, DOWN, EITHER, FORMATS, MOVE, UP, WINDOWS, Alert, AlertSpec, LogEntry, Webhook
from cryptoui.pages.alert_reading import COOLDOWNS, FormValues, Kept, read_levels, read_webhook, specs
from cryptoui.pages.alert_token import TokenPanel
from cryptoui.pages.alerts import by_kind, reached_sides
from cryptoui.pages.amounts import plain
from market.entry import PriceEntry, Status

# Prefilled levels are this far from the price, rounded outwards to three significant digits.
PREFILL_DISTANCE = 0.01
DIRECTION_NAMES = {EITHER: 'Up or down', UP: 'Up', DOWN: 'Down'}


class AlertActions(Protocol):
    """What the form asks of the page's alert tools (alert_tools.py)."""
    def entry(self, symbol: str) -> PriceEntry | None: ...
    def alerts_of(self, symbol: str) -> list[Alert]: ...
    async def save(self, symbol: str, made: dict[str, AlertSpec]) -> str | None: ...  # a problem, or None
    async def remove(self, symbol: str) -> None: ...
    async def address_problem(self, webhook: Webhook) -> str | None: ...
    async def send_test(self, webhook: Webhook, symbol: str, note: str) -> LogEntry: ...
    async def logs(self, symbol: str) -> list[tuple[Alert, LogEntry]]: ...
    async def token(self, regenerate: bool) -> str: ...


def near(price: float, side: str) -> str:
    """A round level just above or below the price: 97,123.45 -> '98100' above, '96100' below."""
    exponent = math.floor(math.log10(price)) - 2
    step = 10.0 ** exponent
    target = price * (1 + PREFILL_DISTANCE if side == 'above' else 1 - PREFILL_DISTANCE)
    steps = math.ceil(target / step) if side == 'above' else math.floor(target / step)
    return plain(steps * step, max(0, -exponent))


def state_note(entry: PriceEntry | None) -> str:
    """Why an alert on this symbol cannot fire now, if it cannot."""
    if entry is None or entry.status == Status.ERROR.value:
        return 'This ticker has no price now: an alert waits until it has one.'
    if entry.status == Status.STALE.value:
        return 'This price is stale (no recent update): an alert fires when updates come back.'
    return ''


def log_line(alert: Alert, entry: LogEntry) -> str:
    """'12:03:04 UTC · Above 98,100.00 · retrying: the destination failed (503); retry 2 in 2 s'."""
    when = time.strftime('%H:%M:%S', time.gmtime(entry.at))
    status = f' ({entry.status})' if entry.status is not None and f'({entry.status})' not in entry.detail else ''
    detail = f': {entry.detail}' if entry.detail else ''
    return f'{when} UTC · {describe(alert.spec.condition)} · {entry.outcome}{status}{detail}'


class AlertForm:
    """One per page, opened by any card's bell."""

    def __init__(self, actions: AlertActions) -> None:
        self._actions = actions
        self._symbol = ''
        self._kept = Kept()
        with ui.dialog() as self._dialog, ui.card().classes('app-dialog alert-dialog'):
            self._title = ui.label().classes('dialog-title').props('id=alert-form-title')
            self._note = ui.label().classes('dialog-note')
            self._fired = ui.label().classes('dialog-note alert-fired-note')
            self._above = self._field('Above').props('autofocus inputmode=decimal')
            self._below = self._field('Below').props('inputmode=decimal')
            with ui.row().classes('alert-move-row'):
                self._move = self._field('Moves by (%)').props('inputmode=decimal').classes('alert-move')
                self._direction = ui.select(DIRECTION_NAMES, value=EITHER, label='Direction') \
                    .props('outlined').classes('alert-direction')
                self._window = ui.select(WINDOWS, value=3600, label='Within').props('outlined').classes('alert-window')
            with ui.row().classes('alert-move-row'):
                self._repeat = ui.select({False: 'Once', True: 'Every time'}, value=False, label='Repeat',
                                         on_change=lambda: self._show_cooldown()) \
                    .props('outlined').classes('alert-repeat')
                self._cooldown = ui.select(COOLDOWNS, value=300, label='Cool-down').props('outlined') \
                    .classes('alert-cooldown')
            self._note_field = self._field('Note (optional)').props('maxlength=200 counter')
            ui.label('The server watches this alert with no page open. You are told in every open page of this '
                     'browser, by a notification if you allow it, and at your webhook if you add one. Leave a '
                     'field empty for no level on that side.').classes('dialog-note text-sm')
            self._format = ui.select(FORMATS, value='json', label='Webhook format',
                                     on_change=lambda: self._show_format()).props('outlined').classes('w-full')
            self._url = self._field('Webhook URL').props('inputmode=url')
            self._token_field = self._field('Bot token')
            self._chat = self._field('Chat id')
            with ui.row().classes('dialog-actions'):
                self._test_button = ui.button('Send a test', icon='send', on_click=self._test) \
                    .props('outline no-caps').classes('tap-target')
                self._test_result = ui.label().classes('dialog-note test-result').props('role=status aria-live=polite')
            self._log_title = ui.label('Deliveries').classes('dialog-note text-sm font-semibold') \
                .props('id=delivery-log-title')
            self._log_box = ui.column().classes('delivery-log gap-0') \
                .props('role=list aria-labelledby=delivery-log-title')
            self._log_title.visible = self._log_box.visible = False  # until there is a delivery to show
            TokenPanel(self._actions.token)
            with ui.row().classes('dialog-actions'):
                self._remove_button = ui.button('Remove alert', icon='notifications_off', on_click=self._remove) \
                    .props('flat no-caps color=negative').classes('tap-target')
                ui.space()
                ui.button('Cancel', on_click=self._dialog.close).props('flat no-caps').classes('tap-target')
                self._set_button = ui.button('Set alert', on_click=self._set).props('unelevated no-caps') \
                    .classes('tap-target')
        self._dialog.props('aria-labelledby=alert-form-title')

    def _field(self, label: str) -> ui.input:
        return ui.input(label, on_change=lambda event: setattr(event.sender, 'error', None)) \
            .props('outlined autocomplete=off spellcheck=false').classes('w-full').on('keydown.enter', self._set)

    def _show_cooldown(self) -> None:
        self._cooldown.visible = bool(self._repeat.value)

    def _show_format(self) -> None:
        telegram = self._format.value == 'telegram'
        self._url.visible = not telegram
        self._token_field.visible = self._chat.visible = telegram

    # --- opening ------------------------------------------------------------------------------------------

    def open(self, symbol: str, name: str) -> None:
        self._symbol = symbol
        entry = self._actions.entry(symbol)
        price = entry.price if entry is not None else None
        alerts = self._actions.alerts_of(symbol)
        kinds = by_kind(alerts)
        self._title.text = f'Alert for {name}'
        self._note.text = state_note(entry)
        self._note.visible = bool(self._note.text)
        reached = reached_sides(alerts)
        self._fired.text = f'Reached {" and ".join(reached)}: set it again to re-arm.' if reached else ''
        self._fired.visible = bool(reached)
        for side, field in ((ABOVE, self._above), (BELOW, self._below)):
            alert = kinds.get(side)
            field.value = plain(alert.spec.condition.level) if alert else (
                '' if alerts or not price else near(price, side))
        move = kinds.get(MOVE)
        self._move.value = plain(move.spec.condition.level) if move else ''
        self._direction.value = move.spec.condition.direction if move else EITHER
        self._window.value = move.spec.condition.window if move else 3600
        first = alerts[0].spec if alerts else None
        self._repeat.value = first.repeat if first else False
        self._cooldown.value = int(first.cooldown) if first and int(first.cooldown) in COOLDOWNS else 300
        self._note_field.value = first.note if first else ''
        self._show_webhook(first.webhook if first else None)
        for field in (self._above, self._below, self._move, self._url, self._token_field, self._chat):
            field.error = None
        self._test_result.text = ''
        self._remove_button.visible = bool(alerts)
        self._set_button.text = 'Re-arm' if reached else 'Set alert'
        self._show_cooldown()
        self._dialog.open()
        ui.timer(0, self.show_log, once=True)

    def _show_webhook(self, webhook: Webhook | None) -> None:
        """A kept webhook is shown masked: the whole URL never goes to the page, and shown unchanged means keep."""
        token = webhooks.telegram_token(webhook) if webhook else ''
        shown_token = f'{token.partition(":")[0]}:…{token[-4:]}' if token else ''
        self._kept = Kept(webhook, mask(webhook.url) if webhook else '', shown_token)
        self._format.value = webhook.format if webhook else 'json'
        self._url.value = self._kept.shown_url if webhook and webhook.format != 'telegram' else ''
        self._token_field.value = shown_token
        self._chat.value = webhook.chat_id if webhook else ''
        self._show_format()

    async def show_log(self) -> None:
        """The symbol's recent deliveries, newest first (called again when one is logged while open)."""
        symbol = self._symbol
        lines = await self._actions.logs(symbol)
        if symbol != self._symbol:
            return
        self._log_box.clear()
        self._log_title.visible = self._log_box.visible = bool(lines)
        with self._log_box:
            for alert, entry in lines[:10]:
                ui.label(log_line(alert, entry)).classes(f'dialog-note text-sm delivery delivery-{entry.outcome}') \
                    .props('role=listitem')

    @property
    def symbol(self) -> str | None:
        return self._symbol if self._dialog.value else None

    # --- reading and acting ----------------------------------------------------------------------------------

    def _values(self) -> FormValues:
        return FormValues(self._above.value or '', self._below.value or '', self._move.value or '',
                          self._direction.value, self._window.value, bool(self._repeat.value), self._cooldown.value,
                          self._note_field.value or '', self._format.value, self._url.value or '',
                          self._token_field.value or '', self._chat.value or '')

    async def _webhook(self, values: FormValues) -> tuple[Webhook | None, bool]:
        webhook, problems = read_webhook(values, self._kept)
        if webhook is not None and not problems and (problem := await self._actions.address_problem(webhook)):
            problems = {'token' if webhook.format == 'telegram' else 'url': problem}
        for key, field in (('url', self._url), ('token', self._token_field), ('chat_id', self._chat)):
            field.error = problems.get(key)
        return webhook, not problems

    async def _set(self) -> None:
        symbol = self._symbol
        entry = self._actions.entry(symbol)
        values = self._values()
        numbers, problems = read_levels(values, entry.price if entry is not None else None)
        for kind, field in ((ABOVE, self._above), (BELOW, self._below), (MOVE, self._move)):
            field.error = problems.get(kind)
        webhook, webhook_ok = await self._webhook(values)
        if problems or not webhook_ok or symbol != self._symbol:
            return
        if problem := await self._actions.save(symbol, specs(symbol, values, numbers, webhook)):
            self._above.error = problem
            return
        self._dialog.close()

    async def _test(self) -> None:
        values = self._values()
        webhook, ok = await self._webhook(values)
        if not ok:
            self._test_result.text = ''
            return
        if webhook is None:
            field = self._token_field if values.format == 'telegram' else self._url
            field.error = 'Enter a webhook to test.'
            return
        self._test_result.text = 'Sending…'
        self._test_button.disable()
        try:
            entry = await self._actions.send_test(webhook, self._symbol, values.note)
        finally:
            self._test_button.enable()
        self._test_result.text = (f'The test was delivered ({entry.status}).' if entry.outcome == 'sent' else
                                  f'The test was not delivered: {entry.detail}')

    async def _remove(self) -> None:
        self._dialog.close()
        await self._actions.remove(self._symbol)
