"""`python -m bench alerts webhooks --smoke` still runs end to end and writes sane rows (the harness, not the
figures: smoke sizes are tiny)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_bench_smoke import DEADLINE, run_smoke, sane


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE + 30)
def test_alerts_and_webhooks_smoke(tmp_path: Path) -> None:
    run_smoke(tmp_path, 'alerts', 'webhooks')

    alerts = json.loads((tmp_path / 'alerts.json').read_text())
    ticks = [row for row in alerts['rows'] if row['measure'].startswith('a tick')]
    assert [row['alerts'] for row in ticks] == [1000, 1000]
    assert all(0 < row['p50_us'] <= row['p99_us'] for row in ticks), ticks
    [memory] = [row for row in alerts['rows'] if row['measure'].startswith('memory')]
    assert 100 < memory['value'] < 5000, memory  # bytes per alert

    webhooks = json.loads((tmp_path / 'webhooks.json').read_text())
    quiet, hanging = webhooks['rows']
    assert sane(quiet) and sane(hanging), webhooks['rows']
    assert webhooks['raw']['held_after'] == 5  # the webhooks still hung while the prices were timed
