"""Numbers a person types (alert levels, quantities, costs), read strictly: what cannot be read is refused
with a sentence for the field it was typed in, never guessed at."""
from __future__ import annotations

import math
import re
from decimal import Decimal

# Plain decimals, with or without thousands separators as the cards show them ('97,123.45', '0.5', '.5').
# No exponents, signs or spaces inside: '1e5' or '-3' are not what someone means by a price or a quantity.
_NUMBER = re.compile(r'(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+')
MAX_LENGTH = 30
LARGEST = 1e15


class BadAmount(ValueError):
    """`str(error)` is the message shown under the field."""


def parse_amount(text: str | None, *, zero_allowed: bool = False) -> float | None:
    """The number typed, or None for an empty field. Raises BadAmount for anything else."""
    text = (text or '').strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:  # checked first: the length, not the digits, is what is wrong with a long number
        raise BadAmount(f'That is too long: at most {MAX_LENGTH} characters.')
    if text[0] in '-−' and _NUMBER.fullmatch(text[1:]):
        raise BadAmount('Enter 0 or more.' if zero_allowed else 'Enter a number greater than 0.')
    if not _NUMBER.fullmatch(text):
        raise BadAmount('Enter a number, like 1250.5 or 1,250.50.')
    value = float(text.replace(',', ''))
    if not math.isfinite(value) or value > LARGEST:
        raise BadAmount(f'That is too large: at most {LARGEST:,.0f}.')
    if value == 0 and not zero_allowed:
        raise BadAmount('Enter a number greater than 0.')
    return value


def plain(value: float, decimals: int | None = None) -> str:
    """A number as it can be typed back into a field: no separators, no exponent, no trailing zeros ('98100',
    '0.164'). Rounded to `decimals`; without them, every digit the number has, so that what a person saved
    shows again as they typed it and reads back as the same number (0.0000012345 is not '0.00000123')."""
    text = format(Decimal(repr(value)), 'f') if decimals is None else f'{value:.{decimals}f}'
    return text.rstrip('0').rstrip('.') if '.' in text else text
