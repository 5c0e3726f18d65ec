"""NiceGUI's storage, made to keep app.storage.user in a store of ours (a cluster node's: cluster/user_store.py).

NiceGUI (3.18.0) builds each browser's dict in `Storage._create_persistent_dict` (a private static method) and has
no public way to give it another persistence. `install` replaces that method for user dicts only (their ids
start with USER_PREFIX); tests/test_library_hooks.py breaks on an upgrade that changes what this relies on.

What the factory returns is a `PersistentDict` (nicegui.persistence, not part of NiceGUI's documented API): an
observable dict whose `initialize()` NiceGUI awaits when it makes the dict, at a browser's first request, and
whose `close()` it awaits at shutdown. Our store subclasses it from here.
"""
from __future__ import annotations

from collections.abc import Callable

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

from nicegui.persistence import PersistentDict
from nicegui.storage import USER_PREFIX, Storage

__all__ = ['USER_PREFIX', 'PersistentDict', 'install']


def install(user_data: Callable[[str], PersistentDict]) -> None:
    """From now on a browser's app.storage.user is `user_data(id)` (id: USER_PREFIX + the browser's id)."""
    if Storage.redis_url:
        raise RuntimeError('NICEGUI_REDIS_URL is set: a cluster node keeps users\' data itself (cluster/user_store.py)')
    original = Storage._create_persistent_dict

    def create(id: str) -> PersistentDict:
        return user_data(id) if id.startswith(USER_PREFIX) else original(id)

    Storage._create_persistent_dict = staticmethod(create)  # type: ignore[method-assign]
