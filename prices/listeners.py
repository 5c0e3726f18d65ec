"""Who is told of a change: a list of callables, each added by an owner that removes it when it leaves.

A page, a stream consumer or the app adds a listener and keeps what `add` returns; calling that removes it
(a page on close, a consumer when it ends, the app's own listeners live as long as the source). A listener may
remove itself, or another, while it is being called: the callables are held in a tuple that adding and removing
replace, so a change already being told goes to those listening when it began.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec('P')
Remove = Callable[[], None]  # stops the listener it was returned for; safe to call again


class Listeners(Generic[P]):
    __slots__ = ('_all',)

    def __init__(self) -> None:
        self._all: tuple[Callable[P, None], ...] = ()

    def add(self, listener: Callable[P, None]) -> Remove:
        self._all = (*self._all, listener)
        return lambda: self._remove(listener)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in self._all:
            listener(*args, **kwargs)

    def __len__(self) -> int:
        return len(self._all)

    def _remove(self, listener: Callable[P, None]) -> None:
        listeners = list(self._all)
        if listener in listeners:  # equal, not identical: a bound method is a new object at each access
            listeners.remove(listener)
            self._all = tuple(listeners)
