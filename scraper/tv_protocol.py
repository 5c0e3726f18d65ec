"""TradingView's websocket framing: `~m~LEN~m~payload`, several packets per frame."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MARK = '~m~'


def split_packets(frame: str) -> Iterator[str]:
    """Yield each packet's payload. LEN counts UTF-16 code units, as the page's JavaScript does."""
    pos = 0
    while frame.startswith(_MARK, pos):
        length_end = frame.find(_MARK, pos + 3)
        if length_end < 0:
            return
        try:
            units = int(frame[pos + 3:length_end])
        except ValueError:
            return
        start = length_end + 3
        end = _advance_utf16(frame, start, units)
        yield frame[start:end]
        pos = end


def _advance_utf16(text: str, start: int, units: int) -> int:
    end = start + units
    if text.isascii():
        return end
    # Characters outside the BMP count twice in UTF-16, so walk until enough units are consumed.
    pos, counted = start, 0
    while pos < len(text) and counted < units:
        counted += 2 if ord(text[pos]) > 0xFFFF else 1
        pos += 1
    return pos


@dataclass(frozen=True)
class Quote:
    """One `qsd` message: a symbol name as the page asked for it, its status and the fields that changed."""
    name: str
    ok: bool
    values: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One JSON packet: its method (`qsd`, `du`, `resolve_symbol`...) and its parameters."""
    method: str
    params: list[Any]


def parse_messages(frame: str) -> Iterator[Message]:
    """Every method call in a frame, in order; heartbeats (~h~N), plain strings and garbage are skipped."""
    for payload in split_packets(frame):
        if not payload.startswith('{'):
            continue
        try:
            message = json.loads(payload)
        except ValueError:
            continue
        if isinstance(message, dict) and isinstance(message.get('m'), str) and isinstance(message.get('p'), list):
            yield Message(message['m'], message['p'])


def quote_of(message: Message) -> Quote | None:
    params = message.params
    if message.method != 'qsd' or len(params) < 2 or not isinstance(params[1], dict):
        return None
    body = params[1]
    values = body.get('v')
    return Quote(name=symbol_name(body.get('n')), ok=body.get('s') != 'error',
                 values=values if isinstance(values, dict) else {})


def parse_quotes(frame: str) -> Iterator[Quote]:
    for message in parse_messages(frame):
        if (quote := quote_of(message)) is not None:
            yield quote


def symbol_name(name: Any) -> str:
    """`={"symbol":"BINANCE:BTCUSDT",…}` and `BINANCE:BTCUSDT` both name BINANCE:BTCUSDT."""
    if isinstance(name, str) and name.startswith('='):
        try:
            return str(json.loads(name[1:]).get('symbol', ''))
        except (ValueError, AttributeError):
            return ''
    return name if isinstance(name, str) else ''


def names_symbol(name: str, exchange: str, ticker: str) -> bool:
    """Exactly EXCHANGE:TICKER. A name without its exchange could be any market's: never take it for ours."""
    return name == f'{exchange}:{ticker}'
