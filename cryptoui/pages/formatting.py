"""How changes are written on a card: signed, with as many decimals as the price itself shows
(scraper.parsing.price_decimals)."""
from __future__ import annotations


def signed(value: float | None, decimals: int = 2, unit: str = '') -> str:
    """'+1,234.50', '−0.0016%'; a change too small to show is plain '0.00', never '−0.00'."""
    if value is None:
        return ''
    value = round(value, decimals)
    sign = '+' if value > 0 else '−' if value < 0 else ''
    return f'{sign}{abs(value):,.{decimals}f}{unit}'
