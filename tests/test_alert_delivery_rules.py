"""Decisions of webhook delivery, in-process: which addresses are refused, when a delivery is tried again, what
each format sends, and that a URL is never shown whole."""
from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from alerts import retry, webhooks
from alerts.address_guard import Refused, mask, parse, resolve, why_blocked
from alerts.model import Webhook

BLOCKED = ['127.0.0.1', '127.8.9.10', '::1', '0.0.0.0', '::', '10.1.2.3', '172.16.0.1', '192.168.1.1',
           '169.254.169.254', 'fe80::1', 'fd00::1', 'fc00::5', '100.64.0.1', '100.100.100.200', '224.0.0.1',
           '255.255.255.255', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '2002:7f00:1::',
           '192.0.2.1', '240.0.0.1']
PUBLIC = ['1.1.1.1', '93.184.216.34', '162.159.128.233', '2606:4700::6810:84e5', '::ffff:8.8.8.8']


@pytest.mark.parametrize('address', BLOCKED)
def test_private_and_special_addresses_are_blocked(address):
    assert why_blocked(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize('address', PUBLIC)
def test_public_addresses_pass(address):
    assert why_blocked(ipaddress.ip_address(address)) is None


def test_the_reason_names_the_kind_of_address():
    assert 'loopback' in why_blocked(ipaddress.ip_address('::ffff:127.0.0.1'))
    assert 'metadata' in why_blocked(ipaddress.ip_address('169.254.169.254'))
    assert 'private' in why_blocked(ipaddress.ip_address('192.168.0.10'))


@pytest.mark.parametrize(('url', 'words'), [
    ('ftp://example.com/x', 'Only http:// and https://'), ('file:///etc/passwd', 'Only http:// and https://'),
    ('gopher://example.com', 'Only http'), ('https:///nohost', 'no host'), ('', 'Enter the webhook URL'),
    ('https://exa mple.com/', 'no spaces'), ('https://example.com:99999/', 'not a URL'),
    ('https://example.com/' + 'a' * 3000, 'at most 2048'),
])
def test_urls_that_are_not_plain_http_are_refused(url, words):
    with pytest.raises(Refused, match=words):
        parse(url)


def test_names_are_checked_after_resolution_and_the_message_hides_the_url():
    secret = 'http://localhost:9/hooks/SECRET-TOKEN'
    with pytest.raises(Refused) as refused:
        asyncio.run(resolve(parse(secret), allow_private=False))
    text = str(refused.value)
    assert 'localhost resolves to' in text and 'loopback' in text and '--allow-private-webhooks' in text
    assert 'SECRET' not in text
    target = asyncio.run(resolve(parse(secret), allow_private=True))
    assert target.address in ('127.0.0.1', '::1') and target.host_header == 'localhost:9'
    assert 'SECRET-TOKEN' in target.pinned_url and 'localhost' not in target.pinned_url


def test_a_literal_address_is_refused_with_its_reason():
    with pytest.raises(Refused, match=r'169\.254\.169\.254 is a link-local address'):
        asyncio.run(resolve(parse('http://169.254.169.254/latest/meta-data'), allow_private=False))


def test_a_name_that_does_not_resolve_says_so():
    with pytest.raises(Refused, match='does not resolve'):
        asyncio.run(resolve(parse('https://no-such-host.invalid/x'), allow_private=False))


def test_masked_urls_keep_the_host_and_hide_the_token():
    url = 'https://discord.com/api/webhooks/1234567890/abcdefSECRETtokenWXYZ'
    assert mask(url) == 'https://discord.com/…WXYZ'
    assert 'SECRET' not in mask('https://api.telegram.org/bot123:SECRETSECRETSECRETSECRET/sendMessage')
    assert mask('http://127.0.0.1:8080/x') == 'http://127.0.0.1:8080/…'


# --- retries --------------------------------------------------------------------------------------------------

def test_success_is_sent():
    assert retry.after_response(204, 1, {}, None, 0).outcome == retry.SENT


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_server_errors_are_retried_with_growing_waits(status):
    delays = [retry.after_response(status, attempt, {}, None, 0).delay for attempt in range(1, 6)]
    assert delays == [1, 2, 4, 8, 16]
    last = retry.after_response(status, retry.MAX_ATTEMPTS, {}, None, 0)
    assert last.outcome == retry.FAILED and 'gave up' in last.reason and not last.broken


@pytest.mark.parametrize('status', [400, 401, 403, 404, 410, 422])
def test_other_client_errors_are_not_retried_and_mean_the_destination_is_broken(status):
    decision = retry.after_response(status, 1, {}, None, 0)
    assert decision.outcome == retry.FAILED and decision.broken and str(status) in decision.reason


def test_a_429_waits_as_long_as_the_service_asks():
    assert retry.after_response(429, 1, {'retry-after': '7'}, None, 0).delay == 7
    later = datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC)
    now = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    assert retry.after_response(429, 1, {'retry-after': format_datetime(later, usegmt=True)}, None, now).delay == 30
    # Discord's body (seconds from API v10 on), Telegram's parameters.retry_after, and none at all
    assert retry.after_response(429, 1, {}, {'retry_after': 1.5, 'global': False}, 0).delay == 1.5
    assert retry.after_response(429, 1, {}, {'ok': False, 'parameters': {'retry_after': 12}}, 0).delay == 12
    assert retry.after_response(429, 3, {}, None, 0).delay == 4
    too_long = retry.after_response(429, 1, {'retry-after': '3600'}, None, 0)
    assert too_long.outcome == retry.FAILED and not too_long.broken


def test_network_errors_are_retried():
    decision = retry.after_error(1, 'no answer within 5 s')
    assert decision.outcome == retry.RETRY and decision.delay == 1
    assert retry.after_error(retry.MAX_ATTEMPTS, 'could not connect').outcome == retry.FAILED


# --- formats ----------------------------------------------------------------------------------------------------

MESSAGE = webhooks.Message('BINANCE:BTCUSD', 'above', 98100.0, 98123.45, 1767225600.5, '@everyone <!channel> buy',
                           'BTCUSD on BINANCE rose above 98,100.00: now 98,123.45')


def test_plain_json_carries_the_alerts_fields():
    body = webhooks.body(Webhook('https://example.com/h'), MESSAGE)
    assert body == {'symbol': 'BINANCE:BTCUSD', 'exchange': 'BINANCE', 'condition': 'above', 'level': 98100.0,
                    'price': 98123.45, 'time': '2026-01-01T00:00:00.500+00:00', 'note': '@everyone <!channel> buy'}


def test_discord_gets_v10_content_and_no_mentions():
    hook = Webhook('https://discord.com/api/webhooks/123/abc', 'discord')
    assert webhooks.request_url(hook) == 'https://discord.com/api/v10/webhooks/123/abc'
    assert webhooks.request_url(Webhook('http://127.0.0.1:5/api/webhooks/1/a', 'discord')).endswith('/api/webhooks/1/a')
    body = webhooks.body(hook, MESSAGE)
    assert body['allowed_mentions'] == {'parse': []} and body['content'].startswith('BTCUSD on BINANCE rose above')
    assert 'Note: @everyone' in body['content']
    long = webhooks.body(hook, webhooks.Message('B:X', 'above', 1, 2, 0, 'n' * 5000, 'x'))
    assert len(long['content']) == 2000


def test_slack_text_is_escaped():
    body = webhooks.body(Webhook('https://hooks.slack.com/services/T/B/x', 'slack'), MESSAGE)
    assert body == {'text': 'BTCUSD on BINANCE rose above 98,100.00: now 98,123.45\n'
                            'Note: @everyone &lt;!channel&gt; buy'}


def test_telegram_is_a_bot_token_and_a_chat():
    hook = webhooks.telegram_webhook('123456789:AAEabcdefghijklmnopqrstuvwxyz_-', '-1001234567890')
    assert hook.url == 'https://api.telegram.org/bot123456789:AAEabcdefghijklmnopqrstuvwxyz_-/sendMessage'
    body = webhooks.body(hook, MESSAGE)
    assert body['chat_id'] == '-1001234567890' and 'parse_mode' not in body
    webhooks.check(hook)
    with pytest.raises(ValueError, match='bot token'):
        webhooks.telegram_webhook('not a token', '1')
    with pytest.raises(ValueError, match='chat id'):
        webhooks.telegram_webhook('123456789:AAEabcdefghijklmnopqrstuvwxyz_-', 'x y')
