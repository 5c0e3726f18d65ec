"""The look of the alert form's parts beyond what every dialog has (tools_style.py)."""
from __future__ import annotations

CSS = """
<style>
.alert-dialog { max-height: calc(100vh - 2rem); overflow-y: auto; }
.alert-dialog .alert-move-row { width: 100%; gap: .5rem; flex-wrap: wrap; }
.alert-dialog .alert-move { flex: 1 1 7rem; width: auto; }
.alert-dialog .alert-direction { flex: 1 1 9.5rem; min-width: 9.5rem; }
.alert-dialog .alert-window, .alert-dialog .alert-repeat, .alert-dialog .alert-cooldown {
  flex: 1 1 6rem; min-width: 6rem; }
.alert-dialog .test-result { flex: 1 1 12rem; overflow-wrap: anywhere; }
.alert-dialog .delivery-log { width: 100%; }
.alert-dialog .delivery { overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.alert-dialog .delivery-failed, .alert-dialog .delivery-refused { color: #b91c1c; }
body.body--dark .alert-dialog .delivery-failed, body.body--dark .alert-dialog .delivery-refused { color: #fca5a5; }
.alert-dialog .api-token { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
</style>
"""
