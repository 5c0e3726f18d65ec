"""TradingView's socket framing: every packet is `~m~LEN~m~payload`, several packets may share a frame.

LEN counts UTF-16 code units (the page's JavaScript measures `string.length`), so a Cyrillic letter
counts once and an emoji twice: neither bytes nor code points give the right answer.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

_MARK = '~m~'


def utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)  # the common case, without encoding
    return len(text.encode('utf-16-le')) // 2


def packet(payload: str) -> str:
    return f'{_MARK}{utf16_len(payload)}{_MARK}{payload}'


def frame(payloads: Iterable[str]) -> str:
    """Several packets in one websocket frame, as the real server batches them."""
    return ''.join(packet(p) for p in payloads)


def dumps(message: Any) -> str:
    """Compact JSON with raw non-ASCII characters, as the real server writes it."""
    return json.dumps(message, separators=(',', ':'), ensure_ascii=False)


def message(method: str, *params: Any) -> str:
    return dumps({'m': method, 'p': list(params)})


def heartbeat(counter: int) -> str:
    return packet(f'~h~{counter}')


def split(data: str) -> list[str]:
    """The payloads of a frame sent by a client. Malformed input ends the parse, never raises."""
    payloads: list[str] = []
    pos = 0
    while data.startswith(_MARK, pos):
        length_end = data.find(_MARK, pos + 3)
        digits = data[pos + 3:length_end]
        if length_end < 0 or not digits.isdigit():
            break
        start, units = length_end + 3, int(digits)
        end = _advance_utf16(data, start, units)
        payloads.append(data[start:end])
        pos = end
    return payloads


def _advance_utf16(text: str, start: int, units: int) -> int:
    if text.isascii():
        return min(len(text), start + units)
    pos, counted = start, 0
    while pos < len(text) and counted < units:
        counted += 2 if ord(text[pos]) > 0xFFFF else 1
        pos += 1
    return pos
