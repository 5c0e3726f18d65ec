"""Waiting on a condition with a deadline from async code: `launcher.processes.wait_until`'s awaitable twin.

`wait_until` sleeps with time.sleep, which is right in a thread of its own (a test driving a page, the launcher
waiting on a server) but would stop an event loop: the condition of a test or a bench that shares its loop with
the engine (prices.LocalPrices hands every change to that loop) would never become true while it waits.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def eventually(condition: Callable[[], Any], timeout: float = 10, message: str = '') -> Any:
    """`condition()`'s first truthy answer, asked every 0.02 s; AssertionError (as a test reads it) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {message or condition}')
        await asyncio.sleep(0.02)
    return result
