"""TradingView's symbol search answer (v3), read defensively into suggestions.

Every item is checked as if typed: its symbol must pass normalize_symbol, or the item is dropped. `<em>` tags
become highlighted parts of plain text (never HTML), other tags and entities are removed, unknown fields are
ignored, and an answer that is not the expected shape gives no suggestions rather than an error.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from typing import Any

from market.symbols import InvalidSymbol, normalize_exchange, normalize_symbol, split_symbol

MAX_SUGGESTIONS = 10
MAX_TEXT = 120  # a name longer than this is cut: it is shown on one line of a phone
_EM = re.compile(r'(</?em>)', re.IGNORECASE)
_TAG = re.compile(r'<[^>]*>')
# What a person reads for TradingView's type, and its typespecs that say more.
_KINDS = {'spot': 'spot', 'swap': 'perpetual', 'futures': 'futures', 'fundamental': 'index', 'index': 'index',
          'stock': 'stock', 'fund': 'fund', 'dr': 'stock', 'forex': 'forex', 'bond': 'bond', 'economic': 'economic'}
Parts = tuple[tuple[str, bool], ...]  # (text, highlighted)


@dataclass(frozen=True)
class Suggestion:
    symbol: str  # EXCHANGE:TICKER, as normalize_symbol makes it
    ticker_parts: Parts  # the ticker, with the part that matched the typed text highlighted
    name_parts: Parts  # the instrument's name ('Solana / U.S. Dollar'), likewise
    exchange: str  # as the site shows it: 'Binance'
    kind: str  # 'spot', 'perpetual', 'futures', 'stock'…
    crypto: bool
    currency: str

    @property
    def ticker(self) -> str:
        return split_symbol(self.symbol)[1]

    @property
    def name(self) -> str:
        return ''.join(text for text, _ in self.name_parts)

    def as_dict(self) -> dict[str, Any]:
        """For the browser and the API: plain values, the highlighted parts as [text, hit] pairs."""
        exchange, ticker = split_symbol(self.symbol)
        data = asdict(self)
        data.update(ticker=ticker, prefix=exchange, name=self.name,
                    ticker_parts=[list(p) for p in self.ticker_parts], name_parts=[list(p) for p in self.name_parts])
        return data


def highlighted(marked: str) -> Parts:
    """'<em>BTC</em>USD' -> (('BTC', True), ('USD', False)); other tags and entities are dropped."""
    parts: list[tuple[str, bool]] = []
    hit = False
    for piece in _EM.split(marked):
        lowered = piece.lower()
        if lowered in ('<em>', '</em>'):
            hit = lowered == '<em>'
            continue
        text = html.unescape(_TAG.sub('', piece)).replace('\n', ' ')
        if text:
            if parts and parts[-1][1] == hit:
                parts[-1] = (parts[-1][0] + text, hit)
            else:
                parts.append((text, hit))
    return tuple(parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ''


def _cut(parts: Parts, limit: int) -> Parts:
    out: list[tuple[str, bool]] = []
    left = limit
    for text, hit in parts:
        if left <= 0:
            break
        out.append((text[:left], hit))
        left -= len(text)
    return tuple(out)


def suggestion(item: Any) -> Suggestion | None:
    """One item of the answer, or None if it does not name a symbol we could watch."""
    if not isinstance(item, dict):
        return None
    ticker_parts = highlighted(_text(item.get('symbol')))
    ticker = ''.join(text for text, _ in ticker_parts)
    # `exchange` is a display name ('Binance'): the symbol is built from `prefix`, else `source_id`.
    try:
        prefix = normalize_exchange(_text(item.get('prefix')) or _text(item.get('source_id')))
        symbol = normalize_symbol(f'{prefix}:{ticker}', prefix)
    except InvalidSymbol:
        return None
    if split_symbol(symbol)[1] != ticker.upper():  # normalize_symbol strips: a padded ticker is not one
        return None
    kind = _text(item.get('type')).lower()
    specs = [spec for spec in item.get('typespecs') or [] if isinstance(spec, str)]
    crypto = 'crypto' in specs or kind in {'spot', 'swap'} or kind.startswith('crypto')
    shown_kind = 'perpetual' if 'perpetual' in specs else _KINDS.get(kind, kind[:20])
    exchange = html.unescape(_TAG.sub('', _text(item.get('exchange')))).strip()[:40] or prefix
    currency = _text(item.get('currency_code'))
    return Suggestion(symbol, ticker_parts, _cut(highlighted(_text(item.get('description'))), MAX_TEXT), exchange,
                      shown_kind, crypto, currency if re.fullmatch(r'[A-Z0-9.]{1,12}', currency) else '')


def parse_answer(body: Any, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The first `limit` distinct suggestions of a decoded answer, crypto first (each group in the answer's
    own order). v3's `{"symbols": [...]}` and the older bare list are both read; anything else gives []."""
    items = body.get('symbols') if isinstance(body, dict) else body
    if not isinstance(items, list):
        return []
    found: dict[str, Suggestion] = {}
    for item in items:
        if (found_one := suggestion(item)) is not None:
            found.setdefault(found_one.symbol, found_one)
    ordered = sorted(found.values(), key=lambda s: not s.crypto)  # stable: TradingView's ranking within each
    return ordered[:limit]
