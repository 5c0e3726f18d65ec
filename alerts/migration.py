"""Alerts that browsers kept themselves (app.storage.user['alerts'], before alerts were server objects) as
server alerts: {symbol: {'above'|'below': {price, armed_at, fired_at?, fired_price?}}}.

Each becomes a 'once' level alert with an id made from the browser, symbol, side and arming, so migrating twice
(two tabs opening at once, or a retry after a failed write) makes the same alerts, not copies. One that had
fired stays fired, so its card still says "(reached)".
"""
from __future__ import annotations

import hashlib
from typing import Any

from market.symbols import InvalidSymbol, normalize_symbol

from .model import ABOVE, BELOW, Alert, AlertSpec, Condition, finite_positive


def from_browser(stored: Any, owner: str, default_exchange: str) -> list[Alert]:
    """What can be read of a browser's old alerts; anything a hand edit or an older format left is skipped."""
    alerts: list[Alert] = []
    for raw_symbol, sides in (stored.items() if isinstance(stored, dict) else ()):
        try:
            symbol = normalize_symbol(raw_symbol if isinstance(raw_symbol, str) else '', default_exchange)
        except InvalidSymbol:
            continue
        for side in (ABOVE, BELOW):
            level = sides.get(side) if isinstance(sides, dict) else None
            if (alert := _alert(owner, symbol, side, level)) is not None:
                alerts.append(alert)
    return alerts


def _alert(owner: str, symbol: str, side: str, level: Any) -> Alert | None:
    if not isinstance(level, dict) or not finite_positive(level.get('price')) or \
            not finite_positive(level.get('armed_at')):
        return None
    armed_at = float(level['armed_at'])
    fired = finite_positive(level.get('fired_at')) and finite_positive(level.get('fired_price'))
    alert_id = hashlib.sha256(f'{owner}|{symbol}|{side}|{armed_at!r}'.encode()).hexdigest()[:16]
    return Alert(alert_id, owner, AlertSpec(symbol, Condition(side, float(level['price']))),
                 arming=f'migrated-{armed_at!r}', generation=1 if fired else 0,
                 fired_at=float(level['fired_at']) if fired else None,
                 fired_price=float(level['fired_price']) if fired else None, created_at=armed_at)
