"""What the tests and the bench drive the product with: Playwright steps on our pages (pages, tool_steps,
alert_steps), the replica's controls (replica_control), a local webhook receiver (webhook_receiver) and waiting
on a condition from async code (waiting).

Not product code: nothing under main.py, cryptoui/, alerts/... imports it (tests/test_layout.py checks), and
it imports neither tests/ nor pytest, so bench/ and tools/ can use it as the tests do.
"""
