"""One webhook POST, to an address the guard checked, within one deadline, redirects checked again.

The request goes to the checked IP itself, with the URL's host in the Host header and in TLS (httpx's
`sni_hostname` extension), so the certificate is verified for the host while DNS is asked only once.
Connections are not kept alive: a pooled connection is keyed by IP, and two hosts behind one CDN address
could otherwise share a TLS session made for the other. Only a 429's body is read (its wait), at most 4 KiB,
and it is not kept.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from .address_guard import Refused, parse, resolve

TIMEOUT_S = 5.0
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
BODY_READ = 4096
USER_AGENT = 'CryptoTracker-Alerts/1.0'
# httpx logs every request's whole URL at INFO, and a webhook's URL holds its token: only its warnings, please.
logging.getLogger('httpx').setLevel(logging.WARNING)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: Any = None  # a 429's JSON, else None


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT_S, trust_env=False,
                             limits=httpx.Limits(max_keepalive_connections=0))


async def post(http: httpx.AsyncClient, url: str, body: dict[str, Any], allow_private: bool,
               timeout: float = TIMEOUT_S) -> Answer:
    """POST `body` as JSON. Raises Refused (a blocked address, a bad redirect), TimeoutError or httpx errors."""
    async with asyncio.timeout(timeout):
        parts = parse(url)
        for _ in range(MAX_REDIRECTS + 1):
            target = await resolve(parts, allow_private)
            request = http.build_request(
                'POST', target.pinned_url, json=body,
                headers={'Host': target.host_header, 'User-Agent': USER_AGENT},
                extensions={'sni_hostname': target.host} if parts.scheme == 'https' else {})
            response = await http.send(request, stream=True)
            try:
                location = response.headers.get('location')
                if response.status_code in REDIRECTS and location:
                    parts = parse(urljoin(parts.geturl(), location))  # and checked again on the next turn
                    continue
                return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                              await _small_json(response) if response.status_code == 429 else None)
            finally:
                await response.aclose()
        raise Refused(f'The webhook redirected more than {MAX_REDIRECTS} times.')


async def _small_json(response: httpx.Response) -> Any:
    data = b''
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= BODY_READ:
            return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def error_text(error: BaseException) -> str:
    """A network failure in words that never contain the URL (httpx's messages can)."""
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return f'no answer within {TIMEOUT_S:g} s'
    if isinstance(error, httpx.ConnectError):
        return 'could not connect'
    if isinstance(error, httpx.RemoteProtocolError):
        return 'the connection broke off'
    return f'network error ({type(error).__name__})'
