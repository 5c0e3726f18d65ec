"""Programs following prices (SSE and WebSocket consumers): who holds which symbols, and one event per burst.

A consumer holds its symbols exactly as a page does (PageSubscriptions: one tab per symbol whoever asks,
cache-first, the last one leaving closes it). The price feed gathers the changes that arrive together and
hands each batch here (PriceFeed.on_batch); the batch becomes ONE event per consumer, its JSON encoded once
per distinct set of symbols, as the feed does for the pages' sockets.

Between a batch and a consumer's connection sits a bounded buffer of events. The connection drains it as
fast as the client reads; a client that stops reading fills it (after its socket's buffers), and is then cut
off: its connection dropped, its symbols released, a warning logged, instead of the server keeping every
event it will never read.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from cryptoui.fanout.price_feed import PriceFeed
from cryptoui.fanout.subscriptions import PageSubscriptions
from cryptoui.programs.stream_consumer import Consumer, encode, event_item
from library_hooks.uvicorn_server import server_exiting
from market.symbols import InvalidSymbol, normalize_symbol
from prices import PriceSource, TooManySymbols
from settings import Settings

log = logging.getLogger(__name__)

KINDS = ('sse', 'ws')
SHUTDOWN_POLL_S = 0.1  # as often as uvicorn itself looks whether it should exit
SHUTDOWN_GRACE_S = 1.0
_ECHO = 40  # at most this much of a rejected symbol is quoted back


class BadSymbols(ValueError):
    """The symbols asked for cannot be followed; `str(error)` says why, for the program's author."""


class StreamHub:
    """Every consumer of this process, the symbols each holds, and the counters /metrics reads."""

    def __init__(self, engine: PriceSource, settings: Settings, feed: PriceFeed) -> None:
        self._engine = engine
        self._settings = settings
        self._feed = feed
        self._watchers: defaultdict[str, set[Consumer]] = defaultdict(set)  # symbol -> its consumers
        self._consumers: set[Consumer] = set()
        # symbol -> the item its consumers last got: a status change that the price change before it already
        # carried (connecting -> live comes with the first price) would otherwise be a second, identical event
        self._last_item: dict[str, dict[str, Any]] = {}
        self.events_sent: Counter[str] = Counter()  # by kind
        self.cut_offs: Counter[str] = Counter()
        self._shutdown_watch: asyncio.Task | None = None
        feed.on_batch(self._changed)

    # --- what is asked for ---------------------------------------------------------------------------------

    def parse(self, raws: Iterable[str], held: Iterable[str] = ()) -> list[str]:
        """The symbols as normalize_symbol names them, without repeats; BadSymbols for the whole list if any is
        bad or if a consumer holding `held` would then follow more than a browser may."""
        raws = list(raws)
        if not any(raw.strip() for raw in raws):
            raise BadSymbols('Name at least one symbol, e.g. BTCUSD,COINBASE:ETHUSD.')
        symbols: list[str] = []
        for raw in raws:
            try:
                symbol = normalize_symbol(raw, self._settings.exchange)
            except InvalidSymbol as error:
                shown = raw.strip()[:_ECHO]
                raise BadSymbols(f'{shown!r}: {error}' if shown else f'An empty symbol: {error}') from None
            if symbol not in symbols:
                symbols.append(symbol)
        limit = self._settings.max_tickers_per_browser
        if len(set(held) | set(symbols)) > limit:
            raise BadSymbols(f'A program can follow at most {limit} symbols at once, as a browser can.')
        return symbols

    # --- consumers -----------------------------------------------------------------------------------------

    def open(self, kind: str, symbols: list[str]) -> Consumer:
        """A consumer holding `symbols` (parsed), with their current state queued as its first event.
        Raises TooManySymbols, having subscribed nothing."""
        consumer = Consumer(kind, PageSubscriptions(self._engine, on_subscribed=self._feed.track,
                                                    on_released=self._feed.untrack_if_unwatched),
                            self._settings.stream_buffer_events)
        self._consumers.add(consumer)
        try:
            if symbols:
                self.add(consumer, symbols)
        except BaseException:
            self.close(consumer, 'refused', quiet=True)
            raise
        log.info('%s consumer opened for %s (%d consumers)', kind, ','.join(symbols) or 'no symbols yet',
                 len(self._consumers))
        return consumer

    def add(self, consumer: Consumer, symbols: list[str]) -> None:
        """Subscribe to each (all or none: TooManySymbols leaves nothing of them held) and queue their state."""
        fresh = [s for s in symbols if s not in consumer.symbols]
        self._check_room(fresh)
        added: list[str] = []
        try:
            for symbol in fresh:
                consumer.subscriptions.add(symbol)
                added.append(symbol)
        except TooManySymbols:
            for symbol in added:
                consumer.subscriptions.remove(symbol)
            raise
        for symbol in added:
            self._watchers[symbol].add(consumer)
        self._send_state(consumer, symbols)

    def remove(self, consumer: Consumer, symbols: list[str]) -> None:
        for symbol in symbols:
            self._unwatch(consumer, symbol)
            consumer.subscriptions.remove(symbol)

    def close(self, consumer: Consumer, reason: str, quiet: bool = False) -> None:
        """Release everything the consumer holds; safe to call again (each path that ends it calls this)."""
        if consumer not in self._consumers:
            return
        self._consumers.discard(consumer)
        symbols = consumer.symbols
        for symbol in symbols:
            self._unwatch(consumer, symbol)
        consumer.subscriptions.close()
        consumer.end(reason)
        if not quiet:
            log.info('%s consumer %s after %d events: released %s', consumer.kind, reason, consumer.last_id,
                     ','.join(symbols) or 'nothing')

    def written(self, consumer: Consumer, events: int) -> int:
        """The connection wrote `events` more events; returns the id of the first of them."""
        first = consumer.last_id + 1
        consumer.last_id += events
        self.events_sent[consumer.kind] += events
        return first

    def snapshot(self, symbol: str) -> dict[str, Any] | None:
        entry = self._engine.entry(symbol)
        return event_item(entry) if entry is not None else None

    def _check_room(self, fresh: list[str]) -> None:
        """Refuse before subscribing, so no tab is opened only to be closed again. A cluster's owners apply
        their own caps; there the rollback in `add` is the only guard."""
        if self._settings.clustered:
            return
        new = [s for s in fresh if self._engine.entry(s) is None]
        cap = self._settings.max_symbols
        if new and len(self._engine.symbols) + len(new) > cap:
            raise TooManySymbols(f'At most {cap} symbols can be watched at once; remove one first.')

    def _unwatch(self, consumer: Consumer, symbol: str) -> None:
        watchers = self._watchers.get(symbol)
        if watchers is not None:
            watchers.discard(consumer)
            if not watchers:
                del self._watchers[symbol]
                self._last_item.pop(symbol, None)

    # --- events --------------------------------------------------------------------------------------------

    def _send_state(self, consumer: Consumer, symbols: list[str]) -> None:
        items = [item for symbol in symbols if (item := self.snapshot(symbol)) is not None]
        if items and not consumer.push(encode(items)):
            self._cut_off(consumer)

    def _changed(self, symbols: list[str]) -> None:
        """A gathered batch from the feed: one event per consumer holding any of these symbols."""
        items: dict[str, dict[str, Any]] = {}
        held: defaultdict[Consumer, list[str]] = defaultdict(list)
        for symbol in symbols:
            watchers = self._watchers.get(symbol)
            if not watchers or (entry := self._engine.entry(symbol)) is None:
                continue
            item = event_item(entry)
            if item == self._last_item.get(symbol):
                continue
            items[symbol] = self._last_item[symbol] = item
            for consumer in watchers:
                held[consumer].append(symbol)
        encoded: dict[tuple[str, ...], str] = {}
        for consumer, its_symbols in held.items():
            key = tuple(its_symbols)
            if (payload := encoded.get(key)) is None:
                payload = encoded[key] = encode([items[s] for s in key])
            if not consumer.push(payload):
                self._cut_off(consumer)

    def _cut_off(self, consumer: Consumer) -> None:
        log.warning('%s consumer cut off after %d events: it left %d unread; released %s', consumer.kind,
                    consumer.last_id, consumer.limit, ','.join(consumer.symbols))
        self.cut_offs[consumer.kind] += 1
        self.close(consumer, 'cut off', quiet=True)
        consumer.stop_connection()

    # --- /metrics ------------------------------------------------------------------------------------------

    def count(self, kind: str) -> int:
        return sum(1 for consumer in self._consumers if consumer.kind == kind)

    @property
    def buffered(self) -> int:
        """Events waiting in every consumer's buffer now."""
        return sum(consumer.buffered for consumer in self._consumers)

    @property
    def longest_buffer(self) -> int:
        return max((consumer.buffered for consumer in self._consumers), default=0)

    # --- the server stopping ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._shutdown_watch = asyncio.get_running_loop().create_task(self._end_all_at_shutdown(),
                                                                      name='end streams at shutdown')

    def stop(self) -> None:
        if self._shutdown_watch is not None:
            self._shutdown_watch.cancel()
        for consumer in list(self._consumers):
            self.close(consumer, 'ended by the server stopping')

    async def _end_all_at_shutdown(self) -> None:
        """Uvicorn waits (up to timeout_graceful_shutdown) for responses to finish before it shuts the app down,
        and a stream never finishes by itself: end them all as soon as it has been told to exit."""
        # uvicorn offers no event for it: its own loop looks at should_exit as often as this does
        while not server_exiting():  # noqa: ASYNC110
            await asyncio.sleep(SHUTDOWN_POLL_S)
        consumers = list(self._consumers)
        if consumers:
            log.info('ending %d stream consumers: the server is stopping', len(consumers))
        for consumer in consumers:
            self.close(consumer, 'ended by the server stopping')
        # A client that reads sees its stream end and closes; one that does not would hold the server's exit
        # for uvicorn's whole graceful timeout, waiting to flush bytes it will never read.
        await asyncio.sleep(SHUTDOWN_GRACE_S)
        for consumer in consumers:
            consumer.stop_connection()

