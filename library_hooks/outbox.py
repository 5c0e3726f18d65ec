"""NiceGUI's per-client outbox, which woke every client once a second for nothing.

`Outbox.loop` (nicegui/outbox.py, 3.18.0) waits for its enqueue event with
`asyncio.wait_for(self._enqueue_event.wait(), timeout=1.0)` and, on the timeout, only loops to check
`_should_stop`. `Outbox.stop()` sets `_should_stop` and then the event ("wake the loop so it checks
_should_stop immediately"), so the timeout never decides anything; it costs, per viewer per second, a task, a
timer, a cancellation and two exceptions on Python 3.11 (5000 of each a second at 5000 viewers).

The hook gives nicegui.outbox its own view of asyncio in which `wait_for` awaits without a timer: the loop then
wakes only when there is something to send or it is stopped. Nothing else in nicegui/outbox.py calls wait_for
(tests/test_library_hooks.py checks both that and that stop() still wakes the loop).
"""
from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable
from typing import Any, TypeVar

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

import nicegui.outbox as outbox_module

T = TypeVar('T')


async def _wait_without_timer(awaitable: Awaitable[T], timeout: float | None = None) -> T:
    return await awaitable


class _OutboxAsyncio(types.ModuleType):
    """asyncio as nicegui.outbox sees it: the same module but for wait_for."""

    wait_for = staticmethod(_wait_without_timer)

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


def install() -> None:
    if outbox_module.asyncio is not asyncio:
        raise RuntimeError('nicegui.outbox no longer uses the asyncio module itself (or the hook is installed '
                           'twice): check library_hooks/outbox.py against it')
    outbox_module.asyncio = _OutboxAsyncio('asyncio (nicegui.outbox view)')
