"""Where a webhook may go: http or https, to public addresses only, checked after DNS resolution.

As GitLab's url_blocker does: resolve the host, unwrap IPv4-mapped IPv6, refuse loopback, unspecified,
private, unique-local, link-local (where cloud metadata lives: 169.254.169.254), shared CGNAT space,
multicast and reserved addresses; then connect to the address that was checked (delivery.py pins it, keeping
the host name for TLS), so DNS cannot answer differently between the check and the connection. Every
redirect is checked the same way. `--allow-private-webhooks` lets the tests reach their local receiver.

A webhook URL is a secret (the token is in its path): messages here name the host, never the URL.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_HINT = 'webhooks may only reach public addresses (the server can allow others with --allow-private-webhooks)'


class Refused(ValueError):
    """`str(error)` says why, in words for the person who gave the URL; it never contains the URL."""


class Unresolvable(Refused):
    """The host has no address now: maybe a typo, maybe DNS is down (not a reason to refuse keeping it)."""


@dataclass(frozen=True)
class Target:
    """A URL that passed, and the address it was checked at: the connection goes there."""
    url: SplitResult
    host: str  # as written, for the Host header and TLS
    port: int
    address: str  # the IP that was checked

    @property
    def pinned_url(self) -> str:
        literal = f'[{self.address}]' if ':' in self.address else self.address
        return self.url._replace(netloc=f'{literal}:{self.port}').geturl()

    @property
    def host_header(self) -> str:
        default = 443 if self.url.scheme == 'https' else 80
        host = f'[{self.host}]' if ':' in self.host else self.host
        return host if self.port == default else f'{host}:{self.port}'


def parse(url: str) -> SplitResult:
    """The URL's parts, or Refused for anything that is not a plain http(s) URL with a host."""
    if not isinstance(url, str) or not url.strip():
        raise Refused('Enter the webhook URL, starting with https://.')
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f'A webhook URL has at most {MAX_URL_LENGTH} characters.')
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise Refused('A webhook URL has no spaces or control characters.')
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused('That is not a URL: it should look like https://example.com/hook.') from None
    if parts.scheme not in ('http', 'https'):
        raise Refused('Only http:// and https:// webhooks are sent.')
    if not parts.hostname:
        raise Refused('The URL has no host: it should look like https://example.com/hook.')
    if port == 0:
        raise Refused('The URL names port 0.')
    return parts


def why_blocked(address: Address) -> str | None:
    """Why a connection to `address` is refused, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 is 127.0.0.1 (older Pythons call it not loopback), and 6to4/Teredo wrap IPv4 too.
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is not None:
            return why_blocked(inner)
    if address.is_loopback:
        return 'a loopback address (this machine)'
    if address.is_unspecified:
        return 'the unspecified address'
    if address.is_link_local:
        return 'a link-local address (where cloud metadata services live)'
    if address.is_multicast:
        return 'a multicast address'
    if isinstance(address, ipaddress.IPv4Address) and address in ipaddress.IPv4Network('100.64.0.0/10'):
        return 'a shared (carrier-grade NAT) address'
    if address.is_private:
        return 'a private network address'
    if address.is_reserved or not address.is_global:
        return 'a reserved address'
    return None


async def resolve(parts: SplitResult, allow_private: bool) -> Target:
    """Resolve the URL's host and check every address it has; Refused names the host and the reason."""
    host = parts.hostname or ''
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise Unresolvable(f'{host} does not resolve to an address: check the host name.') from None
        # info[4] is (host, port, ...): its host a str for the IPv4 and IPv6 families getaddrinfo answers with here
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split('%')[0]) for info in infos))
        if not addresses:
            raise Unresolvable(f'{host} does not resolve to an address: check the host name.')
    if not allow_private:
        for address in addresses:
            if reason := why_blocked(address):
                named = host if literal is not None else f'{host} resolves to {address}, which'
                raise Refused(f'Refused: {named} is {reason}; {ALLOW_HINT}.')
    return Target(parts, host, port, str(addresses[0]))


async def problem(url: str, allow_private: bool) -> str | None:
    """Why a webhook may not be kept, or None. A host that does not resolve now may be kept: every delivery
    resolves and checks it again (DNS may be down for a moment; refusing then would only annoy)."""
    try:
        await resolve(parse(url), allow_private)
    except Unresolvable:
        return None
    except Refused as refused:
        return str(refused)
    return None


def mask(url: str) -> str:
    """'https://discord.com/api/webhooks/123/abcdef' -> 'https://discord.com/…cdef': enough to recognise it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ''
        port = f':{parts.port}' if parts.port else ''
    except ValueError:
        return '…'
    rest = url.rstrip('/')[-4:] if len(url) > len(f'{parts.scheme}://{host}{port}') + 8 else ''
    return f'{parts.scheme}://{host}{port}/…{rest}'
