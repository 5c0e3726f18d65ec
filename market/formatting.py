"""A price and its change as people read them: thousands separators, the source's decimals, a sign."""
from __future__ import annotations


def price_decimals(value: float | None) -> int:
    """How many decimals a price is shown with: enough to see small coins move."""
    magnitude = abs(value or 0)
    return 2 if magnitude >= 1 or magnitude == 0 else 4 if magnitude >= 0.01 else 8


def format_price(value: float, decimals: int | None = None) -> str:
    """Thousands separators and the source's decimals, or price_decimals(value) when it named none."""
    return f'{value:,.{price_decimals(value) if decimals is None else decimals}f}'


def signed(value: float | None, decimals: int = 2, unit: str = '') -> str:
    """A change as a card writes it: '+1,234.50', '−0.0016%'; a change too small to show is plain '0.00', never
    '−0.00'."""
    if value is None:
        return ''
    value = round(value, decimals)
    sign = '+' if value > 0 else '−' if value < 0 else ''
    return f'{sign}{abs(value):,.{decimals}f}{unit}'
