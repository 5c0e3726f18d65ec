"""How the symbol page writes numbers. symbol_page.js mirrors `price_text` exactly: keep them in step."""
from __future__ import annotations

import time

MINUS = '\u2212'  # TradingView writes negative changes with a real minus sign
NNBSP = '\u202f'  # and puts a narrow no-break space before units (1.92 T)


def decimals_for(price: float, small_decimals: int) -> int:
    """2 decimals from 1 up; below 1 the symbol's own precision (4 to 8), as TradingView's pricescale."""
    return 2 if abs(price) >= 1 else small_decimals


def round_price(price: float, small_decimals: int) -> float:
    """Prices live on the symbol's tick grid, so the socket's `lp` and the rendered text agree."""
    return round(price, decimals_for(price, small_decimals))


def price_text(price: float, small_decimals: int) -> str:
    return f'{price:,.{decimals_for(price, small_decimals)}f}'


def signed(text: str, negative: bool, zero: bool = False) -> str:
    return text if zero else (MINUS if negative else '+') + text


def change_text(change: float, small_decimals: int, reference: float) -> str:
    decimals = decimals_for(reference, small_decimals)
    return signed(f'{abs(change):,.{decimals}f}', change < 0, change == 0)


def percent_text(percent: float) -> str:
    return signed(f'{abs(percent):.2f}%', percent < 0, percent == 0)


def compact(value: float) -> str:
    """1920000000000 -> '1.92 T' (with a narrow no-break space, as the real page)."""
    for unit, size in (('T', 1e12), ('B', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(value) >= size:
            return f'{value / size:.2f}{NNBSP}{unit}'
    return f'{value:.2f}'


def lp_time_text(lp_time: float) -> str:
    return 'As of today at ' + time.strftime('%H:%M', time.gmtime(lp_time)) + ' GMT'
