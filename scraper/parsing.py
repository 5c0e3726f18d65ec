"""Reading a price out of the text TradingView renders."""
from __future__ import annotations

import re

# Direction marks and isolates that TradingView wraps around numbers; they are invisible but break float().
_INVISIBLE = dict.fromkeys(map(ord, '\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff'))
_SPACES = dict.fromkeys(map(ord, ' \u00a0\u202f\u2009\u2007'))
_NUMBER = re.compile(r'[+-]?(\d+(\.\d*)?|\.\d+)')


def parse_price(text: str | None) -> float | None:
    """'‎97,123.45‎' -> 97123.45; '−1.5' -> -1.5; None for anything that is not exactly one number."""
    if not text:
        return None
    cleaned = text.translate(_INVISIBLE).translate(_SPACES).replace('\u2212', '-').replace(',', '')
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value


def price_decimals(value: float | None) -> int:
    """How many decimals a price is shown with: enough to see small coins move."""
    magnitude = abs(value or 0)
    return 2 if magnitude >= 1 or magnitude == 0 else 4 if magnitude >= 0.01 else 8


def format_price(value: float, decimals: int | None = None) -> str:
    """Thousands separators and the source's decimals, or price_decimals(value) when it named none."""
    return f'{value:,.{price_decimals(value) if decimals is None else decimals}f}'
