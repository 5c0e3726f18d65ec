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
