"""The engine in a process of its own, so prices coming in never wait behind frames going out.

Everything of the engine (Playwright, Chromium, the watchers, their entries) lives in that process, on its
own event loop and under its own GIL: a thread was tried first, and with the web server's loop busy the
engine's latency rose through the GIL alone (bench engine: see README). The process runs
scraper.engine_host.serve; the messages on its pipe are scraper/engine_messages.py. This side reads the pipe when its
loop says it is readable: nothing polls.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection

from scraper.engine_entry import run_engine
from scraper.engine_messages import (
    BrowserHealth,
    Changed,
    Command,
    Lag,
    Report,
    SeriesLoaded,
    Started,
    Stop,
    Stopped,
)
from settings import Settings

log = logging.getLogger(__name__)
# The engine's own bound on a stop is 8 s (engine_host); ours on the whole process is a little more, and both
# fit in the 20 s a service manager gives before SIGKILL, after the web server's 5 s of graceful shutdown.
STOP_TIMEOUT = 10.0
START_TIMEOUT = 60.0  # a Python interpreter, Playwright's driver and Chromium, on a busy 2-core machine
ChangeHandler = Callable[[Changed], None]
SeriesHandler = Callable[[SeriesLoaded], None]


class EngineProcess:
    """Started and stopped from the owner's loop; everything it reports arrives on that loop."""

    def __init__(self, settings: Settings, on_change: ChangeHandler, on_series: SeriesHandler,
                 on_lag: Callable[[float], None], on_exit: Callable[[], None]) -> None:
        self._settings = settings
        self._on_change = on_change
        self._on_series = on_series
        self._on_lag = on_lag
        self._on_exit = on_exit  # the process died without being asked to stop
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._started: asyncio.Future[None] | None = None
        self.browser = BrowserHealth(state='starting')
        self.published = 0  # cluster messages the engine published, as it last said

    async def start(self) -> None:
        context = multiprocessing.get_context('spawn')  # a clean interpreter: no copy of the web server
        self._conn, child = context.Pipe()
        # If we die uncleanly the engine sees its pipe close and stops (Chromium with it); daemon=True covers
        # an interpreter exit that skips our stop().
        self._process = context.Process(target=run_engine, args=(child, self._settings), name='price-engine',
                                        daemon=True)
        self._process.start()
        child.close()
        loop = asyncio.get_running_loop()
        self._stopped, self._started = loop.create_future(), loop.create_future()
        loop.add_reader(self._conn.fileno(), self._readable)
        pid = self._process.pid
        try:  # as the engine itself: done once Chromium is up, or known not to start (then it keeps trying)
            await asyncio.wait_for(asyncio.shield(self._started), START_TIMEOUT)
        except TimeoutError:
            log.error('the price engine process %d did not start within %.0f s', pid, START_TIMEOUT)
            return
        if self._process is not None:  # else it died while starting, and _readable said so
            log.info('price engine process %d started', pid)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def send(self, command: Command) -> None:
        if self._conn is None:
            raise RuntimeError('the price engine is not running')
        try:
            self._conn.send(command)
        except (BrokenPipeError, OSError):
            pass  # it died: _readable sees the end of the pipe and reports it

    async def stop(self) -> None:
        """Every watcher and Chromium closed, then the process gone, on every path."""
        if self._process is None or self._conn is None or self._stopped is None:
            return
        process, stopped = self._process, self._stopped
        self.send(Stop())
        try:
            await asyncio.wait_for(asyncio.shield(stopped), STOP_TIMEOUT)
        except TimeoutError:
            log.error('the price engine did not stop within %.0f s; killing it', STOP_TIMEOUT)
        await asyncio.to_thread(process.join, 5)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5)
        self._close()
        self.browser = BrowserHealth()

    def _readable(self) -> None:
        assert self._conn is not None
        # uvloop makes a watched descriptor non-blocking; a message bigger than the pipe's buffer (a series of
        # 300 bars) then arrives in parts, and recv() would raise BlockingIOError halfway through one. The loop
        # said the pipe is readable, so the rest of that message is already on its way: wait for it.
        os.set_blocking(self._conn.fileno(), True)
        try:
            while self._conn is not None and self._conn.poll():
                self._dispatch(self._conn.recv())
        except (EOFError, OSError):
            died = self._stopped is not None and not self._stopped.done()
            process = self._process
            self._close()
            if died and process is not None:
                process.join(1)  # it is gone already: reap it
                log.error('the price engine process died (exit code %s)', process.exitcode)
                self.browser = BrowserHealth(state='failed', error='The price engine stopped unexpectedly')
                self._on_exit()

    def _dispatch(self, report: Report) -> None:
        match report:
            case Changed():
                self.browser = report.browser
                self._on_change(report)
            case SeriesLoaded():
                self._on_series(report)
            case Lag(seconds, browser, published):
                self.browser, self.published = browser, published
                self._on_lag(seconds)
            case Started(browser):
                self.browser = browser
                if self._started is not None and not self._started.done():
                    self._started.set_result(None)
            case Stopped() if self._stopped is not None and not self._stopped.done():
                self._stopped.set_result(None)

    def _close(self) -> None:
        if self._conn is not None:
            asyncio.get_running_loop().remove_reader(self._conn.fileno())
            self._conn.close()
        for waiting in (self._started, self._stopped):
            if waiting is not None and not waiting.done():
                waiting.set_result(None)
        self._conn = self._process = None
