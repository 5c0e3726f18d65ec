"""The portfolio: how much of each symbol on the list a browser holds, and at what cost, stored with its list.

The server stores holdings; their live value, share and profit/loss are computed in the browser by the
panel's component (portfolio.js) from the 'prices' messages the page already receives, so a portfolio
costs the server nothing per tick.
"""
from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

from nicegui import ui
from nicegui.events import GenericEventArguments

from market.entry import PriceEntry
from market.symbols import sort_key, split_symbol

KEY = 'holdings'


@dataclass(frozen=True)
class Holding:
    quantity: float
    cost: float | None = None  # per unit, in the symbol's currency

    @classmethod
    def read(cls, stored: Any) -> Holding | None:
        if not isinstance(stored, dict):
            return None
        quantity, cost = stored.get('quantity'), stored.get('cost')
        if not _number(quantity) or quantity <= 0:
            return None
        return cls(float(quantity), float(cost) if _number(cost) and cost >= 0 else None)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Holdings:
    """One browser's holdings in its app.storage.user: {symbol: {'quantity': q, 'cost': c or None}}."""

    def __init__(self, storage: MutableMapping) -> None:
        self._storage = storage

    def all(self) -> dict[str, Holding]:
        stored = self._storage.get(KEY)
        return {symbol: holding for symbol, value in (stored.items() if isinstance(stored, dict) else ())
                if (holding := Holding.read(value)) is not None}

    def get(self, symbol: str) -> Holding | None:
        return self.all().get(symbol)

    def set(self, symbol: str, holding: Holding) -> None:
        self._store({**self.all(), symbol: holding})

    def remove(self, symbol: str) -> None:
        self._store({known: holding for known, holding in self.all().items() if known != symbol})

    def keep_only(self, symbols: list[str]) -> None:
        holdings = self.all()
        if any(symbol not in symbols for symbol in holdings):
            self._store({symbol: holding for symbol, holding in holdings.items() if symbol in symbols})

    def _store(self, holdings: dict[str, Holding]) -> None:
        self._storage[KEY] = {symbol: asdict(holding) for symbol, holding in holdings.items()}


def rows(holdings: dict[str, Holding], entry_of: Callable[[str], PriceEntry | None]) -> list[dict[str, Any]]:
    """The panel's rows, by ticker then exchange, with what is known of each price now (later ones are pushed)."""
    result = []
    for symbol in sorted(holdings, key=sort_key):
        exchange, ticker = split_symbol(symbol)
        entry = entry_of(symbol)
        result.append({'symbol': symbol, 'ticker': ticker, 'exchange': exchange,
                       'quantity': holdings[symbol].quantity, 'cost': holdings[symbol].cost,
                       'v': entry.price if entry else None, 'currency': entry.currency if entry else ''})
    return result


class PortfolioPanel(ui.element, component='portfolio.js'):
    """Each position's live value, share and profit/loss, and the total; 'Add holding' and each row's edit."""

    def __init__(self, on_add: Callable[[], None], on_edit: Callable[[str], None]) -> None:
        super().__init__()
        self._props['rows'] = []
        self._on_edit = on_edit
        self.on('add', on_add)
        self.on('edit', self._edit)

    def _edit(self, event: GenericEventArguments) -> None:
        symbol = event.args[0] if isinstance(event.args, list) and event.args else event.args
        if isinstance(symbol, str):
            self._on_edit(symbol)

    def show(self, rows: list[dict[str, Any]]) -> None:
        # Only what the person changed is compared: prices in the rows are a starting point, pushed later.
        known = [(row['symbol'], row['quantity'], row['cost']) for row in self._props['rows']]
        if known != [(row['symbol'], row['quantity'], row['cost']) for row in rows]:
            self._props['rows'] = rows


def quantity_text(quantity: float) -> str:
    """'1,250', '0.5': as the panel writes a quantity (up to 8 decimals, none trailing)."""
    text = f'{quantity:,.8f}'.rstrip('0')
    return text.rstrip('.')
