"""Firings wait here for the store's word: one task claims them in batches, in the order they happened.

A burst (a market move through many levels) is one transaction or one pipeline, not one round trip each.
While the store cannot be reached the firings are kept and claimed again every RETRY_S: a firing is a fact,
and the claim still makes it count once however late it is made.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .model import Alert, Firing
from .store import AlertStore

log = logging.getLogger(__name__)
BATCH = 500
RETRY_S = 1.0


class Claims:
    def __init__(self, store: AlertStore, on_claimed: Callable[[Alert, Firing], None],
                 on_refused: Callable[[Alert | None, Firing], None]) -> None:
        self._store = store
        self._on_claimed = on_claimed
        self._on_refused = on_refused
        self._pending: list[Firing] = []
        self._wake = asyncio.Event()

    def add(self, firings: list[Firing]) -> None:
        self._pending.extend(firings)
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def run(self) -> None:
        failing = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                try:
                    results = await self._store.claim(batch)
                except Exception as error:  # the store's own errors differ (sqlite3, redis): all mean "not now"
                    if not failing:
                        log.warning('alerts: %d firings not claimed yet (%s); trying again', len(batch), error)
                    failing = True
                    self._pending[:0] = batch
                    await asyncio.sleep(RETRY_S)
                    continue
                if failing:
                    log.info('alerts: the store answers again; firings claimed')
                    failing = False
                for firing, fired in zip(batch, results, strict=False):
                    if fired is not None:
                        self._on_claimed(fired, firing)
                for firing, fired in zip(batch, results, strict=False):
                    if fired is None:
                        await self._refused(firing)

    async def _refused(self, firing: Firing) -> None:
        try:
            current = await self._store.get(firing.alert.id)
        except Exception as error:
            # The store's next change message or full read (cluster) brings the alert back as it is.
            log.warning('alert %s: not read again after a refused firing (%s)', firing.alert.id, error)
            return
        self._on_refused(current, firing)
