"""Price alerts as the page shows them: a line on each card, and the toasts and notifications of a firing.

Alerts are server objects (alerts/): the server checks them against every price, with or without a page open.
A page only shows them and announces firings the server pushes to every open page of the owning browser: each
tab shows the toast, one tab per browser (per node) shows the system notification.
"""
from __future__ import annotations

from typing import Any

from nicegui import ui

from alerts.conditions import describe
from alerts.model import ABOVE, BELOW, KINDS, Alert

KEY = 'alerts'  # where browsers kept alerts before they were server objects (migrated on the first visit)


def by_kind(alerts: list[Alert]) -> dict[str, Alert]:
    """The first alert of each kind (above, below, move): what the form edits."""
    kinds: dict[str, Alert] = {}
    for alert in alerts:
        kinds.setdefault(alert.spec.condition.kind, alert)
    return kinds


def card_view(alerts: list[Alert], on_hold: bool = False) -> dict[str, Any] | None:
    """The line on the card: each alert's condition, those that fired for good marked "(reached)"."""
    if not alerts:
        return None
    ordered = sorted(alerts, key=lambda a: (KINDS.index(a.spec.condition.kind), a.created_at))
    parts = []
    for alert in ordered:
        text = describe(alert.spec.condition)
        if alert.done:
            text += ' (reached)'
        elif alert.spec.repeat:
            text += ' (every time)'
        parts.append(text)
    view: dict[str, Any] = {'text': ' · '.join(parts), 'fired': any(alert.done for alert in alerts)}
    if on_hold:
        view['hold'] = 'on hold: the server watches too many symbols'
    return view


def reached_sides(alerts: list[Alert]) -> list[str]:
    return [alert.spec.condition.kind for alert in alerts if alert.done and alert.spec.condition.kind in (ABOVE, BELOW)]


class AlertWatcher(ui.element, component='alerts.js'):
    """The page's announcer: no markup of its own, it shows the toasts and notifications the server sends."""

    def announce(self, toast: str, notification: dict[str, str] | None) -> None:
        self.run_method('announce', toast, notification)

    def warn(self, message: str) -> None:
        """Something the person must fix (a broken webhook): a toast in this tab, no notification."""
        self.run_method('announce', message, None, 'negative')

    def ask_permission(self) -> None:
        self.run_method('askPermission')
