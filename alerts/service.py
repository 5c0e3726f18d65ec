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
from collections import defaultdict
from typing import Any, Callable, Coroutine, Iterable

from prices import PriceSource
from scraper import PriceEntry, Settings

from .book import Book
from .claims import Claims
from .delivery import Deliveries, Job
from .holds import RETRY_S, Holds
from .address_guard import Refused, Unresolvable, mask, parse, resolve
from .model import Alert, AlertSpec, Firing, LogEntry, Webhook, new_id
from .store import AlertStore, StoreDown
from . import wording

log = logging.getLogger(__name__)
RESYNC_S = 30.0
OwnerListener = Callable[[str], None]
FiredListener = Callable[[Alert, float | None, float | None], None]  # alert as fired, price, move
DeliveryListener = Callable[[Alert, LogEntry, bool], None]  # alert, log line, destination broken


class AlertService:
    def __init__(self, engine: PriceSource, settings: Settings, store: AlertStore) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.book = Book(history=self._history)
        self.alerts: dict[str, Alert] = {}  # every alert, fired 'once' ones too (pages show them)
        self._by_owner: defaultdict[str, set[str]] = defaultdict(set)
        self.holds = Holds(engine)
        self.deliveries = Deliveries(settings.allow_private_webhooks, self._record)
        self.claims = Claims(store, self._claimed, self._refused)
        self._announced: dict[str, tuple[str, int]] = {}  # alert id -> (arming, generation) announced here
        self._changed: list[OwnerListener] = []
        self._fired: list[FiredListener] = []
        self._delivered: list[DeliveryListener] = []
        self._tasks: list[asyncio.Task] = []
        self._chores: set[asyncio.Task] = set()
        engine.on_price(self._price)
        store.on_change(self._changed_elsewhere)

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.start()
        now = time.time()
        for alert in await self.store.load():
            self._take(alert, now)
        self.holds.sync(self.book.symbols())
        self._tasks = [asyncio.create_task(self.claims.run(), name='alert claims'),
                       asyncio.create_task(self._retry_holds(), name='alert holds')]
        if self.settings.clustered:  # changes are published, and pub/sub may lose one: read everything now and then
            self._tasks.append(asyncio.create_task(self._resync_every(), name='alert resync'))
        log.info('alerts: %d loaded, %d armed on %d symbols', len(self.alerts), len(self.book),
                 len(self.book.symbols()))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._chores]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._chores, return_exceptions=True)
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
        return sorted((self.alerts[i] for i in self._by_owner.get(owner, ())), key=lambda a: a.created_at)

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
            self._take(alert, time.time())
        finally:
            self.holds.sync(self.book.symbols())
        log.info('alert %s set on %s: %s', alert.id, spec.symbol, wording.describe_spec(spec))
        self._tell_changed(owner)
        return alert

    async def put_as_is(self, alert: Alert) -> None:
        """Store an alert made elsewhere (a migrated one), keeping its state; its symbol is held when it can be."""
        await self.store.put(alert)
        self._take(alert, time.time())
        self.holds.sync(self.book.symbols())
        self._tell_changed(alert.owner)

    async def delete(self, owner: str, alert_id: str) -> bool:
        alert = self.alerts.get(alert_id)
        if alert is None or alert.owner != owner:
            return False
        await self.store.delete(alert_id)
        self._forget(alert_id)
        self.holds.sync(self.book.symbols())
        log.info('alert %s removed from %s', alert_id, alert.symbol)
        self._tell_changed(owner)
        return True

    async def address_problem(self, webhook: Webhook) -> str | None:
        """Why this webhook may not be kept (its host is a private address...), checked after DNS. A host that
        does not resolve now is kept: every delivery resolves and checks it again."""
        try:
            await resolve(parse(webhook.url), self.settings.allow_private_webhooks)
        except Unresolvable:
            return None
        except Refused as refused:
            return str(refused)
        return None

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
        fire = not self.settings.clustered or self.engine.owner(entry.symbol) == self.settings.node_name
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
        self._take(fired, firing.at, own_claim=True)
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
            self._take(current, time.time())
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
            for listener in self._delivered:
                listener(alert, entry, broken)

    # --- keeping the copy here right ------------------------------------------------------------------------

    def _take(self, alert: Alert, at: float, own_claim: bool = False) -> None:
        old = self.alerts.get(alert.id)
        self.alerts[alert.id] = alert
        self._by_owner[alert.owner].add(alert.id)
        if own_claim and self.book.has(alert.id):
            self.book.update(alert)  # it is where the firing put it
        elif old is None or (old.arming, old.generation, old.spec) != (alert.arming, alert.generation, alert.spec) \
                or not (self.book.has(alert.id) or alert.done):
            self.book.add(alert, at)

    def _forget(self, alert_id: str) -> None:
        alert = self.alerts.pop(alert_id, None)
        self.book.remove(alert_id)
        self._announced.pop(alert_id, None)
        if alert is not None:
            owned = self._by_owner.get(alert.owner)
            if owned is not None:
                owned.discard(alert_id)
                if not owned:
                    del self._by_owner[alert.owner]

    def _tell_changed(self, owner: str) -> None:
        for listener in self._changed:
            listener(owner)

    def _changed_elsewhere(self, alert_id: str | None, message: dict[str, Any]) -> None:
        """Another node changed an alert (or this node may have missed changes: `alert_id` None)."""
        if alert_id is not None and message.get('what') == 'log':
            alert = self.alerts.get(alert_id)
            if alert is not None:  # the firing node's delivery, for the pages of its browser here
                for listener in self._delivered:
                    listener(alert, LogEntry.from_dict(message['entry']), bool(message.get('broken')))
            return
        self._chore(self._resync() if alert_id is None else self._reread(alert_id), f'reread alert {alert_id}')

    def _chore(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _reread(self, alert_id: str) -> None:
        try:
            current = await self.store.get(alert_id)
        except StoreDown as error:  # the next full read (RESYNC_S, or at the reconnect) catches up
            log.warning('alert %s not read again: %s', alert_id, error)
            return
        self._apply(alert_id, current)
        self.holds.sync(self.book.symbols())

    async def _resync(self) -> None:
        """Everything as the store has it now (cluster: after a reconnect, and every RESYNC_S)."""
        try:
            current = {alert.id: alert for alert in await self.store.load()}
        except StoreDown as error:
            log.warning('alerts not read again: %s', error)
            return
        for alert_id in set(self.alerts) | set(current):
            self._apply(alert_id, current.get(alert_id))
        self.holds.sync(self.book.symbols())

    async def _resync_every(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_S)
            await self._resync()

    def _apply(self, alert_id: str, current: Alert | None) -> None:
        old = self.alerts.get(alert_id)
        if current is None:
            if old is not None:
                self._forget(alert_id)
                self._tell_changed(old.owner)
            return
        if old == current:
            return
        self._take(current, time.time())
        if current.generation and (old is None or old.arming != current.arming or old.generation < current.generation):
            self._announce(current, current.fired_price, None)  # fired on another node: this node's pages too
        self._tell_changed(current.owner)
