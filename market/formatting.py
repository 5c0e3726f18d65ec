"""A price as the UI shows it: thousands separators and the source's decimals."""
from __future__ import annotations


def price_decimals(value: float | None) -> int:
    """How many decimals a price is shown with: enough to see small coins move."""
    magnitude = abs(value or 0)
    return 2 if magnitude >= 1 or magnitude == 0 else 4 if magnitude >= 0.01 else 8


def format_price(value: float, decimals: int | None = None) -> str:
    """Thousands separators and the source's decimals, or price_decimals(value) when it named none."""
    return f'{value:,.{price_decimals(value) if decimals is None else decimals}f}'
