"""This process's copy of every alert: by id, by owning browser, and armed in the book.

Pages read it synchronously (a card's line, the form), so it holds fired 'once' alerts too; only armed ones
are in the book. `take` decides where an alert read from the store goes without losing the book's state: an
alert whose arming and firing count did not change stays where the prices put it (armed, or waiting for the
price to come back).
"""
from __future__ import annotations

from collections import defaultdict

from .book import Book
from .model import Alert


class Registry:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.alerts: dict[str, Alert] = {}
        self._by_owner: defaultdict[str, set[str]] = defaultdict(set)

    def of_owner(self, owner: str) -> list[Alert]:
        return sorted((self.alerts[i] for i in self._by_owner.get(owner, ())), key=lambda a: a.created_at)

    def take(self, alert: Alert, at: float, own_claim: bool = False) -> None:
        """Keep `alert` as the store has it. `own_claim`: this node's firing, already placed by the book."""
        old = self.alerts.get(alert.id)
        self.alerts[alert.id] = alert
        self._by_owner[alert.owner].add(alert.id)
        if own_claim and self.book.has(alert.id):
            self.book.update(alert)
        elif old is None or (old.arming, old.generation, old.spec) != (alert.arming, alert.generation, alert.spec) \
                or not (self.book.has(alert.id) or alert.done):
            self.book.add(alert, at)

    def forget(self, alert_id: str) -> Alert | None:
        alert = self.alerts.pop(alert_id, None)
        self.book.remove(alert_id)
        if alert is not None:
            owned = self._by_owner.get(alert.owner)
            if owned is not None:
                owned.discard(alert_id)
                if not owned:
                    del self._by_owner[alert.owner]
        return alert

    def apply(self, alert_id: str, current: Alert | None, at: float) -> tuple[Alert | None, bool]:
        """The store's word on one alert: (the alert before, whether it fired elsewhere since this node saw it)."""
        old = self.alerts.get(alert_id)
        if current is None:
            self.forget(alert_id)
            return old, False
        if old == current:
            return old, False
        self.take(current, at)
        fired = old is not None and old.arming == current.arming and old.generation < current.generation
        return old, fired
