"""Turning what a person typed into a ticker that is safe to put in a URL."""
from __future__ import annotations

import re

MAX_LENGTH = 20
_TICKER = re.compile(r'[A-Z0-9._-]{1,20}')
_EXCHANGE = re.compile(r'[A-Z0-9]{1,20}')


class InvalidSymbol(ValueError):
    """The text cannot be a ticker; `str(error)` is a message for the person who typed it."""


def normalize_symbol(raw: str) -> str:
    """Trim, upper-case and drop an `EXCHANGE:` prefix: ' binance:btcusdt ' -> 'BTCUSDT'."""
    text = (raw or '').strip().upper()
    if not text:
        raise InvalidSymbol('Type a ticker such as BTCUSD.')
    if ':' in text:
        exchange, _, text = text.partition(':')
        if not _EXCHANGE.fullmatch(exchange):
            raise InvalidSymbol('Write the exchange as letters and digits, e.g. BINANCE:BTCUSDT.')
    if len(text) > MAX_LENGTH:
        raise InvalidSymbol(f'A ticker has at most {MAX_LENGTH} characters.')
    if not _TICKER.fullmatch(text) or text.strip('._-') != text or '..' in text:
        raise InvalidSymbol('A ticker uses only letters, digits and . _ - (for example BTCUSD).')
    return text
