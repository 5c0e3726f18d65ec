"""Changes to browsers: each viewer's socket gets one message per burst of price changes.

Binding every viewer's card to the shared entry would cost one element update per viewer per change, and
one more binding on the entry per viewer (so each new viewer would cost more than the last). Instead each
symbol has a socket.io room of its viewers. Price changes that arrive together (markets move together) are
gathered for GATHER_S (CLUSTER_GATHER_S on a cluster node) and sent as ONE 'prices' message per viewer, encoded
once per distinct set of symbols: at 1000 viewers of 10 symbols that is 1000 sends a tick instead of 10000.
'status' carries the rarer changes of status, message, currency or name to the room (the source's on_state).
'history' carries a symbol's sparkline when its history was (re)loaded whole; between loads the browser grows it
from each 'prices' message's newest point.
"""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nicegui import Client, background_tasks

from library_hooks import socket_path as hooks
from market.entry import PriceEntry
from market.formatting import price_decimals, signed
from market.history import PriceHistory
from prices import LivePrice, PriceSource

PRICES_EVENT = 'prices'
STATUS_EVENT = 'status'
HISTORY_EVENT = 'history'
# How long a price change waits for others to travel with it. Each frame a socket sends costs the server
# about the same whatever it carries; the changes of one market move reach us spread over tens of ms.
GATHER_S = 0.02
# On a cluster node half of a move's changes come from other nodes through Valkey, 5-10 ms later (p50) and more
# spread out: a 20 ms gather sent each viewer 3-4 frames a tick (one process: 1.5-2.6), each one a write on the
# node and two more on HAProxy. Gathering for 50 ms there halved the 2000-viewer p99 (README, Performance).
CLUSTER_GATHER_S = 0.05
# Sockets served between two yields to the loop. Writing or queueing a frame does not yield, so without this one
# burst held the loop for ~0.1 s at 1000 viewers (when every frame was queued), and every price arriving
# meanwhile (from the engine, from other nodes, or to be published for them) waited behind it.
SENDS_PER_YIELD = 100
EntryListener = Callable[[PriceEntry], None]
BatchListener = Callable[[list[str]], None]  # the symbols of one gathered burst, or of one status change


def room(symbol: str) -> str:
    return f'price:{symbol}'


def price_message(entry: LivePrice) -> dict[str, Any]:
    """What a card shows of a price, formatted once on the server for every viewer.

    Not the entry's public form (market.entry, what programs read) on purpose: this goes to every viewer on every
    tick, so its keys are one letter, the change is text already, and the rarer fields go in status_message."""
    # 'v' is the price as a number, for what the browser computes from it (alerts, values); 'p' is it as shown.
    # 'h' is the newest point of its history (a quote, or a bar update with no quote): the card's sparkline
    # grows from it, so history costs no message of its own.
    history = entry.history
    return {'s': entry.symbol, 'v': entry.price, 'p': entry.price_text,
            'c': signed(entry.change, price_decimals(entry.price) if entry.decimals is None else entry.decimals),
            'cp': signed(entry.change_percent, 2, '%'), 'd': entry.direction, 't': entry.updated_at,
            'h': list(history.last_point) if history.last_point else None,
            'n': entry.change_percent}


def status_message(entry: PriceEntry) -> dict[str, Any]:
    # The name and decimals come together (from the series' symbol_resolved): the name's change sends both.
    return {'s': entry.symbol, 'status': entry.status, 'message': entry.message, 'currency': entry.currency,
            'name': entry.name, 'decimals': entry.decimals}


def sparkline(history: PriceHistory | None) -> dict[str, Any] | None:
    """What a card draws of the history (None before its first point), as the browser grows it further."""
    if history is None or history.last_point is None:
        return None
    return history.sparkline(time.time()).as_dict()


@dataclass
class _Tracked:
    """A watched symbol's entry whose changes of state go to its room."""
    entry: LivePrice
    status: str  # as last seen: `on_status` hears a change of status, not every word that comes with one


class PriceFeed:
    """One for the app: its listeners on the source live as long as the source does."""

    def __init__(self, engine: PriceSource, on_pushed: Callable[[float], None] | None = None,
                 on_status: EntryListener | None = None, gather_s: float = GATHER_S) -> None:
        self._engine = engine
        self._gather_s = gather_s
        self._on_pushed = on_pushed
        self._on_status = on_status
        self._tracked: dict[str, _Tracked] = {}
        self._status_pending: set[str] = set()
        self._prices_pending: dict[str, dict[str, Any]] = {}  # symbol -> its latest change not yet sent
        # symbol -> when its history was last loaded whole: a chart view asks for the whole history only
        # after a load newer than the one it has (every 'history' message says which load it follows).
        self._loaded: dict[str, float] = {}
        self._batch_listeners: list[BatchListener] = []
        engine.on_price(self._publish_price)
        engine.on_state(self._state_changed)
        engine.on_series(self._publish_series)

    def on_batch(self, listener: BatchListener) -> None:
        """Also hand each burst to `listener` (the programs' streams), gathered as the viewers get it."""
        self._batch_listeners.append(listener)

    # --- the symbols being watched ---------------------------------------------------------------------

    def track(self, entry: LivePrice) -> None:
        """Push this entry's changes of state to its room; once per symbol, however many pages show it."""
        tracked = self._tracked.get(entry.symbol)
        if tracked is not None and tracked.entry is entry:
            return
        self.untrack(entry.symbol)
        self._tracked[entry.symbol] = _Tracked(entry, entry.status)

    def untrack_if_unwatched(self, symbol: str) -> None:
        if self._engine.entry(symbol) is None:
            self.untrack(symbol)

    def untrack(self, symbol: str) -> None:
        self._loaded.pop(symbol, None)
        self._tracked.pop(symbol, None)

    def loaded_at(self, symbol: str) -> float | None:
        """When the symbol's history was last loaded whole (from its page's series), if it was."""
        return self._loaded.get(symbol)

    def _history_message(self, symbol: str, spark: dict[str, Any]) -> dict[str, Any]:
        return {'s': symbol, 'spark': spark, 'loaded': self._loaded.get(symbol)}

    # --- publishing ---------------------------------------------------------------------------------------

    def _publish_price(self, entry: LivePrice) -> None:
        if not self._prices_pending:
            asyncio.get_running_loop().call_later(
                self._gather_s, lambda: background_tasks.create(self._send_prices(), name='push prices'))
        self._prices_pending[entry.symbol] = price_message(entry)

    async def _send_prices(self) -> None:
        changes, self._prices_pending = self._prices_pending, {}
        for listener in self._batch_listeners:
            listener(list(changes))
        by_socket: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for symbol, message in changes.items():
            for _, eio_sid in hooks.members(room(symbol)):
                by_socket[eio_sid].append(message)
        # One frame per set of symbols, built once: most sockets take it as one write of the same bytes, a socket
        # with something still queued gets it behind that (library_hooks.socket_path).
        frames: dict[tuple[str, ...], hooks.Frame] = {}
        for count, (eio_sid, messages) in enumerate(by_socket.items(), start=1):
            key = tuple(message['s'] for message in messages)
            if (frame := frames.get(key)) is None:
                frame = frames[key] = hooks.event_frame(PRICES_EVENT, messages)
            if not hooks.write_now(eio_sid, frame):
                await hooks.queue_frame(eio_sid, frame)  # only queues it for the socket's writer
            if count % SENDS_PER_YIELD == 0:
                await asyncio.sleep(0)
        if self._on_pushed:
            now = time.time()
            for message in changes.values():
                if message['t'] is not None:
                    self._on_pushed(max(0.0, now - message['t']))

    def _publish_series(self, symbol: str, history: PriceHistory) -> None:
        # Once per load for the whole room (a load is rare: a page opening or reconnecting), not per tick.
        if symbol in self._tracked:
            self._loaded[symbol] = time.time()
        if (spark := sparkline(history)) is not None:
            background_tasks.create(hooks.server().emit(HISTORY_EVENT, self._history_message(symbol, spark),
                                                  room=room(symbol)), name='push history')

    def _state_changed(self, entry: LivePrice) -> None:
        tracked = self._tracked.get(entry.symbol)
        if tracked is None or tracked.entry is not entry:
            return  # no page or program shows it (an alert may hold it), or it is an earlier watch's
        if entry.status != tracked.status:
            tracked.status = entry.status
            if self._on_status:
                self._on_status(entry)
        # Status and message change together: one message, read when it is sent, carries both.
        if entry.symbol not in self._status_pending:
            self._status_pending.add(entry.symbol)
            background_tasks.create(self._emit_status(entry), name='push status')

    async def _emit_status(self, entry: PriceEntry) -> None:
        self._status_pending.discard(entry.symbol)
        for listener in self._batch_listeners:
            listener([entry.symbol])
        await hooks.server().emit(STATUS_EVENT, status_message(entry), room=room(entry.symbol))

    # --- viewers --------------------------------------------------------------------------------------------

    def follow(self, client: Client, symbols: list[str]) -> None:
        """Put the client's sockets in these symbols' rooms and send it their current state.

        Called when a card's component starts listening and on every (re)connect, so a page never
        misses a change that happened between its render and its socket joining the room.
        """
        background_tasks.create(self._follow(client, symbols), name='follow prices')

    async def _follow(self, client: Client, symbols: list[str]) -> None:
        for sid, _ in list(hooks.members(client.id)):
            for symbol in symbols:
                await hooks.server().enter_room(sid, room(symbol))
        for symbol in symbols:
            if (entry := self._engine.entry(symbol)) is None:
                continue
            await hooks.server().emit(STATUS_EVENT, status_message(entry), room=client.id)
            if (spark := sparkline(self._engine.history(symbol))) is not None:
                await hooks.server().emit(HISTORY_EVENT, self._history_message(symbol, spark), room=client.id)
            if entry.price is not None:
                await hooks.server().emit(PRICES_EVENT, [price_message(entry)], room=client.id)

    def unfollow(self, client: Client, symbol: str) -> None:
        background_tasks.create(self._unfollow(client, symbol), name='unfollow price')

    async def _unfollow(self, client: Client, symbol: str) -> None:
        for sid, _ in list(hooks.members(client.id)):
            await hooks.server().leave_room(sid, room(symbol))

