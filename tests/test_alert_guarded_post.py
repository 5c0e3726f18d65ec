"""One guarded webhook POST, in-process: where it connects, what it sends as Host and TLS name, and that every
redirect is checked before it is followed. The far end is httpx's MockTransport (no public server is reachable
from here); the decisions under test are ours: the address check, the pinning, the redirect loop."""
from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from alerts.address_guard import Refused
from alerts.guarded_post import post


def client(handler) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)
    return httpx.AsyncClient(transport=httpx.MockTransport(record), follow_redirects=False), seen


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_request_goes_to_the_checked_address_with_the_hosts_name():
    http, seen = client(lambda request: httpx.Response(204))
    answer = run(post(http, 'https://93.184.216.34/hooks/abc', {'a': 1}, allow_private=False))
    assert answer.status == 204
    [request] = seen
    assert request.url.host == '93.184.216.34' and request.headers['host'] == '93.184.216.34'
    assert request.extensions['sni_hostname'] == '93.184.216.34' and json.loads(request.content) == {'a': 1}


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed():
    http, seen = client(lambda request: httpx.Response(307, headers={'location': 'http://169.254.169.254/latest'}))
    with pytest.raises(Refused, match='169.254.169.254 is a link-local address'):
        run(post(http, 'http://93.184.216.34/hook', {}, allow_private=False))
    assert len(seen) == 1  # the metadata address was never asked


def test_a_redirect_to_another_scheme_is_refused():
    http, seen = client(lambda request: httpx.Response(302, headers={'location': 'file:///etc/passwd'}))
    with pytest.raises(Refused, match='Only http'):
        run(post(http, 'http://93.184.216.34/hook', {}, allow_private=False))


def test_a_public_redirect_is_followed_with_the_same_post():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == '/old':
            return httpx.Response(308, headers={'location': 'https://1.1.1.1:8443/new'})
        return httpx.Response(200)
    http, seen = client(answer)
    assert run(post(http, 'http://93.184.216.34/old', {'n': 2}, allow_private=False)).status == 200
    first, second = seen
    assert second.method == 'POST' and json.loads(second.content) == {'n': 2}
    assert second.url.host == '1.1.1.1' and second.headers['host'] == '1.1.1.1:8443'


def test_endless_redirects_end():
    http, seen = client(lambda request: httpx.Response(302, headers={'location': '/again'}))
    with pytest.raises(Refused, match='more than 3 times'):
        run(post(http, 'http://93.184.216.34/hook', {}, allow_private=False))
    assert len(seen) == 4


def test_only_a_429s_body_is_read_for_its_wait():
    http, _ = client(lambda request: httpx.Response(429, json={'retry_after': 2.5}))
    assert run(post(http, 'http://93.184.216.34/hook', {}, allow_private=False)).body == {'retry_after': 2.5}
    http, _ = client(lambda request: httpx.Response(500, json={'secret': 'not kept'}))
    assert run(post(http, 'http://93.184.216.34/hook', {}, allow_private=False)).body is None
