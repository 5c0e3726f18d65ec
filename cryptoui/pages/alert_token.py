"""The browser's API token for /api/alerts, in the alert form: shown masked, revealed on request, replaceable.

The token is how a program acts as this browser. It is fetched only when the person opens the panel, and
shown in full only after "Show": a shoulder-surfer or a screenshot of the form does not get it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

Fetch = Callable[[bool], Awaitable[str]]  # regenerate? -> the token, or '' when it cannot be had now
UNREACHABLE = 'The token cannot be read now: try again in a moment.'


def masked(token: str) -> str:
    return f'{token[:5]}…{token[-4:]}' if len(token) > 12 else '…'


class TokenPanel:
    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._token = ''
        with ui.expansion('For programs: your API token', icon='key', on_value_change=self._opened) \
                .classes('w-full token-panel').props('dense'):
            ui.label('Programs list, set and remove this browser\'s alerts with GET, POST and DELETE /api/alerts '
                     '(see /docs), sending "Authorization: Bearer" and this token. Anyone with it can change your '
                     'alerts: a new token stops the old one.').classes('dialog-note text-sm')
            self._text = ui.label('…').classes('api-token').props('data-testid=api-token aria-live=polite')
            with ui.row().classes('dialog-actions'):
                self._show = ui.button('Show token', on_click=self._reveal).props('flat no-caps').classes('tap-target')
                ui.button('New token', on_click=self._regenerate).props('flat no-caps color=negative') \
                    .classes('tap-target')

    async def _opened(self, event) -> None:
        if event.value and not self._token:
            self._token = await self._fetch(False)
            self._text.text = masked(self._token) if self._token else UNREACHABLE

    async def _reveal(self) -> None:
        if not self._token:  # clicked before the panel's own fetch came back
            self._token = await self._fetch(False)
        if self._token:
            self._text.text = self._token
            self._show.visible = False

    async def _regenerate(self) -> None:
        token = await self._fetch(True)
        if not token:
            self._text.text = UNREACHABLE
            return
        self._token = token
        self._text.text = token  # a new one is shown at once: it is what the person asked for
        self._show.visible = False
