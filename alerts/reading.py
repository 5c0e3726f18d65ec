"""An alert as a program sends it (POST /api/alerts) and as programs read it back, checked field by field.

Anything wrong is a BadAlert naming the field and saying what is expected; nothing is guessed. A webhook URL
goes back masked: programs, like the page, never get a stored secret again.
"""
from __future__ import annotations

import math
from typing import Any

from market.symbols import InvalidSymbol, normalize_symbol

from . import webhooks
from .address_guard import Refused, mask
from .conditions import BadAlert, check_move
from .model import (
    ABOVE,
    BELOW,
    COOLDOWN_MAX,
    COOLDOWN_MIN,
    DIRECTIONS,
    EITHER,
    FORMATS,
    KINDS,
    MOVE,
    NOTE_LENGTH,
    WINDOWS,
    Alert,
    AlertSpec,
    Condition,
    Webhook,
)

LARGEST = 1e15
WINDOW_NAMES = {'5m': 300, '5min': 300, '1h': 3600, '24h': 86400, '1d': 86400}


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadAlert(field, f'"{field}" must be a number.')
    if not 0 < value <= LARGEST:
        raise BadAlert(field, f'"{field}" must be greater than 0 and at most {LARGEST:,.0f}.')
    return float(value)


def condition_from_json(data: Any) -> Condition:
    if not isinstance(data, dict) or data.get('kind') not in KINDS:
        raise BadAlert('condition', '"condition" is {"kind": "above" or "below", "level": PRICE} or '
                                    '{"kind": "move", "percent": 5, "direction": "up", "window_s": 3600}.')
    kind = data['kind']
    if kind in (ABOVE, BELOW):
        return Condition(kind, _number(data.get('level'), 'level'))
    percent = _number(data.get('percent'), 'percent')
    if problem := check_move(percent):
        raise BadAlert('percent', problem)
    direction = data.get('direction', EITHER)
    if direction not in DIRECTIONS:
        raise BadAlert('direction', '"direction" is "up", "down" or "either".')
    window = data.get('window_s', data.get('window', 3600))
    window = WINDOW_NAMES.get(window, window) if isinstance(window, str) else window
    if window not in WINDOWS or isinstance(window, bool):
        raise BadAlert('window_s', '"window_s" is 300, 3600 or 86400 (5 min, 1 h, 24 h).')
    return Condition(MOVE, percent, direction, int(window))


def webhook_from_json(data: Any) -> Webhook | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise BadAlert('webhook', '"webhook" is {"url": ..., "format": "json"|"discord"|"slack"} or '
                                  '{"format": "telegram", "token": ..., "chat_id": ...}.')
    kind = data.get('format', 'json')
    if kind not in FORMATS:
        raise BadAlert('webhook', f'"format" is one of {", ".join(FORMATS)}.')
    try:
        if kind == 'telegram':
            return webhooks.telegram_webhook(str(data.get('token', '')), str(data.get('chat_id', '')))
        url = data.get('url')
        hook = Webhook(url if isinstance(url, str) else '', kind)
        webhooks.check(hook)
        return hook
    except (Refused, ValueError) as error:
        raise BadAlert('webhook', str(error)) from None


def spec_from_json(data: Any, default_exchange: str) -> AlertSpec:
    if not isinstance(data, dict):
        raise BadAlert('body', 'Send a JSON object: {"symbol": "BTCUSD", "condition": {...}}.')
    raw = data.get('symbol')
    try:
        symbol = normalize_symbol(raw if isinstance(raw, str) else '', default_exchange)
    except InvalidSymbol as error:
        raise BadAlert('symbol', str(error)) from None
    repeat = data.get('repeat', 'once')
    if repeat not in ('once', 'every'):
        raise BadAlert('repeat', '"repeat" is "once" or "every".')
    cooldown = data.get('cooldown_s', 300)
    if isinstance(cooldown, bool) or not isinstance(cooldown, (int, float)) or \
            not COOLDOWN_MIN <= cooldown <= COOLDOWN_MAX:
        raise BadAlert('cooldown_s', f'"cooldown_s" is a number of seconds from {COOLDOWN_MIN:g} to {COOLDOWN_MAX:g}.')
    note = data.get('note', '')
    if not isinstance(note, str) or len(note) > NOTE_LENGTH:
        raise BadAlert('note', f'"note" is text of at most {NOTE_LENGTH} characters.')
    return AlertSpec(symbol, condition_from_json(data.get('condition')), repeat == 'every', float(cooldown),
                     note.strip(), webhook_from_json(data.get('webhook')))


def alert_to_json(alert: Alert) -> dict[str, Any]:
    spec = alert.spec
    hook = spec.webhook
    return {'id': alert.id, 'symbol': spec.symbol, 'exchange': spec.symbol.partition(':')[0],
            'condition': spec.condition.as_dict(), 'repeat': 'every' if spec.repeat else 'once',
            'cooldown_s': spec.cooldown, 'note': spec.note,
            'webhook': ({'format': hook.format, 'url': mask(hook.url), 'chat_id': hook.chat_id or None}
                        if hook else None),
            'state': 'fired' if alert.done else 'armed', 'firings': alert.generation, 'fired_at': alert.fired_at,
            'fired_price': alert.fired_price, 'created_at': alert.created_at}
