"""A cluster node's copy kept in step with what other nodes change: one alert read again per change message,
everything read again after a reconnect and every RESYNC_S (pub/sub loses what is sent while a node is away).

What this node wrote while a read was under way is newer than what the read brought, so it is kept
(`touch`). A store that lost its data (flushed, or replaced by an empty one) gets back what this node holds.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any, Protocol

from .model import Alert, LogEntry
from .store import AlertStore, StoreDown

log = logging.getLogger(__name__)
RESYNC_S = 30.0


class LocalCopy(Protocol):
    """What is kept in step: this node's copy of the alerts and the store it reads (the AlertService is one).
    Named here, not imported, so that the service owns a Following without the two importing each other."""

    @property
    def store(self) -> AlertStore: ...

    @property
    def alerts(self) -> Mapping[str, Alert]: ...

    def apply(self, alert_id: str, current: Alert | None) -> None: ...

    def hold_symbols(self) -> None: ...

    def delivered(self, alert: Alert, entry: LogEntry, broken: bool) -> None: ...


class Following:
    def __init__(self, service: LocalCopy) -> None:
        self._service = service
        self._touched: dict[str, float] = {}  # alert id -> when this node last wrote it (monotonic)
        self._chores: set[asyncio.Task] = set()

    def touch(self, alert_id: str) -> None:
        self._touched[alert_id] = time.monotonic()

    def _written_since(self, alert_id: str, began: float) -> bool:
        return self._touched.get(alert_id, -1.0) >= began

    async def stop(self) -> None:
        for task in self._chores:
            task.cancel()
        await asyncio.gather(*self._chores, return_exceptions=True)

    def changed(self, alert_id: str | None, message: dict[str, Any]) -> None:
        """The store's listener: another node changed an alert (or this node may have missed changes: None)."""
        service = self._service
        if alert_id is not None and message.get('what') == 'log':
            if (alert := service.alerts.get(alert_id)) is not None:  # the firing node's delivery, for pages here
                service.delivered(alert, LogEntry.from_dict(message['entry']), bool(message.get('broken')))
            return
        self._chore(self.resync() if alert_id is None else self._reread(alert_id), f'read alert {alert_id} again')

    def _chore(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _reread(self, alert_id: str) -> None:
        began = time.monotonic()
        try:
            current = await self._service.store.get(alert_id)
        except StoreDown as error:  # the next full read (RESYNC_S, or at the reconnect) catches up
            log.warning('alert %s not read again: %s', alert_id, error)
            return
        if not self._written_since(alert_id, began):
            log.info('alert %s %s on another node', alert_id, 'removed' if current is None else 'changed')
            self._service.apply(alert_id, current)
        self._service.hold_symbols()

    async def resync(self) -> None:
        service, began = self._service, time.monotonic()
        try:
            lost = await service.store.lost_since_seen()
            current = {alert.id: alert for alert in await service.store.load()}
            if lost:
                missing = [alert for alert_id, alert in service.alerts.items() if alert_id not in current]
                await self._write_back(missing)
                current.update((alert.id, alert) for alert in missing)
            await service.store.mark()
        except StoreDown as error:
            log.warning('alerts not read again: %s', error)
            return
        for alert_id in set(service.alerts) | set(current):
            if not self._written_since(alert_id, began):
                service.apply(alert_id, current.get(alert_id))
        self._touched = {i: t for i, t in self._touched.items() if t >= began - 60}  # older ones no longer matter
        service.hold_symbols()

    async def _write_back(self, alerts: list[Alert]) -> None:
        if alerts:
            log.warning('the cluster store lost its data: writing back the %d alerts this node holds and it lacks',
                        len(alerts))
        for alert in alerts:
            await self._service.store.put(alert)  # the same alert from several nodes: the same data
            self.touch(alert.id)

    async def every_while(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_S)
            await self.resync()
