"""What a firing says, the same everywhere: the toast, the system notification and every webhook format."""
from __future__ import annotations

import time

from market.formatting import format_price
from market.symbols import split_symbol

from .conditions import describe, happened
from .model import ABOVE, BELOW, MOVE, Alert, AlertSpec
from .webhooks import Message


def describe_spec(spec: AlertSpec) -> str:
    """'Above 98,100.00, every time (cool-down 5 min), webhook discord' for logs: never the URL or the note."""
    how = f'every time (cool-down {spec.cooldown:g} s)' if spec.repeat else 'once'
    hook = f', webhook {spec.webhook.format}' if spec.webhook else ''
    return f'{describe(spec.condition)}, {how}{hook}'


def sentence(alert: Alert, price: float | None, move: float | None = None) -> str:
    """'ADAUSD on BINANCE rose above 0.5500: now 0.5600'."""
    exchange, ticker = split_symbol(alert.symbol)
    now = format_price(price) if price is not None else '?'
    return f'{ticker} on {exchange} {happened(alert.spec.condition, price or 0.0, move)}: now {now}'


def notification(alert: Alert, price: float | None, move: float | None = None) -> dict[str, str]:
    """The system notification's title, body and tag: one tag per firing, so tabs on several nodes that each
    show it still make one notification (the browser replaces a notification of the same tag)."""
    exchange, ticker = split_symbol(alert.symbol)
    condition = alert.spec.condition
    now = format_price(price) if price is not None else '?'
    if condition.kind == MOVE:
        title = f'{ticker} {describe(condition).lower()}'
        body = f'{ticker} on {exchange} {happened(condition, price or 0.0, move)}; it is at {now}.'
    else:
        title = f'{ticker} {condition.kind} {format_price(condition.level)}'
        verb = 'rose above' if condition.kind == ABOVE else 'fell below'
        body = f'{ticker} on {exchange} {verb} your level of {format_price(condition.level)}; it is at {now}.'
    if alert.spec.note:
        body += f' {alert.spec.note}'
    return {'title': title, 'body': body, 'tag': f'{alert.id}:{alert.arming}:{alert.generation}'}


def message(alert: Alert, price: float, at: float, move: float | None = None) -> Message:
    condition = alert.spec.condition
    if condition.kind == MOVE:
        name = 'move_up' if (move if move is not None else 1) >= 0 else 'move_down'
        return Message(alert.symbol, name, condition.level, price, at, alert.spec.note,
                       sentence(alert, price, move), condition.window)
    assert condition.kind in (ABOVE, BELOW)
    return Message(alert.symbol, condition.kind, condition.level, price, at, alert.spec.note,
                   sentence(alert, price, move))


def test_message(symbol: str, note: str = '') -> Message:
    exchange, ticker = split_symbol(symbol)
    return Message(symbol, 'test', None, None, time.time(), note,
                   f'Test from Crypto Tracker: alerts on {ticker} on {exchange} will arrive here.')
