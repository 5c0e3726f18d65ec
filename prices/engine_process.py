"""The engine in a process of its own, so prices coming in never wait behind frames going out.

Everything of the engine (Playwright, Chromium, the watchers, their entries) lives in that process, on its
own event loop and under its own GIL: a thread was tried first, and a busy web server's loop doubled the
engine's p99 through the GIL alone (bench: see README). The two sides talk over one pipe:

- in:  ('watch', symbol, token), ('unwatch', symbol), ('stop',)
- out: ('started', browser), ('change', symbol, token, values, handed_at, browser), ('lag', seconds, browser),
       ('stopped',)

`browser` is a BrowserHealth copy, sent with each change and with each lag sample (4 a second), so the
owner's view of the browser is never older than that. The owner reads the pipe when its loop says it is
readable: nothing polls.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import time
from multiprocessing.connection import Connection
from typing import Any, Callable

from scraper import PriceEngine, PriceEntry, Settings
from scraper.browser import BrowserHealth

log = logging.getLogger(__name__)
LAG_SAMPLE_S = 0.25
# The engine's own bound on closing its tabs and Chromium, then ours on the whole process: together well
# inside the 20 s a service manager gives before SIGKILL, after the web server's 5 s of graceful shutdown.
ENGINE_STOP_TIMEOUT = 8.0
STOP_TIMEOUT = 10.0
START_TIMEOUT = 60.0  # a Python interpreter, Playwright's driver and Chromium, on a busy 2-core machine
Message = tuple[Any, ...]


# --- the engine's side ------------------------------------------------------------------------------------

def serve(conn: Connection, settings: Settings) -> None:
    """The engine process's main: until ('stop',) arrives, or the owner is gone (the pipe closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the owner decides
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)-7s %(name)s: %(message)s')
    asyncio.run(_serve(conn, PriceEngine(settings)))


async def _serve(conn: Connection, engine: PriceEngine) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[Message] = asyncio.Queue()

    def readable() -> None:
        try:
            while conn.poll():  # drain what is there: poll() only looks, it never waits
                commands.put_nowait(conn.recv())
        except (EOFError, OSError):  # the owner died: stop as if asked
            loop.remove_reader(conn.fileno())
            commands.put_nowait(('stop',))

    def send(message: Message) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # the owner is gone; the reader above stops us

    await engine.start()
    send(('started', engine.browser.health()))
    loop.add_reader(conn.fileno(), readable)
    lag = loop.create_task(_sample_lag(lambda seconds: send(('lag', seconds, engine.browser.health()))))
    while (command := await commands.get())[0] != 'stop':
        if command[0] == 'watch':
            _, symbol, token = command

            def hand_over(entry: PriceEntry, symbol: str = symbol, token: int = token) -> None:
                send(('change', symbol, token, entry.values(), time.time(), engine.browser.health()))

            engine.watch(symbol, hand_over)
        elif command[0] == 'unwatch':
            engine.unwatch(command[1])
    lag.cancel()
    try:
        await asyncio.wait_for(engine.stop(), ENGINE_STOP_TIMEOUT)
    except TimeoutError:  # leaving anyway ends Playwright's driver, and with it Chromium
        log.error('the engine did not stop within %.0f s; still pending: %s', ENGINE_STOP_TIMEOUT, _pending())
    send(('stopped',))


def _pending() -> str:
    """Where each unfinished task is: what held up a stop."""
    current = asyncio.current_task()
    return '; '.join(f'{task.get_name()} at {" < ".join(f"{f.f_code.co_name}:{f.f_lineno}" for f in task.get_stack())}'
                     for task in asyncio.all_tasks() if task is not current) or 'nothing'


async def _sample_lag(report: Callable[[float], None]) -> None:
    """How late the loop wakes up is how long a source frame arriving now would wait for it."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(LAG_SAMPLE_S)
        report(max(0.0, loop.time() - asked - LAG_SAMPLE_S))


# --- the owner's side -----------------------------------------------------------------------------------

ChangeHandler = Callable[[str, int, dict[str, Any], float], None]


class EngineProcess:
    """Started and stopped from the owner's loop; everything it reports arrives on that loop."""

    def __init__(self, settings: Settings, on_change: ChangeHandler, on_lag: Callable[[float], None],
                 on_exit: Callable[[], None]) -> None:
        self._settings = settings
        self._on_change = on_change
        self._on_lag = on_lag
        self._on_exit = on_exit  # the process died without being asked to stop
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._started: asyncio.Future[None] | None = None
        self.browser = BrowserHealth(state='starting')

    async def start(self) -> None:
        context = multiprocessing.get_context('spawn')  # a clean interpreter: no copy of the web server
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child, self._settings), name='price-engine',
                                        daemon=True)  # daemon: ended with us even if we die uncleanly
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

    def watch(self, symbol: str, token: int) -> None:
        self._send(('watch', symbol, token))

    def unwatch(self, symbol: str) -> None:
        self._send(('unwatch', symbol))

    async def stop(self) -> None:
        """Every watcher and Chromium closed, then the process gone, on every path."""
        if self._process is None or self._conn is None or self._stopped is None:
            return
        process, stopped = self._process, self._stopped
        self._send(('stop',))
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

    def _send(self, message: Message) -> None:
        if self._conn is None:
            raise RuntimeError('the price engine is not running')
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # it died: _readable sees the end of the pipe and reports it

    def _readable(self) -> None:
        assert self._conn is not None
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

    def _dispatch(self, message: Message) -> None:
        kind = message[0]
        if kind == 'started':
            _, self.browser = message
            if self._started is not None and not self._started.done():
                self._started.set_result(None)
        elif kind == 'change':
            _, symbol, token, values, handed_at, self.browser = message
            self._on_change(symbol, token, values, handed_at)
        elif kind == 'lag':
            _, seconds, self.browser = message
            self._on_lag(seconds)
        elif kind == 'stopped' and self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    def _close(self) -> None:
        if self._conn is not None:
            asyncio.get_running_loop().remove_reader(self._conn.fileno())
            self._conn.close()
        for waiting in (self._started, self._stopped):
            if waiting is not None and not waiting.done():
                waiting.set_result(None)
        self._conn = self._process = None
