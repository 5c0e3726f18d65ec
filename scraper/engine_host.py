"""The engine hosted in a process of its own, driven through one pipe (its owner is prices/engine_process.py).

The messages both ways are the dataclasses of engine_messages.py. A report carries a BrowserHealth copy with
each change and each lag sample (4 a second). On a cluster node the engine also publishes the changes of the
symbols the node owns to Valkey itself (cluster/engine_publisher.py). Nothing of the web server is imported here."""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from market.entry import PriceEntry
from market.history import Bar
from settings import Settings

from .engine import PriceEngine
from .engine_messages import (
    Changed,
    Command,
    Forget,
    Lag,
    Own,
    Report,
    Republish,
    SeriesLoaded,
    Started,
    Stop,
    Stopped,
    Unwatch,
    Watch,
)

if TYPE_CHECKING:
    from cluster.engine_publisher import EnginePublisher

log = logging.getLogger(__name__)
LAG_SAMPLE_S = 0.25
# Its own bound on closing the tabs and Chromium: the owner allows a little more for the whole process.
ENGINE_STOP_TIMEOUT = 8.0


def serve(conn: Connection, settings: Settings) -> None:
    """The engine process's main: until Stop arrives, or the owner is gone (the pipe closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the owner decides
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)-7s %(name)s: %(message)s')
    asyncio.run(_serve(conn, PriceEngine(settings)))


async def _serve(conn: Connection, engine: PriceEngine) -> None:
    loop = asyncio.get_running_loop()
    publisher = _publisher(engine.settings)
    commands: asyncio.Queue[Command] = asyncio.Queue()

    def readable() -> None:
        try:
            while conn.poll():  # drain what is there: poll() only looks, it never waits
                commands.put_nowait(conn.recv())
        except (EOFError, OSError):  # the owner died: stop as if asked
            loop.remove_reader(conn.fileno())
            commands.put_nowait(Stop())

    def send(report: Report) -> None:
        try:
            conn.send(report)
        except (BrokenPipeError, OSError):
            pass  # the owner is gone; the reader above stops us

    await engine.start()
    send(Started(engine.browser.health()))
    loop.add_reader(conn.fileno(), readable)
    published = (lambda: publisher.published) if publisher else (lambda: 0)
    lag = loop.create_task(_sample_lag(lambda seconds: send(Lag(seconds, engine.browser.health(), published()))))
    while not isinstance(command := await commands.get(), Stop):
        match command:
            case Watch(symbol, token):
                engine.watch(symbol, *_reporters(symbol, token, send, engine, publisher))
            case Unwatch(symbol):
                engine.unwatch(symbol)
            case Own(symbol, fence) if publisher is not None:
                publisher.own(symbol, fence)
            case Forget(symbol) if publisher is not None:
                publisher.forget(symbol)
            case Republish(symbol) if publisher is not None and (entry := engine.entry(symbol)):
                publisher.changed(symbol, entry.values())
    lag.cancel()
    if publisher is not None:
        await publisher.stop()
    try:
        await asyncio.wait_for(engine.stop(), ENGINE_STOP_TIMEOUT)
    except TimeoutError:  # leaving anyway ends Playwright's driver, and with it Chromium
        log.error('the engine did not stop within %.0f s; still pending: %s', ENGINE_STOP_TIMEOUT, _pending())
    send(Stopped())


def _reporters(symbol: str, token: int, send: Callable[[Report], None], engine: PriceEngine,
               publisher: EnginePublisher | None) -> tuple[Callable[[PriceEntry], None],
                                                           Callable[[PriceEntry, list[Bar], int], None]]:
    """What a watch calls on each change of its entry and on each load of its page's chart series."""
    def hand_over(entry: PriceEntry) -> None:
        values = entry.values()
        if publisher is not None:
            publisher.changed(symbol, values)
        send(Changed(symbol, token, values, time.time(), engine.browser.health()))

    def hand_over_series(_: PriceEntry, bars: list[Bar], resolution: int) -> None:
        send(SeriesLoaded(symbol, token, bars, resolution))

    return hand_over, hand_over_series


def _publisher(settings: Settings) -> EnginePublisher | None:
    if not settings.clustered:
        return None
    from cluster.engine_publisher import EnginePublisher  # redis-py only where it is used
    publisher = EnginePublisher(settings)
    publisher.start()
    return publisher


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
