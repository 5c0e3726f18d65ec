"""The Ticker field with suggestions from TradingView's symbol search (a combobox; see ticker_field.js).

The browser debounces: it asks once per pause in typing. Here each page holds at most one search at a time
(a newer text cancels the older wait) and asks the server-wide SymbolSearch, which caches, shares and paces
for every page. Only text that passed parse_query is searched for; everything shown is plain text.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments

from symbol_search.query import InvalidQuery, parse_query
from symbol_search.service import SymbolSearch

log = logging.getLogger(__name__)
MAX_TEXT = 200  # longer text from the browser is not a ticker anyone typed: it is ignored


def _text(event: GenericEventArguments) -> str | None:
    value = event.args[0] if isinstance(event.args, list) and event.args else event.args
    return value if isinstance(value, str) and len(value) <= MAX_TEXT else None


class TickerField(ui.element, component='ticker_field.js'):
    def __init__(self, search: SymbolSearch, on_submit: Callable[[str], None], on_choose: Callable[[str], None],
                 label: str = 'Ticker', placeholder: str = 'BTCUSD, or type a name: bitcoin') -> None:
        super().__init__()
        self._search = search
        self._props.update(label=label, placeholder=placeholder, text={'value': '', 'seq': 0},
                           error={'message': '', 'seq': 0},
                           results={'seq': 0, 'answers': None, 'state': '', 'items': []})
        self.text = ''  # as the browser last reported it
        self._task: asyncio.Task[None] | None = None
        self.on('typed', self._typed)
        self.on('search', self._asked)
        self.on('submit', lambda event: self._with_text(event, on_submit))
        self.on('choose', lambda event: self._with_text(event, on_choose))

    # --- what the server says -----------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.text = text
        self._props['text'] = {'value': text, 'seq': self._props['text']['seq'] + 1}
        self.update()

    def set_error(self, message: str | None) -> None:
        self._props['error'] = {'message': message or '', 'seq': self._props['error']['seq'] + 1}
        self.update()

    def explain(self, text: str, message: str, search_for: str) -> None:
        """A symbol typed here was not found: put it back (unless something new was typed meanwhile), say why,
        and open suggestions for `search_for`."""
        if not self.text.strip():
            self.set_text(text)
        self.set_error(message)
        try:
            query = parse_query(search_for)
        except InvalidQuery:
            return
        self._start(self.text, query, reveal=True)

    def close(self) -> None:
        """The page is gone: its search ends with it."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # --- what the browser says ------------------------------------------------------------------------------

    def _typed(self, event: GenericEventArguments) -> None:
        if (text := _text(event)) is not None:
            self.text = text

    def _with_text(self, event: GenericEventArguments, handler: Callable[[str], None]) -> None:
        if (text := _text(event)) is not None:
            self.text = text
            handler(text)

    def _asked(self, event: GenericEventArguments) -> None:
        text = _text(event)
        if text is None:
            return
        try:
            query = parse_query(text)
        except InvalidQuery:  # never sent anywhere; the field explains on Enter, as for a symbol
            self._answer(text, 'invalid', [])
            return
        self._start(text, query, reveal=False)

    # --- searching --------------------------------------------------------------------------------------------

    def _start(self, text: str, query: Any, reveal: bool) -> None:
        self.close()  # only the newest text matters
        self._task = asyncio.create_task(self._run(text, query, reveal), name=f'suggest {query.key}')

    async def _run(self, text: str, query: Any, reveal: bool) -> None:
        try:
            outcome = await self._search.suggest(query)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception('suggestions for %s failed', query.key)
            self._answer(text, 'unavailable', [])
            return
        self._answer(text, outcome.state, [s.as_dict() for s in outcome.suggestions], reveal)

    def _answer(self, text: str, state: str, items: list[dict[str, Any]], reveal: bool = False) -> None:
        if self.is_deleted:
            return
        self._props['results'] = {'seq': self._props['results']['seq'] + 1, 'answers': text, 'state': state,
                                  'items': items, 'reveal': reveal}
        self.update()
