"""The engine's own thread and event loop, so prices coming in never wait behind frames going out.

Everything of the engine (Playwright, Chromium, the watchers, their entries) lives on this loop. The one way
in is `post` (fire and forget) or `call` (await a result); the one way out is the `on_change` hook the owner
passes to `watch`, which this module hands back to the owner's loop with call_soon_threadsafe.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from typing import Any, Callable, Coroutine, TypeVar

from scraper import PriceEngine, PriceEntry, Settings

log = logging.getLogger(__name__)
T = TypeVar('T')
# What a watched symbol reports, on the owner's loop: its symbol, the watch's token, a copy of its values and
# when the engine handed them over (time.time()).
ChangeHandler = Callable[[str, int, dict[str, Any], float], None]
STOP_TIMEOUT = 15.0
LAG_SAMPLE_S = 0.25


class EngineThread:
    def __init__(self, settings: Settings) -> None:
        self.engine = PriceEngine(settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Called on the engine's thread with each lag sample (seconds): keep them thread-safe.
        self.lag_listeners: list[Callable[[float], None]] = []

    async def start(self) -> None:
        """Start the thread and its loop, then the engine on it (Chromium's launch included)."""
        running: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(running,), name='price-engine', daemon=True)
        self._thread.start()
        self._loop = await asyncio.wrap_future(running)
        await self.call(self.engine.start())

    def _run(self, running: concurrent.futures.Future) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.call_soon(running.set_result, loop)
        loop.create_task(self._sample_lag(), name='engine loop lag')
        try:
            loop.run_forever()
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            log.info('price engine thread stopped')

    async def _sample_lag(self) -> None:
        """How late the loop wakes up is how long a source frame arriving now would wait for it."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(LAG_SAMPLE_S)
            lag = max(0.0, loop.time() - asked - LAG_SAMPLE_S)
            for listener in self.lag_listeners:
                listener(lag)

    async def stop(self) -> None:
        """Stop every watcher and Chromium, then the loop; the thread is gone when this returns."""
        if self._loop is None or self._thread is None:
            return
        try:
            await asyncio.wait_for(self.call(self.engine.stop()), STOP_TIMEOUT)
        except Exception:  # still end the thread: its loop's shutdown cancels whatever is left
            log.exception('the price engine did not stop cleanly')
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, STOP_TIMEOUT)
        self._loop = self._thread = None

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the engine's loop and await its result from the caller's loop."""
        assert self._loop is not None, 'the engine thread is not running'
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def watch(self, symbol: str, token: int, on_change: ChangeHandler) -> None:
        """From the owner's loop: start watching; each change comes back to that loop as on_change(...)."""
        owner = asyncio.get_running_loop()

        def hand_over(entry: PriceEntry) -> None:  # on the engine's loop: copy now, apply there
            try:
                owner.call_soon_threadsafe(on_change, symbol, token, entry.values(), time.time())
            except RuntimeError:  # the owner's loop is closed: nobody is left to tell
                pass

        self._post(lambda: self.engine.watch(symbol, hand_over))

    def unwatch(self, symbol: str) -> None:
        self._post(lambda: self.engine.unwatch(symbol))

    def _post(self, work: Callable[[], object]) -> None:
        if self._loop is None:
            raise RuntimeError('the price engine is not running')
        self._loop.call_soon_threadsafe(work)
