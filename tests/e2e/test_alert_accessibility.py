"""axe-core on the alert form as people use it: a webhook and a note filled in, a test refused with its reason,
the API token shown, its delivery log; and the card with its alert line and a webhook's toast. Light and dark,
desktop and phone. Any violation fails, with axe's own words."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness.alert_steps import fill_alert
from harness.pages import add_ticker, expect_live
from harness.tool_steps import (
    alert_line,
    dialog,
    field_error,
)
from tests.e2e import axe
from tests.e2e.test_accessibility import FORMS, check
from tests.replica_client import prices_put_back  # noqa: F401 (an autouse fixture for this module)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize('theme', ['light', 'dark'])
@pytest.mark.parametrize('form', list(FORMS))
def test_the_alert_form_has_no_axe_violations(form, theme, new_context, replica, app_server):
    page = new_context(**FORMS[form], color_scheme=theme).new_page()
    page.goto(app_server.url)
    expect(page.locator('html')).to_have_attribute('data-connection', 'live')
    add_ticker(page, 'BTCUSD')
    expect_live(page, 'BTCUSD')
    found: dict[str, list[dict]] = {}

    alert = fill_alert(page, 'BTCUSD', above=str(round(replica.price('BTCUSD') * 1.05)), move='3', note='take profit',
                       url='http://127.0.0.1:9/private')
    alert.get_by_role('button', name='Send a test').click()  # refused: the app has no --allow-private-webhooks
    expect(field_error(alert, 'Webhook URL')).to_contain_text('loopback')
    alert.get_by_text('For programs: your API token').click()
    alert.get_by_role('button', name='Show token').click()
    expect(alert.get_by_test_id('api-token')).to_contain_text('ct_')
    check(page, 'the alert form, a webhook refused, the token shown', found)

    alert.get_by_label('Webhook URL').fill('')
    alert.get_by_role('button', name='Set alert').click()
    expect(dialog(page)).to_be_hidden()
    expect(alert_line(page, 'BTCUSD')).to_have_attribute('data-alert', 'armed')
    check(page, 'a card with its alerts', found)

    assert not found, '\n'.join(f'--- {state}\n{axe.report(violations)}' for state, violations in found.items())
