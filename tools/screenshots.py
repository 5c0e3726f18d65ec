"""Screenshots of the dashboard for the docs: `python tools/screenshots.py` (needs a Chromium, no internet).

Starts the TradingView replica with moving prices and the app against it, adds a few tickers, and saves
docs/screenshots/desktop.png (1440x900: with a portfolio and an alert that fired), docs/screenshots/phone.png
(iPhone 13) and docs/screenshots/desktop-dark.png (sorted by change %); then opens a card's chart view (a
click on the card) and saves docs/screenshots/chart-desktop.png, chart-desktop-dark.png and chart-phone.png;
and the Ticker field's suggestions: search-desktop.png (typing "sol") and search-phone-dark.png ("bitcoin",
on a 390x844 phone in the dark theme).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from harness.pages import add_ticker, card  # noqa: E402
from harness.replica_control import ReplicaControl  # noqa: E402
from harness.tool_steps import alert_toasts, set_alert, set_holding, sort_by  # noqa: E402
from launcher.app_process import AppProcess  # noqa: E402
from launcher.chromium import chromium_path  # noqa: E402
from replica import ReplicaServer  # noqa: E402

OUT = ROOT / 'docs' / 'screenshots'
DESKTOP_TICKERS = ['BTCUSD', 'COINBASE:BTCUSD', 'ETHUSD', 'SOLUSD', 'ADAUSD', 'XRPUSD', 'DOGEUSD', 'LINKUSD']
PHONE_TICKERS = ['BTCUSD', 'ETHUSD', 'SOLUSD', 'DOGEUSD']


def fill_dashboard(page: Page, url: str, tickers: list[str]) -> None:
    page.goto(url)
    for ticker in tickers:
        add_ticker(page, ticker)
    for ticker in tickers:
        expect(card(page, ticker)).to_have_attribute('data-status', 'live', timeout=30_000)
    # Let the demo market move once, so the changes and a flash are on the picture.
    page.wait_for_function('document.querySelector("[class*=flash-]") !== null', timeout=15_000)


def open_chart(page: Page, ticker: str) -> None:
    """Click the card, as a person does, and wait until the chart has drawn the symbol's history."""
    card(page, ticker).click()
    page.wait_for_url(f'**/symbol/{ticker}')
    expect(page.locator('.symbol-view')).to_have_attribute('data-status', 'live', timeout=30_000)
    page.wait_for_function('Number(document.querySelector("[data-testid=price-chart]").dataset.points) > 8',
                           timeout=15_000)


def add_portfolio_and_alert(page: Page, replica: ReplicaControl) -> None:
    """Three holdings, and an alert on ETHUSD that the replica's price is then moved across."""
    for symbol, quantity, cost in (('BTCUSD', '0.25', '82,000'), ('ETHUSD', '3', '3,100'), ('SOLUSD', '20', '')):
        set_holding(page, symbol, quantity, cost)
    level = round(replica.price('ETHUSD') * 1.004, 2)
    set_alert(page, 'ETHUSD', above=f'{level:.2f}')
    set_alert(page, 'SOLUSD', below=f'{replica.price("SOLUSD") * 0.9:.2f}')
    replica.set_price('ETHUSD', round(level * 1.002, 2))
    expect(alert_toasts(page, 'ETHUSD')).to_have_count(1)
    page.mouse.move(0, 0)
    # The toast slides in: wait until it is still, as a person sees it.
    page.wait_for_function('!document.getAnimations().some(a => a.effect?.target?.closest?.(".q-notifications"))')


def show_suggestions(page: Page, text: str, down: int = 0) -> None:
    """Type as a person does, wait for the list, move through it with the arrow keys."""
    field = page.get_by_label('Ticker')
    field.click()
    field.press_sequentially(text, delay=60)
    expect(page.get_by_role('listbox', name='Suggestions')).to_be_visible()
    for _ in range(down):
        field.press('ArrowDown')


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    replica = ReplicaServer(tick_interval=1.0)
    replica.start()
    control = ReplicaControl(replica.url)
    with tempfile.TemporaryDirectory() as storage:
        app = AppProcess(replica.url, Path(storage)).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), args=['--no-sandbox'])
                desktop = browser.new_context(viewport={'width': 1440, 'height': 900}, color_scheme='light')
                page = desktop.new_page()
                fill_dashboard(page, app.url, DESKTOP_TICKERS)
                add_portfolio_and_alert(page, control)
                page.screenshot(path=OUT / 'desktop.png')
                page.locator('.alert-toast').get_by_role('button', name='Dismiss').click()
                expect(page.locator('.alert-toast')).to_have_count(0)
                show_suggestions(page, 'sol', down=2)
                page.screenshot(path=OUT / 'search-desktop.png', clip={'x': 0, 'y': 0, 'width': 1440, 'height': 620})
                page.get_by_label('Ticker').press('Escape')
                page.get_by_label('Ticker').fill('')
                sort_by(page, 'Change % (high to low)')
                page.emulate_media(color_scheme='dark')
                page.wait_for_function('document.body.classList.contains("body--dark")')
                page.screenshot(path=OUT / 'desktop-dark.png')
                page.emulate_media(color_scheme='light')
                open_chart(page, 'BTCUSD')
                page.get_by_role('button', name='Candles').click()
                page.screenshot(path=OUT / 'chart-desktop.png')
                page.emulate_media(color_scheme='dark')
                page.wait_for_function('document.body.classList.contains("body--dark")')
                page.screenshot(path=OUT / 'chart-desktop-dark.png')

                device = {k: v for k, v in playwright.devices['iPhone 13'].items() if k != 'default_browser_type'}
                phone = browser.new_context(**device, color_scheme='light').new_page()
                fill_dashboard(phone, app.url, PHONE_TICKERS)
                set_holding(phone, 'BTCUSD', '0.1', '90,000')
                set_holding(phone, 'ETHUSD', '2')
                set_alert(phone, 'SOLUSD', above=f'{control.price("SOLUSD") * 1.1:.2f}')
                phone.evaluate('document.activeElement.blur(); window.scrollTo(0, 0)')  # the bell kept focus
                phone.screenshot(path=OUT / 'phone.png')
                open_chart(phone, 'ETHUSD')
                phone.screenshot(path=OUT / 'chart-phone.png')

                dark_phone = browser.new_context(viewport={'width': 390, 'height': 844}, device_scale_factor=2,
                                                 is_mobile=True, has_touch=True, color_scheme='dark').new_page()
                fill_dashboard(dark_phone, app.url, PHONE_TICKERS + ['XRPUSD', 'ADAUSD'])
                show_suggestions(dark_phone, 'bitcoin', down=1)
                dark_phone.screenshot(path=OUT / 'search-phone-dark.png')
                browser.close()
        except Exception:
            print(app.log_tail(60))
            raise
        finally:
            app.stop()
            replica.stop()
    print(f'saved {", ".join(sorted(p.name for p in OUT.glob("*.png")))} in {OUT.relative_to(ROOT)}')


if __name__ == '__main__':
    os.environ.setdefault('STORAGE_SECRET', 'screenshots')
    main()
