"""One page's side of the server's alerts: the cards' alert lines, the bell's form, and the page's share of each
firing (a toast in every open page of the browser, the system notification from one of them).

The pages of each browser are registered here by its browser id (the alert's owner), so the service's
events reach them with no page polling: `install` hooks the service once per process.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import MutableMapping
from functools import cached_property

from nicegui import Client, background_tasks, ui

from alerts import migration, wording
from alerts.conditions import describe
from alerts.model import Alert, AlertSpec, LogEntry, Webhook
from alerts.service import AlertService
from alerts.store import StoreDown
from cryptoui.pages import alert_style
from cryptoui.pages.alert_form import AlertForm
from cryptoui.pages.alerts import KEY, AlertWatcher, by_kind, card_view
from cryptoui.pages.ticker_card import TickerCard
from market.entry import PriceEntry
from prices import PriceSource, TooManySymbols

log = logging.getLogger(__name__)
ASKED_KEY = 'notifications_asked'  # the browser was asked for notifications once: never again
_pages: defaultdict[str, set[AlertTools]] = defaultdict(set)  # browser id -> its pages' alert tools


def install(service: AlertService) -> None:
    ui.add_head_html(alert_style.CSS, shared=True)
    service.on_change(_refresh_pages)
    service.on_fired(_fired)
    service.on_delivery(_delivered)


def _refresh_pages(owner: str) -> None:
    for tools in _open_pages(owner):
        tools.refresh()


def _open_pages(owner: str) -> list[AlertTools]:
    return [tools for tools in _pages.get(owner, ()) if tools.connected]


def _fired(alert: Alert, price: float | None, move: float | None) -> None:
    toast = wording.sentence(alert, price, move) + (f'. {alert.spec.note}' if alert.spec.note else '')
    notification = wording.notification(alert, price, move)
    for number, tools in enumerate(_open_pages(alert.owner)):
        tools.refresh()
        tools.watcher.announce(toast, notification if number == 0 else None)  # one system notification


def _delivered(alert: Alert, entry: LogEntry, broken: bool) -> None:
    for tools in _open_pages(alert.owner):
        tools.delivery_logged(alert, entry, broken)


class AlertTools:
    def __init__(self, service: AlertService, engine: PriceSource, browser_id: str, storage: MutableMapping,
                 cards: dict[str, TickerCard], exchange: str) -> None:
        self._service = service
        self._engine = engine
        self._owner = browser_id
        self._storage = storage
        self._cards = cards  # the page's own dict: cards come and go there
        self._exchange = exchange
        self._client: Client | None = None

    def build(self) -> None:
        """The announcer, here; the form later, in the same container, when first opened."""
        self._container = ui.context.slot.parent
        self._client = ui.context.client
        self.watcher = AlertWatcher()
        _pages[self._owner].add(self)
        if KEY in self._storage:
            background_tasks.create(self._migrate(), name='migrate browser alerts')

    def close(self) -> None:
        pages = _pages.get(self._owner)
        if pages is not None:
            pages.discard(self)
            if not pages:
                del _pages[self._owner]

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.has_socket_connection

    @cached_property
    def _form(self) -> AlertForm:
        with self._container:
            return AlertForm(self)

    # --- showing ---------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Each card's alert line, from the server's alerts. Called on changes, never per tick."""
        for symbol, card in self._cards.items():
            card.show_alert(card_view(self.alerts_of(symbol), self._service.on_hold(symbol)))

    def open(self, symbol: str, name: str) -> None:
        if symbol in self._cards:
            self._form.open(symbol, name)

    def has(self, symbol: str) -> bool:
        return bool(self.alerts_of(symbol))

    def delivery_logged(self, alert: Alert, entry: LogEntry, broken: bool) -> None:
        if '_form' in self.__dict__ and self._form.symbol == alert.symbol:  # built, and open on this symbol
            background_tasks.create(self._form.show_log(), name='show delivery log')
        if entry.outcome in ('failed', 'refused', 'dropped'):
            what = 'is broken' if broken else 'did not take a message'
            self.watcher.warn(f'The webhook of your alert "{describe(alert.spec.condition)}" on {alert.symbol} '
                              f'{what}: {entry.detail}')

    # --- what the form asks (alert_form.AlertActions) -----------------------------------------------------------

    def entry(self, symbol: str) -> PriceEntry | None:
        return self._engine.entry(symbol)

    def alerts_of(self, symbol: str) -> list[Alert]:
        return [alert for alert in self._service.of_owner(self._owner) if alert.symbol == symbol]

    async def save(self, symbol: str, made: dict[str, AlertSpec]) -> str | None:
        if symbol not in self._cards:  # removed in another tab while the form was open
            return None
        if not self._storage.get(ASKED_KEY):
            # Asked the first time an alert is set, never on page load: by now the person knows what for.
            self._storage[ASKED_KEY] = True
            self.watcher.ask_permission()
        kinds = by_kind(self.alerts_of(symbol))
        try:
            for kind, spec in made.items():
                await self._service.save(self._owner, spec, kinds[kind].id if kind in kinds else None)
            for kind, alert in kinds.items():
                if kind not in made:
                    await self._service.delete(self._owner, alert.id)
        except (TooManySymbols, StoreDown) as error:
            return str(error)
        return None

    async def remove(self, symbol: str) -> None:
        try:
            for alert in self.alerts_of(symbol):
                await self._service.delete(self._owner, alert.id)
        except StoreDown as error:
            self.watcher.warn(f'The alerts on {symbol} were not removed: {error}')

    async def forget(self, symbol: str) -> None:
        """The ticker leaves the list: its alerts go with it."""
        await self.remove(symbol)

    async def address_problem(self, webhook: Webhook) -> str | None:
        return await self._service.address_problem(webhook)

    async def send_test(self, webhook: Webhook, symbol: str, note: str) -> LogEntry:
        return await self._service.send_test(webhook, symbol, note)

    async def logs(self, symbol: str) -> list[tuple[Alert, LogEntry]]:
        lines = []
        try:
            for alert in self.alerts_of(symbol):
                if alert.spec.webhook is not None:
                    lines += [(alert, entry) for entry in await self._service.log_of(self._owner, alert.id)]
        except StoreDown:
            pass  # the form shows no log now; it is read again when it next opens
        return sorted(lines, key=lambda line: line[1].at, reverse=True)

    async def token(self, regenerate: bool) -> str:
        """The token, or '' when the store cannot be reached (the panel says so)."""
        try:
            return await self._service.token(self._owner, regenerate)
        except StoreDown:
            return ''

    # --- the browser's own alerts of before -----------------------------------------------------------------------

    async def _migrate(self) -> None:
        old = migration.from_browser(self._storage.get(KEY), self._owner, self._exchange)
        for alert in old:
            if alert.id not in self._service.alerts:  # another tab of this browser migrated it already
                await self._service.put_as_is(alert)
        self._storage.pop(KEY, None)
        log.info('%d alerts of a browser moved to the server', len(old))
        self.refresh()
