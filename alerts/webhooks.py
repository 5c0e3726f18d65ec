"""What each kind of webhook receives: Discord, Slack, a Telegram bot or plain JSON (../shared/webhook-facts.md).

Text a person typed (the note) goes to chat services with its mentions defused: Discord gets
`allowed_mentions: {"parse": []}`, Slack's control characters are escaped, Telegram gets plain text (no
parse_mode). The plain JSON body carries the alert's fields for programs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .address_guard import Refused, parse
from .model import FORMATS, Webhook

TELEGRAM_API = 'https://api.telegram.org'
# [0-9], not \d: \d also matches other scripts' digits ('١٢٣'), which would pass here and make a URL Telegram never
# answers (the token) or a chat that does not exist.
_TELEGRAM_TOKEN = re.compile(r'[0-9]{1,20}:[A-Za-z0-9_-]{20,100}')
_TELEGRAM_CHAT = re.compile(r'-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}')
_TELEGRAM_PATH = re.compile(r'/bot([0-9]{1,20}:[A-Za-z0-9_-]{20,100})/sendMessage')
DISCORD_HOSTS = {'discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'}
USERNAME = 'Crypto Tracker'


@dataclass(frozen=True)
class Message:
    """One firing (or a test), as every format words it."""
    symbol: str  # EXCHANGE:TICKER
    condition: str  # above | below | move_up | move_down | test
    level: float | None  # the price level, or the move's percent
    price: float | None
    time: float
    note: str
    text: str  # the sentence people read
    window_s: int | None = None  # a move's

    @property
    def exchange(self) -> str:
        return self.symbol.partition(':')[0]

    def as_json(self) -> dict[str, Any]:
        body = {'symbol': self.symbol, 'exchange': self.exchange, 'condition': self.condition,
                'level': self.level, 'price': self.price,
                'time': datetime.fromtimestamp(self.time, UTC).isoformat(timespec='milliseconds'),
                'note': self.note}
        if self.window_s is not None:
            body['window_s'] = self.window_s
        if self.condition == 'test':
            body['test'] = True
        return body


def telegram_webhook(token: str, chat_id: str) -> Webhook:
    """A Telegram bot's sendMessage as a webhook; ValueError says which part is wrong."""
    token, chat_id = (token or '').strip(), (chat_id or '').strip()
    if not _TELEGRAM_TOKEN.fullmatch(token):
        raise ValueError('A bot token looks like 123456789:AAE…, as @BotFather gave it.')
    if not _TELEGRAM_CHAT.fullmatch(chat_id):
        raise ValueError('A chat id is a number (like -1001234567890) or a channel name like @mychannel.')
    return Webhook(f'{TELEGRAM_API}/bot{token}/sendMessage', 'telegram', chat_id)


def telegram_token(webhook: Webhook) -> str:
    found = _TELEGRAM_PATH.fullmatch(urlsplit(webhook.url).path)
    return found.group(1) if found else ''


def check(webhook: Webhook) -> None:
    """Refused (or ValueError) for a webhook that cannot be sent as given, before any address is looked up."""
    if webhook.format not in FORMATS:
        raise Refused(f'Choose a webhook format: {", ".join(FORMATS.values())}.')
    parse(webhook.url)
    if webhook.format == 'telegram' and not (telegram_token(webhook) and _TELEGRAM_CHAT.fullmatch(webhook.chat_id)):
        raise Refused('A Telegram webhook needs the bot token and the chat id.')


def request_url(webhook: Webhook) -> str:
    """Where the POST goes. A copied Discord URL has no API version, and unversioned means v6, whose 429
    carries its wait in milliseconds: v10 says seconds, as every other service does."""
    parts = urlsplit(webhook.url)
    if webhook.format == 'discord' and parts.hostname in DISCORD_HOSTS and parts.path.startswith('/api/webhooks/'):
        return parts._replace(path='/api/v10/webhooks/' + parts.path[len('/api/webhooks/'):]).geturl()
    return webhook.url


def body(webhook: Webhook, message: Message) -> dict[str, Any]:
    text = message.text + (f'\nNote: {message.note}' if message.note else '')
    if webhook.format == 'discord':
        return {'content': text[:2000], 'username': USERNAME, 'allowed_mentions': {'parse': []}}
    if webhook.format == 'slack':
        return {'text': slack_escape(text)}
    if webhook.format == 'telegram':
        return {'chat_id': webhook.chat_id, 'text': text[:4096], 'disable_web_page_preview': True}
    return message.as_json()


def slack_escape(text: str) -> str:
    """Slack reads <…> as links and mentions (<!channel>): the three characters it asks to escape."""
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
