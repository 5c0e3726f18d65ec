"""The look of the Ticker field's suggestions (ticker_field.js); theme.py installs it. Colours come from the
theme's variables, so the dark theme needs little of its own."""
from __future__ import annotations

CSS = """
<style>
.add-form .ticker-field { flex: 1 1 auto; min-width: 0; position: relative; }
.ticker-field .q-field { width: 100%; }
.ticker-field .suggestions { position: absolute; left: 0; right: 0; top: 100%; z-index: 30; margin: 4px 0 0;
  padding: 4px 0; list-style: none; background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  box-shadow: 0 10px 28px rgba(15, 23, 42, .22); max-height: min(55vh, 28rem); overflow-y: auto;
  overscroll-behavior: contain; }
.suggestion { display: flex; flex-direction: column; justify-content: center; gap: 1px; min-height: 48px;
  padding: .35rem .85rem; cursor: pointer; }
.suggestion + .suggestion { border-top: 1px solid var(--line); }
.suggestion.active, .suggestion:hover { background: color-mix(in srgb, #6366f1 14%, var(--card)); }
.suggestion.active { box-shadow: inset 3px 0 0 #4f46e5; }
.suggestion-line { display: flex; align-items: baseline; flex-wrap: wrap; gap: 0 .5rem; }
.suggestion-ticker { font-weight: 700; letter-spacing: .04em; }
.suggestion mark { background: #e0e7ff; color: #1e1b4b; border-radius: 3px; padding: 0 1px; }
body.body--dark .suggestion mark { background: #312e81; color: #e0e7ff; }
.suggestion-exchange { color: var(--muted); font-size: .75rem; font-weight: 600; letter-spacing: .04em; }
.suggestion-kind { color: var(--muted); font-size: .7rem; font-weight: 600; border: 1px solid var(--line);
  border-radius: 999px; padding: 0 .4rem; }
.suggestion-name { color: var(--muted); font-size: .85rem; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.ticker-field .q-field__messages { white-space: normal; line-height: 1.3; }
/* Field messages in the theme's red for text, which keeps 4.5:1 on the page in both themes (Quasar's
   "negative" is the marks' red and does not). */
body .q-field--error .q-field__bottom, body .q-field--error .text-negative,
body .q-field--error .q-field__label { color: var(--down-text) !important; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; border: 0; }
</style>
"""
