"""A symbol is `EXCHANGE:TICKER`, TradingView's own form. Turning what a person typed into one that is safe
to put in a URL, a selector or HTML, and that names the market they asked for."""
from __future__ import annotations

import re

MAX_LENGTH = 20
# ASCII only, and checked on the text as typed: upper-casing first would turn 'ſ' into 'S' and 'ß' into 'SS',
# so text the person never typed would reach the source.
_TICKER = re.compile(r'[A-Za-z0-9._-]{1,20}')
_EXCHANGE = re.compile(r'[A-Za-z0-9]{1,20}')


class InvalidSymbol(ValueError):
    """The text cannot be a symbol; `str(error)` is a message for the person who typed it."""


def normalize_exchange(raw: str) -> str:
    """' binance ' -> 'BINANCE'."""
    text = (raw or '').strip()
    if not _EXCHANGE.fullmatch(text):
        raise InvalidSymbol('Write the exchange as letters and digits, e.g. BINANCE:BTCUSDT.')
    return text.upper()


def normalize_symbol(raw: str, default_exchange: str) -> str:
    """' coinbase:btcusd ' -> 'COINBASE:BTCUSD'; a bare ticker is on `default_exchange`: 'btcusd' -> 'BINANCE:BTCUSD'.

    Idempotent, so a symbol that passed once passes again unchanged.
    """
    text = (raw or '').strip()
    if not text:
        raise InvalidSymbol('Type a ticker such as BTCUSD.')
    exchange, colon, ticker = text.partition(':')
    if not colon:
        exchange, ticker = default_exchange, text
    exchange = normalize_exchange(exchange)
    if len(ticker) > MAX_LENGTH:
        raise InvalidSymbol(f'A ticker has at most {MAX_LENGTH} characters.')
    if not _TICKER.fullmatch(ticker) or ticker.strip('._-') != ticker or '..' in ticker:
        raise InvalidSymbol('A ticker uses only letters, digits and . _ - (for example BTCUSD).')
    return f'{exchange}:{ticker.upper()}'


def split_symbol(symbol: str) -> tuple[str, str]:
    """'COINBASE:BTCUSD' -> ('COINBASE', 'BTCUSD'), for a symbol that passed normalize_symbol."""
    exchange, _, ticker = symbol.partition(':')
    return exchange, ticker


def sort_key(symbol: str) -> tuple[str, str]:
    """Cards and lists go by ticker, then exchange: one coin's markets stand side by side."""
    exchange, ticker = split_symbol(symbol)
    return ticker, exchange
