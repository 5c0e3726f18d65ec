"""Conditions in words, and whether one can be set now: the checks the form and the API share."""
from __future__ import annotations

from market.formatting import format_price

from .model import ABOVE, BELOW, DOWN, MOVE, UP, WINDOWS, Condition

MOVE_MIN, MOVE_MAX = 0.01, 1000.0  # percent


class BadAlert(ValueError):
    """`str(error)` is a sentence for the person or program; `field` names what it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def describe(condition: Condition) -> str:
    """'Above 98,100.00', 'Up 5 % in 1 h', 'Moves 2.5 % in 24 h'."""
    if condition.kind == MOVE:
        verb = {UP: 'Up', DOWN: 'Down'}.get(condition.direction, 'Moves')
        return f'{verb} {condition.level:g} % in {WINDOWS[condition.window]}'
    return f'{condition.kind.capitalize()} {format_price(condition.level)}'


def happened(condition: Condition, price: float, move: float | None = None) -> str:
    """What the price did, for a toast or a message: 'rose above 98,100.00', 'rose 5.2 % in 1 h'."""
    if condition.kind == ABOVE:
        return f'rose above {format_price(condition.level)}'
    if condition.kind == BELOW:
        return f'fell below {format_price(condition.level)}'
    size = abs(move) if move is not None else condition.level
    verb = 'rose' if (move if move is not None else 1) >= 0 else 'fell'
    return f'{verb} {size:.2f} % in {WINDOWS[condition.window]}'


def check_level(kind: str, level: float, price: float | None) -> str | None:
    """A level must be on the far side of the current price: an alert set is one that has not happened yet."""
    if price is None:
        return None
    if kind == ABOVE and level <= price:
        return f'The price is already {format_price(price)}: enter a higher level.'
    if kind == BELOW and level >= price:
        return f'The price is already {format_price(price)}: enter a lower level.'
    return None


def check_move(percent: float) -> str | None:
    if not MOVE_MIN <= percent <= MOVE_MAX:
        return f'Enter a move between {MOVE_MIN:g} and {MOVE_MAX:g} %.'
    return None


def move_percent(price: float, low: float, high: float) -> tuple[float, float]:
    """(how far above the window's low, how far below its high) the price is, in percent."""
    up = (price - low) / low * 100 if low > 0 else 0.0
    down = (high - price) / high * 100 if high > 0 else 0.0
    return up, down
