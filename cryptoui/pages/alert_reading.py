"""The bell's form read as a person would check it: each field's problem in words, or the alerts it means.

No address is looked up here: the webhook's host is checked (after DNS) by the form before anything is kept.
"""
from __future__ import annotations

from dataclasses import dataclass

from alerts import webhooks
from alerts.address_guard import Refused
from alerts.conditions import check_level, check_move
from alerts.model import ABOVE, BELOW, DIRECTIONS, EITHER, MOVE, NOTE_LENGTH, WINDOWS, AlertSpec, Condition, Webhook
from cryptoui.pages.amounts import BadAmount, parse_amount

COOLDOWNS = {60: '1 min', 300: '5 min', 900: '15 min', 3600: '1 h', 86400: '24 h'}


@dataclass(frozen=True)
class FormValues:
    """The fields as typed (text) or chosen (the selects' values)."""
    above: str = ''
    below: str = ''
    move: str = ''
    direction: str = EITHER
    window: int = 3600
    repeat: bool = False
    cooldown: int = 300
    note: str = ''
    format: str = 'json'
    url: str = ''
    token: str = ''
    chat_id: str = ''


@dataclass(frozen=True)
class Kept:
    """The webhook stored now and how the form shows it (masked): shown unchanged means keep it."""
    webhook: Webhook | None = None
    shown_url: str = ''
    shown_token: str = ''


def read_levels(values: FormValues, price: float | None) -> tuple[dict[str, float], dict[str, str]]:
    """Above, below and the move as numbers, and a message per field that cannot be used."""
    numbers: dict[str, float] = {}
    problems: dict[str, str] = {}
    for kind, text in ((ABOVE, values.above), (BELOW, values.below), (MOVE, values.move)):
        try:
            value = parse_amount(text)
        except BadAmount as error:
            problems[kind] = str(error)
            continue
        if value is not None:
            numbers[kind] = value
    if problems:
        return numbers, problems
    above, below = numbers.get(ABOVE), numbers.get(BELOW)
    if not numbers:
        problems[ABOVE] = 'Enter a level above or below the price (or both).'
    elif above is not None and (problem := check_level(ABOVE, above, price)):
        problems[ABOVE] = problem
    elif below is not None and (problem := check_level(BELOW, below, price)):
        problems[BELOW] = problem
    elif above is not None and below is not None and above <= below:
        problems[ABOVE] = 'Above must be higher than Below.'
    elif MOVE in numbers and (problem := check_move(numbers[MOVE])):
        problems[MOVE] = problem
    return numbers, problems


def read_webhook(values: FormValues, kept: Kept) -> tuple[Webhook | None, dict[str, str]]:
    """The webhook the form means (None: no webhook), or the problem under its field."""
    try:
        if values.format == 'telegram':
            if not values.token.strip() and not values.chat_id.strip():
                return None, {}
            token = values.token.strip()
            if kept.webhook is not None and token == kept.shown_token:
                token = webhooks.telegram_token(kept.webhook)
            try:
                return webhooks.telegram_webhook(token, values.chat_id), {}
            except ValueError as error:
                field = 'token' if 'token' in str(error) else 'chat_id'
                return None, {field: str(error)}
        url = values.url.strip()
        if not url:
            return None, {}
        if kept.webhook is not None and url == kept.shown_url:
            url = kept.webhook.url
        webhook = Webhook(url, values.format)
        webhooks.check(webhook)
        return webhook, {}
    except Refused as error:
        return None, {'url': str(error)}


def specs(symbol: str, values: FormValues, numbers: dict[str, float], webhook: Webhook | None) -> dict[str, AlertSpec]:
    """One alert per kind given, sharing how often, the note and the webhook."""
    note = values.note.strip()[:NOTE_LENGTH]
    cooldown = float(values.cooldown if values.cooldown in COOLDOWNS else 300)
    made: dict[str, AlertSpec] = {}
    for kind, number in numbers.items():
        if kind == MOVE:
            direction = values.direction if values.direction in DIRECTIONS else EITHER
            window = values.window if values.window in WINDOWS else 3600
            condition = Condition(MOVE, number, direction, window)
        else:
            condition = Condition(kind, number)
        made[kind] = AlertSpec(symbol, condition, values.repeat, cooldown, note, webhook)
    return made
