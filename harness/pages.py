"""What a person does on the dashboard, as Playwright steps."""
from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def ticker_input(page: Page) -> Locator:
    return page.get_by_label('Ticker')


def add(page: Page, text: str, *, press_enter: bool = True) -> None:
    field = ticker_input(page)
    field.fill(text)
    if press_enter:
        field.press('Enter')
    else:
        page.get_by_role('button', name='Add', exact=True).click()


def add_ticker(page: Page, text: str) -> None:
    """Add a ticker that is accepted, and wait until the page is ready for the next one."""
    add(page, text)
    expect(card(page, text.strip())).to_be_visible()
    # The server clears the field after a successful add; typing on before that lands would be lost.
    expect(ticker_input(page)).to_have_value('')


def card(page: Page, symbol: str) -> Locator:
    """The card of `EXCHANGE:TICKER`; a bare ticker means the app's default exchange, BINANCE."""
    return page.locator(f'[data-symbol="{qualified(symbol)}"]')


def qualified(symbol: str) -> str:
    """'btcusd' -> 'BINANCE:BTCUSD', as the app names a ticker typed without its exchange."""
    return symbol.upper() if ':' in symbol else f'BINANCE:{symbol.upper()}'


def field_message(page: Page) -> Locator:
    return page.locator('.add-form [role="alert"]')


def shown_symbols(page: Page) -> list[str]:
    return page.locator('[data-symbol]').evaluate_all('cards => cards.map(card => card.dataset.symbol)')


def expect_live(page: Page, symbol: str, price_text: str | None = None) -> None:
    expect(card(page, symbol)).to_have_attribute('data-status', 'live')
    if price_text is not None:
        expect(card(page, symbol).locator('.price')).to_have_text(price_text)


def expect_field_message(page: Page, text: str) -> None:
    # Quasar fades the old message out while the new one fades in: wait until only the new one is left.
    expect(field_message(page)).to_have_text([text])


def sparkline(page: Page, symbol: str) -> Locator:
    return card(page, symbol).get_by_test_id('sparkline')


def spark_points(page: Page, symbol: str) -> int:
    """How many points the card's sparkline draws (0 when it draws none)."""
    line = sparkline(page, symbol)
    return int(line.get_attribute('data-points') or 0) if line.count() else 0


def last_value(chart_or_sparkline: Locator) -> float:
    """The newest value a sparkline or chart draws: its label ends 'so far: X' or 'from A to X', or names
    X before ', high …' (a chart)."""
    label = chart_or_sparkline.get_attribute('aria-label') or ''
    return float(label.split(', high ')[0].rsplit(' ', 1)[1].replace(',', ''))
