"""Price changes to browsers: one pre-serialised socket.io message per symbol and change, sent to a room.

Binding every viewer's labels to the entry would cost one element update per viewer per change; a
room costs one message encoding per change however many viewers there are.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from nicegui import Client, background_tasks, core

from scraper import PriceEngine, PriceEntry

from .formatting import decimals_for, signed

EVENT = 'price'
NAMESPACE = '/'


def room(symbol: str) -> str:
    return f'price:{symbol}'


def price_message(entry: PriceEntry) -> dict[str, Any]:
    """What a card shows of a price, formatted once on the server for every viewer."""
    return {'s': entry.symbol, 'p': entry.price_text, 'c': signed(entry.change, decimals_for(entry.price)),
            'cp': signed(entry.change_percent, 2, '%'), 'd': entry.direction, 't': entry.updated_at}


class PriceFeed:
    def __init__(self, engine: PriceEngine, on_pushed: Callable[[float], None] | None = None) -> None:
        self._engine = engine
        self._on_pushed = on_pushed
        engine.on_price(self._publish)

    def _publish(self, entry: PriceEntry) -> None:
        background_tasks.create(self._emit(room(entry.symbol), price_message(entry)), name='push price')

    async def _emit(self, target: str, message: dict[str, Any]) -> None:
        await core.sio.emit(EVENT, message, room=target)
        if self._on_pushed and message['t'] is not None:
            self._on_pushed(max(0.0, time.time() - message['t']))

    def follow(self, client: Client, symbols: list[str]) -> None:
        """Put the client's sockets in these symbols' rooms and send it their current prices.

        Called when a card appears on a connected page and on every (re)connect, so a page never
        misses the change that happened between its render and its socket joining the room.
        """
        background_tasks.create(self._follow(client, symbols), name='follow prices')

    async def _follow(self, client: Client, symbols: list[str]) -> None:
        for sid, _ in list(core.sio.manager.get_participants(NAMESPACE, client.id)):
            for symbol in symbols:
                await core.sio.enter_room(sid, room(symbol))
        for symbol in symbols:
            if (entry := self._engine.entry(symbol)) is not None and entry.price is not None:
                await core.sio.emit(EVENT, price_message(entry), room=client.id)

    def unfollow(self, client: Client, symbol: str) -> None:
        background_tasks.create(self._unfollow(client, symbol), name='unfollow price')

    async def _unfollow(self, client: Client, symbol: str) -> None:
        for sid, _ in list(core.sio.manager.get_participants(NAMESPACE, client.id)):
            await core.sio.leave_room(sid, room(symbol))
