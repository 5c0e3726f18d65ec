"""The engine process's target, importable without Playwright: the engine itself is imported in that process."""
from __future__ import annotations

from multiprocessing.connection import Connection

from settings import Settings


def run_engine(conn: Connection, settings: Settings) -> None:
    from .engine_host import serve  # Playwright, in the engine's own process only
    serve(conn, settings)
