"""Chromium as the app, the tests and the bench find it: its executable, and the processes it runs as."""
from __future__ import annotations

import os
import shutil

import psutil

from .processes import ServerError


def chromium_path() -> str | None:
    return os.environ.get('CHROMIUM_PATH') or shutil.which('chromium')


def chromium_processes(root: psutil.Process | None = None) -> list[psutil.Process]:
    """Chromium processes started below `root` (default: this process)."""
    root = root or psutil.Process()
    found = []
    for child in root.children(recursive=True):
        try:
            if 'chrom' in child.name().lower():
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def browser_main_process(root: psutil.Process | None = None) -> psutil.Process:
    """The Chromium browser process itself (not a renderer, GPU or utility helper)."""
    for process in chromium_processes(root):
        try:
            cmdline = process.cmdline()
        except psutil.NoSuchProcess:
            continue
        if '--remote-debugging-pipe' in cmdline and not any(a.startswith('--type=') for a in cmdline):
            return process
    raise ServerError('no Chromium browser process found')
