"""The bell's form read as a person would check it (cryptoui/pages/alert_reading.py), in-process: each field's
problem in the words shown under it, or the alerts the form means. The browser tests (e2e/test_alerts.py,
test_alert_webhooks.py) show these messages land under the right fields; these go through the cases."""
from __future__ import annotations

import pytest

from alerts.model import ABOVE, BELOW, DOWN, EITHER, MOVE, NOTE_LENGTH, UP, AlertSpec, Condition, Webhook
from cryptoui.pages.alert_form import near
from cryptoui.pages.alert_reading import FormValues, Kept, read_levels, read_webhook, specs

PRICE = 97_000.0
HIGHER = 'The price is already 97,000.00: enter a higher level.'
LOWER = 'The price is already 97,000.00: enter a lower level.'
NONE_GIVEN = 'Enter a level above or below the price (or both).'
BAD_MOVE = 'Enter a move between 0.01 and 1000 %.'
TOKEN = '123456789:AAE_abcdefghijklmnopqrstuvwxyz0123'
TOKEN_PROBLEM = 'A bot token looks like 123456789:AAE…, as @BotFather gave it.'
CHAT_PROBLEM = 'A chat id is a number (like -1001234567890) or a channel name like @mychannel.'


def levels(price: float | None = PRICE, **typed: str) -> tuple[dict[str, float], dict[str, str]]:
    return read_levels(FormValues(**typed), price)


@pytest.mark.parametrize(('typed', 'numbers'), [
    ({'above': '98,100.50'}, {ABOVE: 98100.5}),
    ({'below': '96100'}, {BELOW: 96100.0}),
    ({'above': '98100', 'below': '96,100'}, {ABOVE: 98100.0, BELOW: 96100.0}),
    ({'move': '5'}, {MOVE: 5.0}),  # a move alone is an alert too
    ({'above': ' 98100 ', 'move': '2.5'}, {ABOVE: 98100.0, MOVE: 2.5}),
    ({'move': '0.01'}, {MOVE: 0.01}), ({'move': '1000'}, {MOVE: 1000.0}),  # the bounds are allowed
])
def test_levels_on_the_far_side_of_the_price_are_read_as_numbers(typed, numbers):
    assert levels(**typed) == (numbers, {})


def test_an_empty_form_asks_for_a_level_under_above():
    assert levels() == ({}, {ABOVE: NONE_GIVEN})
    assert levels(above='  ', below='', move='\t') == ({}, {ABOVE: NONE_GIVEN})


@pytest.mark.parametrize(('typed', 'problems'), [
    ({'above': '96000'}, {ABOVE: HIGHER}),
    ({'above': '97000'}, {ABOVE: HIGHER}),  # at the price: it has happened already
    ({'below': '98000'}, {BELOW: LOWER}),
    ({'below': '97,000.00'}, {BELOW: LOWER}),
    ({'move': '0.001'}, {MOVE: BAD_MOVE}),
    ({'move': '1000.5'}, {MOVE: BAD_MOVE}),
])
def test_a_level_that_has_already_happened_or_a_move_out_of_range_is_refused_under_its_field(typed, problems):
    assert levels(**typed)[1] == problems


def test_above_must_be_higher_than_below_even_before_there_is_a_price():
    assert levels(None, above='100', below='100')[1] == {ABOVE: 'Above must be higher than Below.'}
    assert levels(None, above='90', below='100')[1] == {ABOVE: 'Above must be higher than Below.'}
    assert levels(None, above='100', below='90') == ({ABOVE: 100.0, BELOW: 90.0}, {})


def test_without_a_price_any_level_is_taken():
    """No price yet (connecting): nothing to compare with, so neither side is refused."""
    assert levels(None, above='1', below='0.5') == ({ABOVE: 1.0, BELOW: 0.5}, {})


def test_every_field_that_does_not_read_says_so_at_once_and_the_rest_are_kept():
    numbers, problems = levels(above='abc', below='-5', move='1,5')
    assert numbers == {}
    assert problems == {ABOVE: 'Enter a number, like 1250.5 or 1,250.50.', BELOW: 'Enter a number greater than 0.',
                        MOVE: 'Enter a number, like 1250.5 or 1,250.50.'}
    numbers, problems = levels(above='98100', below='0')
    assert numbers == {ABOVE: 98100.0} and problems == {BELOW: 'Enter a number greater than 0.'}


@pytest.mark.parametrize('typed', ['nan', 'inf', '1e400', '9' * 31])
def test_no_level_that_is_not_a_finite_number_gets_through(typed):
    numbers, problems = levels(above=typed)
    assert ABOVE in problems and not numbers


# --- the webhook -------------------------------------------------------------------------------------------------

def test_no_url_means_no_webhook():
    assert read_webhook(FormValues(url='  '), Kept()) == (None, {})
    assert read_webhook(FormValues(format='telegram'), Kept()) == (None, {})


@pytest.mark.parametrize('kind', ['json', 'discord', 'slack'])
def test_a_url_is_read_as_typed_with_its_format(kind):
    assert read_webhook(FormValues(url=' https://hooks.example.com/t/abc ', format=kind), Kept()) == \
        (Webhook('https://hooks.example.com/t/abc', kind), {})


@pytest.mark.parametrize(('url', 'problem'), [
    ('ftp://example.com/x', 'Only http:// and https:// webhooks are sent.'),
    ('javascript:alert(1)', 'Only http:// and https:// webhooks are sent.'),
    ('https://', 'The URL has no host: it should look like https://example.com/hook.'),
    ('https://exa mple.com/x', 'A webhook URL has no spaces or control characters.'),
    ('https://example.com:99999/x', 'That is not a URL: it should look like https://example.com/hook.'),
    ('https://example.com:0/x', 'The URL names port 0.'),
    ('https://example.com/' + 'a' * 2100, 'A webhook URL has at most 2048 characters.'),
])
def test_a_url_that_cannot_be_sent_to_is_refused_under_the_url(url, problem):
    """The messages name what is wrong, never the URL (a secret): each is pinned whole."""
    assert read_webhook(FormValues(url=url), Kept()) == (None, {'url': problem})


def test_an_unknown_format_is_refused():
    webhook, problems = read_webhook(FormValues(url='https://example.com/x', format='xml'), Kept())
    assert webhook is None
    assert problems == {'url': 'Choose a webhook format: Plain JSON, Discord, Slack, Telegram bot.'}


def test_a_kept_webhook_shown_masked_and_left_unchanged_keeps_its_secret_url():
    secret = Webhook('https://discord.com/api/webhooks/123/secret-token-abcd', 'discord')
    kept = Kept(secret, 'https://discord.com/…abcd')
    assert read_webhook(FormValues(url='https://discord.com/…abcd', format='discord'), kept) == (secret, {})
    # the format changed, the URL left as shown: the same secret URL in the new format
    assert read_webhook(FormValues(url='https://discord.com/…abcd', format='json'), kept) == \
        (Webhook(secret.url, 'json'), {})
    # a new URL typed: that one
    assert read_webhook(FormValues(url='https://example.com/new', format='discord'), kept) == \
        (Webhook('https://example.com/new', 'discord'), {})


def test_a_telegram_bot_is_its_token_and_chat():
    webhook, problems = read_webhook(FormValues(format='telegram', token=f' {TOKEN} ', chat_id=' -1001234567890 '),
                                     Kept())
    assert problems == {}
    assert webhook == Webhook(f'https://api.telegram.org/bot{TOKEN}/sendMessage', 'telegram', '-1001234567890')
    assert read_webhook(FormValues(format='telegram', token=TOKEN, chat_id='@my_channel'), Kept())[0] == \
        Webhook(f'https://api.telegram.org/bot{TOKEN}/sendMessage', 'telegram', '@my_channel')


@pytest.mark.parametrize(('token', 'chat', 'problems'), [
    ('', '12345', {'token': TOKEN_PROBLEM}),
    ('123456789', '12345', {'token': TOKEN_PROBLEM}),
    ('abc:AAE_abcdefghijklmnopqrstuvwxyz0123', '12345', {'token': TOKEN_PROBLEM}),
    ('123:short', '12345', {'token': TOKEN_PROBLEM}),
    ('123456789:AAE_abcdefghij/../../x/yz0123', '12345', {'token': TOKEN_PROBLEM}),  # nothing may reach the path
    ('١٢٣٤٥٦٧٨٩:AAE_abcdefghijklmnopqrstuvwxyz0123', '12345', {'token': TOKEN_PROBLEM}),  # Arabic-Indic digits
    (TOKEN, '', {'chat_id': CHAT_PROBLEM}),
    (TOKEN, '@abc', {'chat_id': CHAT_PROBLEM}),  # channel names have 5 or more characters
    (TOKEN, '12 34', {'chat_id': CHAT_PROBLEM}),
    (TOKEN, '-١٠٠١٢٣', {'chat_id': CHAT_PROBLEM}),
    (TOKEN, '１２３４５', {'chat_id': CHAT_PROBLEM}),  # full-width digits
])
def test_a_telegram_field_that_does_not_read_is_refused_under_that_field(token, chat, problems):
    """Digits of other scripts were taken by \\d before: a URL Telegram never answers, with no message."""
    assert read_webhook(FormValues(format='telegram', token=token, chat_id=chat), Kept()) == (None, problems)


def test_a_kept_telegram_token_shown_masked_stays_when_only_the_chat_changes():
    kept_hook = Webhook(f'https://api.telegram.org/bot{TOKEN}/sendMessage', 'telegram', '111')
    kept = Kept(kept_hook, shown_token='123456789:…0123')
    webhook, problems = read_webhook(FormValues(format='telegram', token='123456789:…0123', chat_id='222'), kept)
    assert problems == {} and webhook == Webhook(kept_hook.url, 'telegram', '222')


# --- what is set ---------------------------------------------------------------------------------------------------

def test_one_alert_per_kind_given_sharing_how_often_the_note_and_the_webhook():
    hook = Webhook('https://example.com/h')
    values = FormValues(move='3', direction=UP, window=300, repeat=True, cooldown=900, note='  buy more  ')
    made = specs('BINANCE:BTCUSD', values, {ABOVE: 98100.0, MOVE: 3.0}, hook)
    assert made == {
        ABOVE: AlertSpec('BINANCE:BTCUSD', Condition(ABOVE, 98100.0), True, 900.0, 'buy more', hook),
        MOVE: AlertSpec('BINANCE:BTCUSD', Condition(MOVE, 3.0, UP, 300), True, 900.0, 'buy more', hook),
    }


def test_choices_the_form_never_offers_fall_back_to_its_defaults():
    """A select's value comes from the browser: one the form does not offer is not taken as given."""
    values = FormValues(direction='sideways', window=7, cooldown=1, note='x' * (NOTE_LENGTH + 50))
    made = specs('BINANCE:BTCUSD', values, {MOVE: 2.0}, None)[MOVE]
    assert made.condition == Condition(MOVE, 2.0, EITHER, 3600)
    assert made.cooldown == 300.0 and made.note == 'x' * NOTE_LENGTH and made.webhook is None
    assert specs('X:Y', FormValues(direction=DOWN, window=86400), {MOVE: 2.0}, None)[MOVE].condition == \
        Condition(MOVE, 2.0, DOWN, 86400)


# --- the prefilled levels --------------------------------------------------------------------------------------------

def test_the_prefilled_levels_are_round_and_about_one_percent_away():
    assert (near(97123.45, ABOVE), near(97123.45, BELOW)) == ('98100', '96100')
    assert (near(0.4512, ABOVE), near(0.4512, BELOW)) == ('0.456', '0.446')


@pytest.mark.parametrize('price', [97123.45, 3456.7, 100.0, 1.0, 0.999, 0.4512, 0.00001234, 0.0000012345, 1e-9,
                                   999_999_999.0])
def test_a_prefilled_level_is_accepted_as_it_stands(price):
    """Opening the bell and pressing Set at once must set an alert, not show a problem."""
    above, below = near(price, ABOVE), near(price, BELOW)
    numbers, problems = read_levels(FormValues(above=above, below=below), price)
    assert problems == {}
    # 1 % away, then outwards to a round step of at most 1 % of the price
    assert price < numbers[ABOVE] <= price * 1.03 and price * 0.97 <= numbers[BELOW] < price
