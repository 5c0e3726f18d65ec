"""Look and feel: colours, the responsive grid, price flashes, and the remembered light/dark choice."""
from __future__ import annotations

from nicegui import app, ui

from cryptoui.pages import field_style, tools_style

UP = '#16a34a'
DOWN = '#dc2626'

# Served in <head> so the first paint is already styled (ui.add_css injects via JavaScript after load).
# Breakpoints follow Quasar's: one column on phones, two from 600 px (tablets), three from 1024 px,
# four from 1440 px (desktop).
CSS = f"""
<style>
/* Text colours keep 4.5:1 (WCAG AA) on the page, the cards and the tinted pills, in both themes (axe-core checks
   them): --up and --down colour marks and flashes, --up-text and --down-text the words and numbers. */
:root {{ --up: {UP}; --down: {DOWN}; --up-text: #166534; --down-text: #b91c1c; --muted: #556274; --page: #f1f5f9;
  --card: #ffffff; --line: #e2e8f0; }}
body.body--dark {{ --up-text: #22c55e; --down-text: #f87171; --muted: #94a3b8; --page: #0b1120; --card: #111827;
  --line: #1f2937; }}
body.body--dark .q-field--highlighted .q-field__label {{ color: #a5b4fc; }}  /* the primary is too dark there */
body {{ background: var(--page); }}
html, body {{ overflow-x: hidden; }}
.app-header {{ background: linear-gradient(90deg, #0f172a, #1e1b4b); }}
.brand {{ font-weight: 700; letter-spacing: .01em; font-size: 1.15rem; white-space: nowrap; }}
.nicegui-content {{ padding: 0; }}  /* .page-body pads instead, tighter on phones */
.page-body {{ width: 100%; max-width: 1600px; margin: 0 auto; padding: 1rem .875rem 2rem; gap: 1rem; }}
@media (min-width: 600px) {{ .page-body {{ padding: 1.75rem 1.75rem 2.5rem; gap: 1.5rem; }} }}
.add-form {{ width: 100%; max-width: 560px; gap: .75rem; align-items: flex-start; flex-wrap: nowrap; }}
.add-form .q-field {{ flex: 1 1 auto; min-width: 0; }}
.add-form .q-field__messages {{ white-space: normal; line-height: 1.3; }}
.add-button {{ height: 56px; min-width: 88px; }}
.tap-target {{ min-width: 44px; min-height: 44px; }}

.ticker-grid {{ display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; width: 100%; }}
@media (min-width: 600px) {{ .ticker-grid {{ grid-template-columns: repeat(2, minmax(0, 1fr)); }} }}
@media (min-width: 1024px) {{ .ticker-grid {{ grid-template-columns: repeat(3, minmax(0, 1fr)); }} }}
@media (min-width: 1440px) {{ .ticker-grid {{ grid-template-columns: repeat(4, minmax(0, 1fr)); }} }}

.ticker-card {{ background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06); padding: 1rem 1rem 1.1rem 1.25rem; gap: .35rem;
  min-width: 0; position: relative; overflow: hidden; }}
.ticker-card::before {{ content: ''; position: absolute; left: 0; top: 0; bottom: 0; width: 4px;
                       background: var(--line); }}
.ticker-card[data-status="live"]::before {{ background: #6366f1; }}
.ticker-card[data-status="stale"]::before {{ background: #f59e0b; }}
.ticker-card[data-status="error"]::before {{ background: var(--down); }}
.ticker-card[data-status="error"] {{ border-color: color-mix(in srgb, var(--down) 45%, var(--line)); }}
.ticker-card .symbol {{ font-weight: 700; font-size: 1.05rem; letter-spacing: .04em; }}
.ticker-card .exchange {{ color: var(--muted); font-size: .7rem; font-weight: 600; letter-spacing: .06em; }}
.ticker-card .currency, .symbol-view .currency {{ color: var(--muted); font-size: .8rem; font-weight: 600; }}
.instrument {{ color: var(--muted); font-size: .8rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  min-width: 0; }}
/* The card is one link to its chart: the link's ::after covers the card, the remove button sits above it. */
.card-link {{ color: inherit; text-decoration: none; outline: none; }}
.card-link::after {{ content: ''; position: absolute; inset: 0; z-index: 0; cursor: pointer; }}
.ticker-card .remove-button, .ticker-card .alert-button {{ position: relative; z-index: 1; }}
.ticker-card:hover {{ border-color: color-mix(in srgb, #6366f1 45%, var(--line)); }}
.ticker-card:has(.card-link:focus-visible) {{ outline: 3px solid #6366f1; outline-offset: 2px; }}
.ticker-card .updated {{ color: var(--muted); font-size: .75rem; font-weight: 500; white-space: nowrap; }}
.ticker-card .trend {{ width: 100%; margin-top: .15rem; }}
.sparkline {{ flex: 1 1 auto; min-width: 0; width: 100%; height: 36px; overflow: visible; }}
.sparkline .spark-line {{ fill: none; stroke: currentColor; stroke-width: 1.5; stroke-linejoin: round; }}
.sparkline .spark-area {{ fill: currentColor; fill-opacity: .1; stroke: none; }}
.spark-range {{ color: var(--muted); font-size: .7rem; font-weight: 600; white-space: nowrap; }}
.ticker-card[data-status="error"] .trend {{ display: none; }}
.ticker-card .price {{ font-size: 2rem; line-height: 1.15; font-weight: 650; font-variant-numeric: tabular-nums;
  border-radius: 8px; padding: 0 .25rem; margin-left: -.25rem; overflow-wrap: anywhere; }}
.ticker-card .placeholder {{ color: var(--muted); }}
.ticker-card .change-percent {{ padding: .05rem .5rem; border-radius: 999px;
  background: color-mix(in srgb, currentColor 12%, transparent); }}
.ticker-card .changes {{ gap: .6rem; font-variant-numeric: tabular-nums; font-weight: 600; min-height: 1.5rem; }}
.ticker-card .message {{ color: var(--muted); font-size: .85rem; line-height: 1.3; overflow-wrap: anywhere; }}
.ticker-card[data-status="error"] .message {{ color: var(--down-text); font-weight: 600; }}
.ticker-card[data-status="error"] .price, .ticker-card[data-status="error"] .changes {{ display: none; }}
.ticker-card[data-status="connecting"] .changes {{ visibility: hidden; }}
.signed-up {{ color: var(--up-text); }}
.signed-down {{ color: var(--down-text); }}
.signed-flat {{ color: var(--muted); }}

/* Two identical animations per direction: swapping the class name restarts the flash on every move. */
@keyframes flash-up-a {{ from {{ background: color-mix(in srgb, var(--up) 30%, transparent); color: var(--up); }} }}
@keyframes flash-up-b {{ from {{ background: color-mix(in srgb, var(--up) 30%, transparent); color: var(--up); }} }}
@keyframes flash-down-a {{
  from {{ background: color-mix(in srgb, var(--down) 30%, transparent); color: var(--down); }}
}}
@keyframes flash-down-b {{
  from {{ background: color-mix(in srgb, var(--down) 30%, transparent); color: var(--down); }}
}}
.flash-up-a {{ animation: flash-up-a .9s ease-out; }}
.flash-up-b {{ animation: flash-up-b .9s ease-out; }}
.flash-down-a {{ animation: flash-down-a .9s ease-out; }}
.flash-down-b {{ animation: flash-down-b .9s ease-out; }}
@media (prefers-reduced-motion: reduce) {{ [class*="flash-"] {{ animation-duration: .01s; }} }}

/* The chart view (symbol_page.py, symbol_chart.js). */
.back-link {{ color: inherit; text-decoration: none; display: inline-flex; align-items: center; justify-content: center;
  border-radius: 999px; }}
.back-link:focus-visible {{ outline: 2px solid #fff; }}
.symbol-body {{ max-width: 1200px; }}
.symbol-view {{ width: 100%; display: flex; flex-direction: column; gap: .75rem; }}
.symbol-head {{ display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between;
  gap: .5rem 1.5rem; }}
.symbol-title {{ margin: 0; font-size: 1.6rem; line-height: 1.2; font-weight: 700; letter-spacing: .03em;
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 .6rem; }}
.symbol-title .exchange {{ color: var(--muted); font-size: .9rem; font-weight: 600; letter-spacing: .06em; }}
.symbol-view .quote {{ text-align: right; }}
.symbol-view .price {{ font-size: 2.4rem; line-height: 1.1; font-weight: 650; font-variant-numeric: tabular-nums;
  border-radius: 8px; padding: 0 .25rem; }}
.symbol-view .changes {{ gap: .6rem; font-variant-numeric: tabular-nums; font-weight: 600; }}
.symbol-view .change-percent {{ padding: .05rem .5rem; border-radius: 999px;
  background: color-mix(in srgb, currentColor 12%, transparent); }}
@media (max-width: 599px) {{ .symbol-view .quote {{ text-align: left; }}
  .symbol-view .changes {{ justify-content: flex-start; }}
  .symbol-view .price {{ font-size: 2rem; margin-left: -.25rem; }} }}
.source-state {{ color: var(--muted); font-size: .85rem; flex-wrap: wrap; }}
.source-state .state-label {{ font-weight: 600; }}
.source-state .message {{ overflow-wrap: anywhere; }}
.state-dot {{ width: .6rem; height: .6rem; border-radius: 50%; background: var(--line); flex: none; }}
.symbol-view[data-status="live"] .state-dot {{ background: #22c55e; }}
.symbol-view[data-status="stale"] .state-dot {{ background: #f59e0b; }}
.symbol-view[data-status="error"] .state-dot {{ background: var(--down); }}
.symbol-view[data-status="error"] .source-state {{ color: var(--down-text); }}
.segmented {{ display: inline-flex; border: 1px solid var(--line); border-radius: 10px; overflow: hidden;
  background: var(--card); }}
.segment {{ font: inherit; font-size: .85rem; font-weight: 600; color: var(--muted); background: none; border: 0;
  padding: 0 .9rem; min-height: 40px; min-width: 48px; cursor: pointer; }}
.segment + .segment {{ border-left: 1px solid var(--line); }}
.segment[aria-pressed="true"] {{ background: #4f46e5; color: #fff; }}
.segment:focus-visible {{ outline: 2px solid #6366f1; outline-offset: -2px; }}
.range-stats {{ display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: 0; }}
.range-stats dt {{ color: var(--muted); font-size: .75rem; font-weight: 600; }}
.range-stats dd {{ margin: 0; font-weight: 650; font-variant-numeric: tabular-nums; }}
.chart-frame {{ position: relative; background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: .5rem; }}
.price-chart {{ width: 100%; height: min(62vh, 560px); min-height: 280px; }}
.chart-empty {{ position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: var(--muted); text-align: center; padding: 1rem; pointer-events: none; }}
.symbol-problem {{ text-align: center; padding-top: 3rem; }}
.symbol-problem .problem-text {{ max-width: 560px; font-size: 1.05rem; }}

.empty-state {{ color: var(--muted); text-align: center; padding: 2.5rem 1rem; border: 2px dashed var(--line);
  border-radius: 14px; width: 100%; }}

/* The theme button shows the theme it switches to. */
.theme-toggle .to-light {{ display: none; }}
body.body--dark .theme-toggle .to-light {{ display: inline-flex; }}
body.body--dark .theme-toggle .to-dark {{ display: none; }}
</style>
"""


def install() -> None:
    """Styles and colours shared by every page; call once before ui.run."""
    # Quasar's loading bar shows on the page's own requests as an unnamed progressbar outside any landmark
    # (axe-core: aria-progressbar-name, region); the cards and the connection badge say what is loading.
    app.config.quasar_config['loadingBar']['skipHijack'] = True
    ui.add_head_html(CSS, shared=True)
    ui.add_head_html(tools_style.CSS, shared=True)
    ui.add_head_html(field_style.CSS, shared=True)


def apply_colors() -> None:
    ui.colors(primary='#4f46e5', positive=UP, negative=DOWN)


def dark_mode_toggle() -> None:
    """Follow the system theme until the person picks one; remember the pick for this browser."""
    dark = ui.dark_mode(app.storage.user.get('dark'))  # None = auto, i.e. the system preference

    async def flip() -> None:
        # In auto mode only the browser knows which theme is showing, so ask it before flipping.
        showing_dark = await ui.run_javascript('document.body.classList.contains("body--dark")')
        dark.value = not showing_dark
        app.storage.user['dark'] = dark.value

    with ui.button(on_click=flip).props('flat round color=white aria-label="Toggle dark theme"') \
            .classes('theme-toggle tap-target'):
        ui.icon('dark_mode').classes('to-dark')
        ui.icon('light_mode').classes('to-light')
        ui.tooltip('Light or dark theme')
