"""Price alerts: each browser's levels above and below a symbol's price, stored with its list.

The server stores and shows alerts but never checks them: the page's AlertWatcher (alerts.js) compares the
'prices' messages the page already receives with the armed levels, so an alert costs the server nothing
per tick. A watcher that sees a level reached claims it here; `AlertBook.fire` accepts the first claim of
an arming and refuses every later one, so a browser with several tabs open fires each alert once.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, MutableMapping

from nicegui import ui
from nicegui.events import GenericEventArguments

from market.formatting import format_price
from market.symbols import split_symbol

from .amounts import BadAmount, parse_amount

KEY = 'alerts'
SIDES = ('above', 'below')


@dataclass(frozen=True)
class Level:
    price: float
    # When it was set or re-armed. It names this arming: a claim made for an earlier one is refused.
    armed_at: float
    fired_at: float | None = None
    fired_price: float | None = None

    @property
    def fired(self) -> bool:
        return self.fired_at is not None

    @classmethod
    def read(cls, stored: Any) -> Level | None:
        """A level as stored, or None for anything a change of format or a hand edit could have left."""
        if not isinstance(stored, dict):
            return None
        price, armed_at = stored.get('price'), stored.get('armed_at')
        fired_at, fired_price = stored.get('fired_at'), stored.get('fired_price')
        if not (_positive(price) and _positive(armed_at)):
            return None
        if fired_at is not None and not (_positive(fired_at) and _positive(fired_price)):
            fired_at = fired_price = None
        return cls(float(price), float(armed_at), fired_at, fired_price)


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


Levels = dict[str, Level]  # side -> level


class AlertBook:
    """One browser's alerts in its app.storage.user: {symbol: {'above'|'below': Level as a dict}}."""

    def __init__(self, storage: MutableMapping) -> None:
        self._storage = storage

    def all(self) -> dict[str, Levels]:
        stored = self._storage.get(KEY)
        alerts: dict[str, Levels] = {}
        for symbol, sides in (stored.items() if isinstance(stored, dict) else ()):
            levels = {side: level for side in SIDES
                      if isinstance(sides, dict) and (level := Level.read(sides.get(side))) is not None}
            if levels:
                alerts[symbol] = levels
        return alerts

    def of(self, symbol: str) -> Levels:
        return self.all().get(symbol, {})

    def set(self, symbol: str, above: float | None, below: float | None) -> None:
        """Arm the given levels (re-arming any that fired); no level at all removes the alert."""
        now = time.time()
        levels = {side: Level(price, now) for side, price in zip(SIDES, (above, below)) if price is not None}
        self._write(symbol, levels)

    def remove(self, symbol: str) -> None:
        self._write(symbol, {})

    def keep_only(self, symbols: list[str]) -> None:
        """Forget the alerts of symbols no longer on the list (removed in a tab, or by an older version)."""
        alerts = self.all()
        if any(symbol not in symbols for symbol in alerts):
            self._store({symbol: levels for symbol, levels in alerts.items() if symbol in symbols})

    def fire(self, symbol: str, side: str, armed_at: float, price: float) -> Level | None:
        """Mark an armed level as fired; None if it was not armed as claimed (fired already, re-armed, removed).

        Check and write happen with no await between them, on the one event loop every tab's claim runs
        on, so of two tabs claiming the same crossing exactly one wins."""
        levels = self.of(symbol)
        level = levels.get(side)
        if level is None or level.fired or level.armed_at != armed_at:
            return None
        levels[side] = fired = Level(level.price, level.armed_at, time.time(), price)
        self._write(symbol, levels)
        return fired

    def _write(self, symbol: str, levels: Levels) -> None:
        alerts = self.all()
        if levels:
            alerts[symbol] = levels
        else:
            alerts.pop(symbol, None)
        self._store(alerts)

    def _store(self, alerts: dict[str, Levels]) -> None:
        # A fresh dict each time, as the Watchlist does: the storage saves on assignment.
        self._storage[KEY] = {symbol: {side: asdict(level) for side, level in levels.items()}
                              for symbol, levels in alerts.items()}


# --- what the person typed -------------------------------------------------------------------------------

def read_levels(above_text: str | None, below_text: str | None,
                price: float | None) -> tuple[float | None, float | None, dict[str, str]]:
    """The levels typed, and a message per field that cannot be used. Checked against the current price
    when there is one, so an alert set is one that has not already happened."""
    values: dict[str, float | None] = {}
    problems: dict[str, str] = {}
    for side, text in zip(SIDES, (above_text, below_text)):
        try:
            values[side] = parse_amount(text)
        except BadAmount as error:
            problems[side] = str(error)
    above, below = values.get('above'), values.get('below')
    if problems:
        return above, below, problems
    if above is None and below is None:
        problems['above'] = 'Enter a level above or below the price (or both).'
    elif price is not None and above is not None and above <= price:
        problems['above'] = f'The price is already {format_price(price)}: enter a higher level.'
    elif price is not None and below is not None and below >= price:
        problems['below'] = f'The price is already {format_price(price)}: enter a lower level.'
    elif above is not None and below is not None and above <= below:
        problems['above'] = 'Above must be higher than Below.'
    return above, below, problems


# --- what the page shows ------------------------------------------------------------------------------------

def armed_view(alerts: dict[str, Levels]) -> dict[str, dict[str, dict[str, float]]]:
    """What the watcher checks: only levels not fired yet, with their arming."""
    view: dict[str, dict[str, dict[str, float]]] = {}
    for symbol, levels in alerts.items():
        armed = {side: {'level': level.price, 'armed': level.armed_at}
                 for side, level in levels.items() if not level.fired}
        if armed:
            view[symbol] = armed
    return view


def card_view(levels: Levels) -> dict[str, Any] | None:
    """The line on the card: its levels, the ones reached marked."""
    if not levels:
        return None
    parts = [f'{side.capitalize()} {format_price(level.price)}{" (reached)" if level.fired else ""}'
             for side, level in sorted(levels.items(), key=lambda item: SIDES.index(item[0]))]
    return {'text': ' · '.join(parts), 'fired': any(level.fired for level in levels.values())}


def announcement(symbol: str, side: str, level: Level) -> tuple[str, dict[str, str]]:
    """The toast's text, and the system notification's title, body and tag (one per arming)."""
    exchange, ticker = split_symbol(symbol)
    verb = 'rose above' if side == 'above' else 'fell below'
    now = format_price(level.fired_price) if level.fired_price is not None else '?'
    toast = f'{ticker} on {exchange} {verb} {format_price(level.price)}: now {now}'
    notification = {'title': f'{ticker} {side} {format_price(level.price)}',
                    'body': f'{ticker} on {exchange} {verb} your level of {format_price(level.price)}; it is at {now}.',
                    'tag': f'{symbol}:{side}:{level.armed_at}'}
    return toast, notification


# --- the browser's side ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A watcher saw `price` reach the level armed at `armed_at` on this side of `symbol`."""
    symbol: str
    side: str
    armed_at: float
    price: float

    @classmethod
    def read(cls, args: Any) -> Claim | None:
        """From the browser: anything malformed is no claim (and never an exception)."""
        if isinstance(args, list) and len(args) == 1:
            args = args[0]
        if not isinstance(args, dict):
            return None
        symbol, side, armed_at, price = (args.get(key) for key in ('symbol', 'side', 'armed', 'price'))
        if not isinstance(symbol, str) or side not in SIDES or not _positive(armed_at) or not _positive(price):
            return None
        return cls(symbol, side, float(armed_at), float(price))


class AlertWatcher(ui.element, component='alerts.js'):
    """The page's alert checker: no markup of its own, it shows toasts and notifications."""

    def __init__(self, on_claim: Callable[[Claim], None]) -> None:
        super().__init__()
        self._props['alerts'] = {}
        self._on_claim = on_claim
        self.on('crossed', self._crossed)

    def _crossed(self, event: GenericEventArguments) -> None:
        if (claim := Claim.read(event.args)) is not None:
            self._on_claim(claim)

    def show(self, alerts: dict[str, Levels]) -> None:
        view = armed_view(alerts)
        if view != self._props['alerts']:
            self._props['alerts'] = view  # props push themselves to the browser

    def announce(self, toast: str, notification: dict[str, str] | None) -> None:
        self.run_method('announce', toast, notification)

    def ask_permission(self) -> None:
        self.run_method('askPermission')
