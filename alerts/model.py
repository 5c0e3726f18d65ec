"""What an alert is: a condition on one symbol's price, how often it may fire, a note and where it goes.

An alert is a server object owned by one browser (its NiceGUI browser id). It fires on the node that owns
its symbol; which firing is the real one is decided in the store by a compare-and-set on (arming,
generation): a firing names the arming and the generation it saw, and only the first claim of that pair wins
(see store.py). Setting an alert again gives it a new arming, so a claim made for the old one is refused.
"""
from __future__ import annotations

import math
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

ABOVE, BELOW, MOVE = 'above', 'below', 'move'
KINDS = (ABOVE, BELOW, MOVE)
UP, DOWN, EITHER = 'up', 'down', 'either'
DIRECTIONS = (UP, DOWN, EITHER)
# The windows a move is measured over, in seconds, and how people write them.
WINDOWS = {300: '5 min', 3600: '1 h', 86400: '24 h'}
FORMATS = {'json': 'Plain JSON', 'discord': 'Discord', 'slack': 'Slack', 'telegram': 'Telegram bot'}
NOTE_LENGTH = 200
COOLDOWN_MIN = 5.0  # seconds; programs may ask for this little, the page offers a minute or more
COOLDOWN_MAX = 7 * 86400.0
LOG_KEPT = 10  # delivery log entries kept per alert


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str  # above | below | move
    level: float  # the price for above/below; the percent for a move
    direction: str = EITHER  # a move's
    window: int = 3600  # a move's, seconds

    def as_dict(self) -> dict[str, Any]:
        if self.kind == MOVE:
            return {'kind': MOVE, 'percent': self.level, 'direction': self.direction, 'window_s': self.window}
        return {'kind': self.kind, 'level': self.level}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        if data['kind'] == MOVE:
            return cls(MOVE, float(data['percent']), data['direction'], int(data['window_s']))
        return cls(data['kind'], float(data['level']))


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str  # a secret: shown masked (mask()), never logged in full
    format: str = 'json'
    chat_id: str = ''  # Telegram's

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """What the person chose."""
    symbol: str  # EXCHANGE:TICKER, normalized
    condition: Condition
    repeat: bool = False  # False: once; True: every time, at most once per cooldown
    cooldown: float = 300.0
    note: str = ''
    webhook: Webhook | None = None

    def as_dict(self) -> dict[str, Any]:
        return {'symbol': self.symbol, 'condition': self.condition.as_dict(), 'repeat': self.repeat,
                'cooldown_s': self.cooldown, 'note': self.note,
                'webhook': self.webhook.as_dict() if self.webhook else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertSpec:
        hook = data.get('webhook')
        return cls(data['symbol'], Condition.from_dict(data['condition']), bool(data['repeat']),
                   float(data['cooldown_s']), data.get('note') or '',
                   Webhook(hook['url'], hook.get('format', 'json'), hook.get('chat_id', '')) if hook else None)


def new_arming() -> str:
    """Names one arming of an alert: unique, so a late claim for an earlier arming is refused."""
    return f'{time.time():.3f}-{secrets.token_hex(4)}'


def new_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    owner: str  # the browser's id
    spec: AlertSpec
    arming: str = field(default_factory=new_arming)
    generation: int = 0  # firings of this arming so far
    fired_at: float | None = None  # the last firing's
    fired_price: float | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def done(self) -> bool:
        """A 'once' alert that fired: it no longer holds its symbol or looks at prices."""
        return not self.spec.repeat and self.generation > 0

    def fired(self, at: float, price: float) -> Alert:
        return replace(self, generation=self.generation + 1, fired_at=at, fired_price=price)

    def rearmed(self, spec: AlertSpec) -> Alert:
        return replace(self, spec=spec, arming=new_arming(), generation=0, fired_at=None, fired_price=None)

    def as_dict(self) -> dict[str, Any]:
        return {'id': self.id, 'owner': self.owner, 'spec': self.spec.as_dict(), 'arming': self.arming,
                'generation': self.generation, 'fired_at': self.fired_at, 'fired_price': self.fired_price,
                'created_at': self.created_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(data['id'], data['owner'], AlertSpec.from_dict(data['spec']), data['arming'],
                   int(data['generation']), data.get('fired_at'), data.get('fired_price'),
                   float(data.get('created_at') or 0.0))


@dataclass(frozen=True, slots=True)
class Firing:
    """The book saw an alert's condition come true at `price`; the store decides whether it counts."""
    alert: Alert  # as the book knew it: its arming and generation are what the claim names
    price: float
    at: float
    move: float | None = None  # a move's size in percent (signed), for the message


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of an alert's delivery log. Never holds a response body or the URL."""
    at: float
    outcome: str  # sent | retrying | failed | refused | dropped
    status: int | None = None
    detail: str = ''

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogEntry:
        return cls(float(data['at']), str(data['outcome']), data.get('status'), str(data.get('detail', '')))


def finite_positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
