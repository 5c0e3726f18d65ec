"""The look of alerts, the portfolio panel, the sort and filter row and their dialogs (theme.py installs it).
Colours come from theme.py's variables, so the dark theme needs nothing of its own here."""
from __future__ import annotations

CSS = """
<style>
.ticker-grid > [hidden] { display: none !important; }  /* filtered out; the card's own display would win */
.ticker-card .alert-line { font-size: .85rem; line-height: 1.3; color: var(--muted); font-weight: 600;
  overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.ticker-card .alert-line.fired { color: #b45309; }
body.body--dark .ticker-card .alert-line.fired { color: #fbbf24; }
.ticker-card .alert-waits { font-weight: 500; }

/* Sort and filter share one row, on a phone too (each at least 140 px); the sorter's note wraps below. */
.grid-tools { width: 100%; gap: .5rem .75rem; align-items: center; flex-wrap: wrap; }
.grid-tools .sort-control { flex: 1 1 140px; max-width: 260px; min-width: 0; }
.grid-tools .filter-box { flex: 1 1 140px; max-width: 360px; min-width: 0; }
.grid-tools .q-field__native > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.grid-sorter { color: var(--muted); font-size: .85rem; }
.grid-sorter:empty { display: none; }

.portfolio { width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: .75rem 1rem; }
.portfolio.portfolio--empty { width: auto; background: none; border: 0; padding: 0; }
.portfolio-head { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem 1rem; }
.portfolio-title { font-size: 1.05rem; font-weight: 700; margin: 0; line-height: 2rem; letter-spacing: .01em; }
.portfolio-total-block { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem .5rem; min-width: 0; }
.portfolio-total-label, .portfolio-note { color: var(--muted); font-size: .8rem; font-weight: 600; }
.portfolio-total { font-size: 1.3rem; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.portfolio-table-wrap { overflow-x: auto; margin-top: .35rem; }
.portfolio-table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .9rem; }
.portfolio-table th, .portfolio-table td { padding: .15rem .5rem; text-align: right; white-space: nowrap;
  border-top: 1px solid var(--line); }
.portfolio-table thead th { color: var(--muted); font-size: .75rem; font-weight: 600; border-top: none; }
.portfolio-table th:first-child { text-align: left; padding-left: 0; }
.portfolio-table .holding-name .symbol { font-weight: 700; letter-spacing: .04em; }
.portfolio-table .holding-name .exchange { color: var(--muted); font-size: .7rem; font-weight: 600;
  margin-left: .4rem; }
/* On a phone each holding is two lines: name and value, then quantity, share and profit/loss, labelled. */
@media (max-width: 599px) {
  .portfolio { padding: .6rem .75rem; }
  .portfolio-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .portfolio-table, .portfolio-table tbody { display: block; }
  .portfolio-table tr { display: flex; flex-wrap: wrap; align-items: center; column-gap: .75rem;
    border-top: 1px solid var(--line); padding: .15rem 0 .35rem; }
  .portfolio-table th, .portfolio-table td { border-top: none; padding: 0; white-space: normal; }
  .portfolio-table th[scope="row"] { flex: 1 1 auto; }
  .portfolio-table td.value { order: 1; font-weight: 650; }
  .portfolio-table td.quantity, .portfolio-table td.share, .portfolio-table td.pl { order: 2; font-size: .8rem; }
  .portfolio-table tr::after { content: ''; order: 1; flex-basis: 100%; }  /* the break after the value */
  .portfolio-table td[data-label]::before { content: attr(data-label) ' '; color: var(--muted); font-weight: 600; }
}

.app-dialog { width: 420px; max-width: calc(100vw - 2rem); gap: .75rem; }
.app-dialog .dialog-title { font-size: 1.1rem; font-weight: 700; }
.app-dialog .dialog-note { color: var(--muted); line-height: 1.35; }
.app-dialog .alert-fired-note { color: #b45309; font-weight: 600; }
body.body--dark .app-dialog .alert-fired-note { color: #fbbf24; }
.app-dialog .q-field__messages { white-space: normal; line-height: 1.3; }
.app-dialog .dialog-actions { width: 100%; gap: .5rem; align-items: center; flex-wrap: wrap; }
</style>
"""
