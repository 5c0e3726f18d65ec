"""What a person typed into the Ticker field, made safe to send to TradingView's symbol search.

The same character rules as a symbol (symbols.py), checked on the text as typed before any case change, and
the same length cap: nothing else ever reaches the search's URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from market.symbols import MAX_LENGTH, InvalidSymbol

MIN_LENGTH = 2  # one letter matches half the market: suggestions start from the second character
_TEXT = re.compile(r'[A-Za-z0-9._-]+')
_EXCHANGE = re.compile(r'[A-Za-z0-9]{1,20}')


class InvalidQuery(InvalidSymbol):
    """The text cannot be searched for; `str(error)` says why, for the person who typed it."""


@dataclass(frozen=True)
class SearchQuery:
    text: str  # upper-cased, as TradingView's own clients send it
    exchange: str = ''  # upper-cased; '' means every exchange

    @property
    def key(self) -> str:
        """One spelling per query, for caches and logs: 'SOL', 'COINBASE:SOL'."""
        return f'{self.exchange}:{self.text}' if self.exchange else self.text

    def params(self) -> dict[str, str]:
        """The v3 endpoint's query string (no `type`: v3 refuses it beside search_type)."""
        params = {'text': self.text, 'hl': '1', 'lang': 'en', 'search_type': 'undefined',
                  'domain': 'production', 'sort_by_country': 'US', 'start': '0'}
        if self.exchange:
            params['exchange'] = self.exchange
        return params


def parse_query(raw: str | None) -> SearchQuery:
    """' coinbase:sol ' -> SearchQuery('SOL', 'COINBASE'); 'sol' -> SearchQuery('SOL'). Raises InvalidQuery."""
    text = (raw or '').strip()
    exchange, colon, rest = text.partition(':')
    if not colon:
        exchange, rest = '', text
    elif not _EXCHANGE.fullmatch(exchange):
        raise InvalidQuery('Write the exchange as letters and digits, e.g. COINBASE:SOL.')
    if len(rest) > MAX_LENGTH:
        raise InvalidQuery(f'Search for at most {MAX_LENGTH} characters.')
    if len(rest) < MIN_LENGTH:
        raise InvalidQuery(f'Type at least {MIN_LENGTH} characters to see suggestions.')
    if not _TEXT.fullmatch(rest):
        raise InvalidQuery('Search with letters, digits and . _ - only (for example SOL).')
    return SearchQuery(rest.upper(), exchange.upper())
