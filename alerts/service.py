"""Alerts wired to the price source: held symbols, the book checked on every price, firings claimed, delivered.

Everything here runs on the UI's event loop. The price path costs one dict lookup for a symbol without
alerts and a few bisections for one with alerts (book.py); everything slower (the store, webhooks) happens in
tasks of its own. In a cluster each node holds every alerted symbol, so when the node that owns a symbol
dies another one takes it over as for any viewer; only the owner sets alerts off, and the store's claim
(compare-and-set on arming and generation) makes a firing count once cluster-wide.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from market.entry import PriceEntry
from prices import PriceSource, SourceHealth
from settings import Settings

from . import wording
from .address_guard import mask, problem
from .book import Book
from .claims import Claims
from .delivery import Deliveries, Job
from .following import Following
from .holds import RETRY_S, Holds
from .model import Alert, AlertSpec, Firing, LogEntry, Webhook, new_id
from .registry import Registry
from .store import AlertStore, StoreDown

log = logging.getLogger(__name__)
OwnerListener = Callable[[str], None]
FiredListener = Callable[[Alert, float | None, float | None], None]  # alert as fired, price, move
DeliveryListener = Callable[[Alert, LogEntry, bool], None]  # alert, log line, destination broken


class AlertService:
    def __init__(self, engine: PriceSource, settings: Settings, store: AlertStore, health: SourceHealth) -> None:
        self.engine = engine
        self.health = health  # which node watches a symbol: in a cluster only that one sets its alerts off
        self.settings = settings
        self.store = store
        self.book = Book(history=self._history)
        self.registry = Registry(self.book)
        self.alerts = self.registry.alerts  # every alert, fired 'once' ones too (pages show them)
        self.holds = Holds(engine)
        self.deliveries = Deliveries(settings.allow_private_webhooks, self._record)
        self.claims = Claims(store, self._claimed, self._refused)
        self._announced: dict[str, tuple[str, int]] = {}  # alert id -> (arming, generation) announced here
        self.following = Following(self)  # other nodes' changes (cluster)
        self._changed: list[OwnerListener] = []
        self._fired: list[FiredListener] = []
        self._delivered: list[DeliveryListener] = []
        self._tasks: list[asyncio.Task] = []
        engine.on_price(self._price)
        store.on_change(self.following.changed)

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.start()
        try:
            loaded = await self.store.load()
        except StoreDown as error:  # the cluster store: read in full once it answers (its listener reconnects)
            log.warning('alerts not loaded yet: %s', error)
            loaded = []
        now = time.time()
        for alert in loaded:
            self.registry.take(alert, now)
        self.holds.sync(self.book.symbols())
        self._tasks = [asyncio.create_task(self.claims.run(), name='alert claims'),
                       asyncio.create_task(self._retry_holds(), name='alert holds')]
        if self.settings.clustered:  # changes are published, and pub/sub may lose one: read everything now and then
            self._tasks.append(asyncio.create_task(self.following.every_while(), name='alert resync'))
        log.info('alerts: %d loaded, %d armed on %d symbols', len(self.alerts), len(self.book),
                 len(self.book.symbols()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.following.stop()
        await self.deliveries.stop()
        self.holds.release_all()
        await self.store.stop()

    async def _retry_holds(self) -> None:
        while True:
            await asyncio.sleep(RETRY_S)
            if self.holds.waiting:
                self.holds.sync(self.book.symbols())

    # --- what pages and programs read ----------------------------------------------------------------------

    def of_owner(self, owner: str) -> list[Alert]:
        return self.registry.of_owner(owner)

    def on_change(self, listener: OwnerListener) -> None:
        """`listener(owner)` after any change of that browser's alerts (set, removed, fired, here or elsewhere)."""
        self._changed.append(listener)

    def on_fired(self, listener: FiredListener) -> None:
        """`listener(alert, price, move)` once per firing on this node, for that browser's open pages."""
        self._fired.append(listener)

    def on_delivery(self, listener: DeliveryListener) -> None:
        self._delivered.append(listener)

    def on_hold(self, symbol: str) -> bool:
        """Its alerts wait: the price source refused the symbol (full)."""
        return symbol in self.holds.waiting

    # --- changes ---------------------------------------------------------------------------------------------

    async def save(self, owner: str, spec: AlertSpec, alert_id: str | None = None) -> Alert:
        """Create an alert, or re-arm one of this owner's with `spec`. Raises TooManySymbols, store errors."""
        self.holds.hold(spec.symbol)
        try:
            old = self.alerts.get(alert_id) if alert_id else None
            if old is not None and old.owner == owner:
                alert = old.rearmed(spec)
            else:
                alert = Alert(alert_id or new_id(), owner, spec)
            await self.store.put(alert)
            self.following.touch(alert.id)
            self.registry.take(alert, time.time())
        finally:
            self.holds.sync(self.book.symbols())
        log.info('alert %s set on %s: %s', alert.id, spec.symbol, wording.describe_spec(spec))
        self._tell_changed(owner)
        return alert

    async def put_as_is(self, alert: Alert) -> None:
        """Store an alert made elsewhere (a migrated one), keeping its state; its symbol is held when it can be."""
        await self.store.put(alert)
        self.following.touch(alert.id)
        self.registry.take(alert, time.time())
        self.holds.sync(self.book.symbols())
        self._tell_changed(alert.owner)

    async def delete(self, owner: str, alert_id: str) -> bool:
        alert = self.alerts.get(alert_id)
        if alert is None or alert.owner != owner:
            return False
        await self.store.delete(alert_id)
        self.following.touch(alert_id)
        self._forget(alert_id)
        self.holds.sync(self.book.symbols())
        log.info('alert %s removed from %s', alert_id, alert.symbol)
        self._tell_changed(owner)
        return True

    async def address_problem(self, webhook: Webhook) -> str | None:
        """Why this webhook may not be kept (a private address...), after DNS (address_guard.problem)."""
        return await problem(webhook.url, self.settings.allow_private_webhooks)

    async def send_test(self, webhook: Webhook, symbol: str, note: str = '') -> LogEntry:
        entry = await self.deliveries.test(webhook, wording.test_message(symbol, note))
        log.info('webhook test for %s (%s, %s): %s %s', symbol, webhook.format, mask(webhook.url), entry.outcome,
                 entry.detail)
        return entry

    async def token(self, owner: str, regenerate: bool = False) -> str:
        """The browser's API token (made on first use); `regenerate`: a new one, and the old one stops working."""
        if regenerate:
            log.info('API token of a browser replaced')
            return await self.store.new_token(owner)
        return await self.store.token(owner)

    async def log_of(self, owner: str, alert_id: str) -> list[LogEntry]:
        alert = self.alerts.get(alert_id)
        return await self.store.log_of(alert_id) if alert is not None and alert.owner == owner else []

    # --- the price path -----------------------------------------------------------------------------------

    def _price(self, entry: PriceEntry) -> None:
        if entry.price is None:
            return
        fire = not self.settings.clustered or self.health.owner(entry.symbol) == self.settings.node_name
        firings = self.book.tick(entry.symbol, entry.price, entry.updated_at or time.time(), fire)
        if firings:
            self.claims.add(firings)
            self.holds.sync(self.book.symbols())  # a fired 'once' alert lets its symbol go

    def _history(self, symbol: str, since: float) -> Iterable[tuple[float, float]]:
        history = self.engine.history(symbol)
        if history is None:
            return []
        bars = [(bar[0], value) for bar in history.bars(since) if bar[0] >= since for value in (bar[3], bar[2])]
        return sorted([*bars, *((float(t), p) for t, p in history.ticks(since))])

    # --- after the store decided ------------------------------------------------------------------------------

    def _claimed(self, fired: Alert, firing: Firing) -> None:
        self.following.touch(fired.id)
        self.registry.take(fired, firing.at, own_claim=True)
        self.holds.sync(self.book.symbols())
        log.info('alert %s fired on %s at %s (firing %d)', fired.id, fired.symbol, firing.price, fired.generation)
        self._announce(fired, firing.price, firing.move)
        if fired.spec.webhook is not None:
            self.deliveries.send(Job(fired.id, fired.owner, fired.spec.webhook,
                                     wording.message(fired, firing.price, firing.at, firing.move)))

    def _refused(self, current: Alert | None, firing: Firing) -> None:
        """Fired elsewhere, re-armed or removed meanwhile: take the store's word for it."""
        if current is None:
            self._forget(firing.alert.id)
        else:
            self.registry.take(current, time.time())
        self.holds.sync(self.book.symbols())

    def _announce(self, alert: Alert, price: float | None, move: float | None) -> None:
        if self._announced.get(alert.id) == (alert.arming, alert.generation):
            return  # this node told the pages already (its own claim, then the store's echo)
        self._announced[alert.id] = (alert.arming, alert.generation)
        for listener in self._fired:
            listener(alert, price, move)
        self._tell_changed(alert.owner)

    async def _record(self, job: Job, entry: LogEntry, broken: bool) -> None:
        await self.store.add_log(job.alert_id, entry, broken)
        if (alert := self.alerts.get(job.alert_id)) is not None:
            self.delivered(alert, entry, broken)

    # --- keeping the copy here right (registry.py) ------------------------------------------------------------

    def _forget(self, alert_id: str) -> None:
        self.registry.forget(alert_id)
        self._announced.pop(alert_id, None)

    def _tell_changed(self, owner: str) -> None:
        for listener in self._changed:
            listener(owner)

    def hold_symbols(self) -> None:
        self.holds.sync(self.book.symbols())

    def delivered(self, alert: Alert, entry: LogEntry, broken: bool) -> None:
        for listener in self._delivered:
            listener(alert, entry, broken)

    def apply(self, alert_id: str, current: Alert | None) -> None:
        """The store's word on one alert, changed by another node (following.py)."""
        old, fired_elsewhere = self.registry.apply(alert_id, current, time.time())
        if current is None:
            self._announced.pop(alert_id, None)
        if fired_elsewhere and current is not None:
            self._announce(current, current.fired_price, None)  # set off by another node: this node's pages too
        if (changed := current or old) is not None and old != current:  # both None: nothing changed
            self._tell_changed(changed.owner)
