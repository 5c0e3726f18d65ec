"""The one place a node reaches into NiceGUI's storage: app.storage.user becomes user_store.UserData.

NiceGUI builds each browser's dict in `Storage._create_persistent_dict` (a private static method) and has no
public way to give it another persistence. `install` replaces that method for user dicts only, after checking
that NiceGUI is the version this was written against; tests/cluster/test_user_store.py breaks on an upgrade
that changes what this relies on.
"""
from __future__ import annotations

import nicegui
from nicegui.persistence import PersistentDict
from nicegui.storage import USER_PREFIX, Storage

from .user_store import UserStore

WRITTEN_FOR = ('3.18.0',)


def install(store: UserStore) -> None:
    if nicegui.__version__ not in WRITTEN_FOR:
        raise RuntimeError(f'cluster/nicegui_storage.py was written for NiceGUI {", ".join(WRITTEN_FOR)}, '
                           f'not {nicegui.__version__}: check Storage._create_persistent_dict and update it')
    if Storage.redis_url:
        raise RuntimeError('NICEGUI_REDIS_URL is set: a cluster node keeps users\' data itself (cluster/user_store.py)')
    original = Storage._create_persistent_dict

    def create(id: str) -> PersistentDict:
        return store.data(id) if id.startswith(USER_PREFIX) else original(id)

    Storage._create_persistent_dict = staticmethod(create)  # type: ignore[method-assign]
