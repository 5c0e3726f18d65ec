"""A card's sparkline, name and "updated … ago", from either history source: the page's chart series, or the
quotes alone when the page has none. Each test uses symbols no other test here uses."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from harness.pages import add_ticker, card, expect_live, last_value, spark_points, sparkline
from launcher.processes import wait_until
from market.formatting import format_price

pytestmark = pytest.mark.e2e


def test_the_sparkline_is_there_with_the_first_price_and_the_age_counts_in_the_browser(dashboard: Page, replica):
    replica.series('FILUSD', 'off')  # quotes only: the first price is the first point
    add_ticker(dashboard, 'FILUSD')
    price = replica.price_text('FILUSD')
    expect_live(dashboard, 'FILUSD', price)
    line = sparkline(dashboard, 'FILUSD')
    expect(line).to_be_visible()
    expect(line).to_have_attribute('data-points', '1')
    expect(line).to_have_attribute('aria-label', f'FILUSD on BINANCE, so far: {price}')
    expect(card(dashboard, 'FILUSD').locator('.spark-range')).to_have_text('now')
    # Nothing is sent while the price holds (the replica's motion is off): the page's own clock moves the age.
    updated = card(dashboard, 'FILUSD').locator('.updated')
    expect(updated).to_have_text(re.compile(r'^(just now|[0-2] s ago)$'))
    expect(updated).to_have_text(re.compile(r'^[4-9] s ago$'))


def test_with_the_series_off_the_sparkline_grows_from_the_quotes(dashboard: Page, replica):
    replica.series('NEARUSD', 'off')
    add_ticker(dashboard, 'NEARUSD')
    expect_live(dashboard, 'NEARUSD')
    expect(sparkline(dashboard, 'NEARUSD')).to_have_attribute('data-points', '1')

    replica.tick(0.3)  # the replica moves its prices: the history keeps one a second
    wait_until(lambda: spark_points(dashboard, 'NEARUSD') >= 4, 15, 'four points on the NEARUSD sparkline')
    replica.tick(0)
    final = replica.price('NEARUSD')
    expect_live(dashboard, 'NEARUSD', format_price(final))
    wait_until(lambda: last_value(sparkline(dashboard, 'NEARUSD')) == pytest.approx(final), 5,
               'the sparkline ending at the last price')
    expect(card(dashboard, 'NEARUSD').locator('.spark-range')).to_have_text(re.compile(r'^\d+ s$'))
    assert replica.stats('NEARUSD')['chart_sessions'] == 0  # no series was there to read


def test_with_the_series_the_first_paint_has_its_history_and_a_bar_update_moves_the_last_point(
        dashboard: Page, new_context, replica, app_server):
    add_ticker(dashboard, 'APTUSD')
    expect_live(dashboard, 'APTUSD')
    wait_until(lambda: spark_points(dashboard, 'APTUSD') > 8, 10, 'the series on the APTUSD sparkline')
    expect(card(dashboard, 'APTUSD').locator('.instrument')).to_have_text('Aptos / U.S. Dollar')
    expect(card(dashboard, 'APTUSD').locator('.spark-range')).to_have_text('24h')

    # A second viewer's card is painted with the cached history: many points at once, no waiting.
    other = new_context().new_page()
    other.goto(app_server.url)
    add_ticker(other, 'APTUSD')
    assert spark_points(other, 'APTUSD') > 8

    price_text = card(dashboard, 'APTUSD').locator('.price').inner_text()
    close = round(replica.price('APTUSD') * 1.01, 2)
    replica.bar('APTUSD', close)  # the current bar closes higher; no quote, so the price itself holds
    for page in (dashboard, other):
        wait_until(lambda page=page: last_value(sparkline(page, 'APTUSD')) == pytest.approx(close), 10,
                   'the bar update at the end of the sparkline')
    expect(card(dashboard, 'APTUSD').locator('.price')).to_have_text(price_text)
