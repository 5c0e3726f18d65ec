"""The symbols one page holds in the engine. Every subscribe is matched by exactly one unsubscribe."""
from __future__ import annotations

from collections.abc import Callable

from market.symbols import sort_key
from prices import LivePrice, PriceSource

EntryHook = Callable[[LivePrice], None]
SymbolHook = Callable[[str], None]


class PageSubscriptions:
    """Owned by one NiceGUI client; `close()` runs from `client.on_delete`, i.e. only after the browser
    has been gone for NiceGUI's reconnect_timeout. A reload builds the new page (and subscribes) before
    the old client is deleted, so the symbol's tab survives reloads instead of being torn down and rebuilt.
    """

    def __init__(self, engine: PriceSource, on_subscribed: EntryHook | None = None,
                 on_released: SymbolHook | None = None) -> None:
        self._engine = engine
        self._held: set[str] = set()
        self._closed = False
        self._on_subscribed = on_subscribed
        self._on_released = on_released

    def add(self, symbol: str) -> LivePrice:
        """Subscribe once per symbol (as normalize_symbol names it) per page. Raises TooManySymbols."""
        if self._closed:
            raise RuntimeError('this page is gone')
        if symbol in self._held:
            entry = self._engine.entry(symbol)
            assert entry is not None, 'a held symbol is always watched'
            return entry
        entry = self._engine.subscribe(symbol)
        self._held.add(symbol)
        if self._on_subscribed:
            self._on_subscribed(entry)
        return entry

    def remove(self, symbol: str) -> None:
        """Give the symbol back; safe to call twice or for a symbol never held."""
        if symbol not in self._held:
            return
        self._held.discard(symbol)
        self._engine.unsubscribe(symbol)
        if self._on_released:
            self._on_released(symbol)

    def close(self) -> None:
        for symbol in list(self._held):
            self.remove(symbol)
        self._closed = True

    @property
    def symbols(self) -> list[str]:
        return sorted(self._held, key=sort_key)
