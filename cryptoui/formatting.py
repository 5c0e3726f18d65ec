"""How changes are written on a card: signed, with as many decimals as the price itself shows."""
from __future__ import annotations


def decimals_for(price: float | None) -> int:
    """As many decimals as the price shows (scraper.parsing.format_price), so small coins move visibly."""
    magnitude = abs(price or 0)
    return 2 if magnitude >= 1 or magnitude == 0 else 4 if magnitude >= 0.01 else 8


def signed(value: float | None, decimals: int = 2, unit: str = '') -> str:
    """'+1,234.50', '−0.0016%'; a change too small to show is plain '0.00', never '−0.00'."""
    if value is None:
        return ''
    value = round(value, decimals)
    sign = '+' if value > 0 else '−' if value < 0 else ''
    return f'{sign}{abs(value):,.{decimals}f}{unit}'
