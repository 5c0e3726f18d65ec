"""CPU and memory of the processes under test: the one way every scenario counts them.

Processes are grouped as 'server' (the app's Python process), 'driver' (its other non-Chromium children:
Playwright's node driver), 'chromium' (the app's Chromium), 'viewers' (whatever else this benchmark started:
the viewers' Chromium and its driver, or the simulated-viewer workers), 'replica' and 'bench' (this process).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from launcher.chromium import chromium_processes

MIB = 2 ** 20


def process_groups(app_pid: int, replica_pid: int | None = None) -> dict[str, list[psutil.Process]]:
    """As of now: processes come and go (a tab reloads, a worker starts), so a meter asks again at its end."""
    me, app = psutil.Process(), psutil.Process(app_pid)
    chromium = chromium_processes(app)
    app_tree = app.children(recursive=True)
    under_test = {app_pid, replica_pid, *(p.pid for p in app_tree)}
    return {'server': [app], 'driver': [p for p in app_tree if p not in chromium], 'chromium': chromium,
            'viewers': [p for p in me.children(recursive=True) if p.pid not in under_test],
            'replica': [psutil.Process(replica_pid)] if replica_pid else [], 'bench': [me]}


def _cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, dict[int, float]]:
    snapshot: dict[str, dict[int, float]] = {}
    for name, processes in groups.items():
        snapshot[name] = {}
        for process in processes:
            try:
                times = process.cpu_times()
                snapshot[name][process.pid] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
    return snapshot


def _machine_busy_seconds() -> float:
    # Named fields, not `sum - idle`: Linux counts guest time inside user and nice already, and iowait is idle.
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + getattr(times, 'irq', 0) + getattr(times, 'softirq', 0) \
        + getattr(times, 'steal', 0)


class CpuMeter:
    """CPU used per group from construction to stop(), in % of one core (200 is both cores all the time).

    Per process: a process born inside the window counts from zero, one gone before its end drops out (not
    below zero). 'machine' is every core's busy time; 'others', what no group explains (another benchmark or
    a test run on the same machine competing for the cores: the numbers are then skewed).

    The groups are the app's (process_groups), or any others `groups()` names; it is asked at both ends."""

    def __init__(self, app_pid: int | None = None, replica_pid: int | None = None, *,
                 groups: Callable[[], dict[str, list[psutil.Process]]] | None = None) -> None:
        if groups is None:
            assert app_pid is not None, 'say whose CPU to count'
            pid = app_pid

            def groups() -> dict[str, list[psutil.Process]]:
                return process_groups(pid, replica_pid)
        self._groups = groups
        self._before = _cpu_seconds(self._groups())
        self._machine_before = _machine_busy_seconds()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        after = _cpu_seconds(self._groups())
        elapsed = time.perf_counter() - self._started
        used = {name: round(100 * sum(t - self._before.get(name, {}).get(pid, 0.0) for pid, t in now.items())
                            / elapsed, 1) for name, now in after.items()}
        used['machine'] = round(100 * (_machine_busy_seconds() - self._machine_before) / elapsed, 1)
        used['others'] = round(max(0.0, used['machine'] - sum(v for k, v in used.items() if k != 'machine')), 1)
        return used


def memory_mb(root_pid: int) -> dict[str, float]:
    """The memory of `root_pid` (the app, or this process when it runs the engine itself) and the sums over
    the Chromium processes below it, in MiB.

    USS: pages only that process holds (what its exit gives back); PSS: USS plus an even share of the pages
    it shares: summed over Chromium's processes, the fair total (what they share among themselves counts
    once, where a sum of USS would leave it out). RSS: every page mapped (summed, it counts Chromium's shared
    pages once per process).
    """
    root = psutil.Process(root_pid)
    info = root.memory_full_info()
    chromium = {'uss': 0, 'pss': 0, 'rss': 0}
    count = 0
    for process in chromium_processes(root):
        try:
            process_info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for key in chromium:
            chromium[key] += getattr(process_info, key)
        count += 1
    return {'server_uss_mb': round(info.uss / MIB, 1), 'server_rss_mb': round(info.rss / MIB, 1),
            'chromium_pss_mb': round(chromium['pss'] / MIB, 1), 'chromium_uss_mb': round(chromium['uss'] / MIB, 1),
            'chromium_rss_mb': round(chromium['rss'] / MIB, 1), 'chromium_processes': count}
