"""When a webhook delivery is tried again, and when it is given up: decisions only, no I/O.

Network errors, timeouts, 5xx and 429 are retried with exponential backoff (1, 2, 4, 8, 16 s), a 429 after the
wait the service asks for (Retry-After in seconds or as an HTTP date, or Discord's and Telegram's
`retry_after` in the body). Any other 4xx means the destination is broken (revoked, deleted, wrong URL):
retrying would not help and, at Discord, invalid requests get the sending address banned; the person is told.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

MAX_ATTEMPTS = 6
BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
LONGEST_WAIT_S = 600.0  # a service asking for a longer pause than this gets the alert marked failed

SENT, RETRY, FAILED = 'sent', 'retry', 'failed'
BROKEN = {400: 'it refused the message as malformed', 401: 'it refused access: the webhook may have been revoked',
          403: 'it refused access: the webhook may have been revoked or the bot removed',
          404: 'it does not exist: check the URL', 410: 'it is gone (a deleted or archived channel)'}


@dataclass(frozen=True)
class Decision:
    outcome: str  # sent | retry | failed
    delay: float = 0.0  # before the next attempt
    reason: str = ''  # for the delivery log, in words
    broken: bool = False  # the destination itself is wrong: the person should fix it


def backoff(attempt: int) -> float:
    """The pause after failed attempt `attempt` (1-based)."""
    return min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1))


def after_response(status: int, attempt: int, headers: Mapping[str, str], body: Any, now: float) -> Decision:
    if 200 <= status < 300:
        return Decision(SENT)
    if status == 429:
        wait = retry_after(headers, body, now)
        if wait is not None and wait > LONGEST_WAIT_S:
            return Decision(FAILED, reason=f'rate-limited for {wait:.0f} s (429): not retried')
        return _again(attempt, 'rate-limited (429)', backoff(attempt) if wait is None else max(wait, 0.0))
    if 500 <= status < 600:
        return _again(attempt, f'the destination failed ({status})', backoff(attempt))
    if 400 <= status < 500:
        what = BROKEN.get(status, 'it refused the message')
        return Decision(FAILED, reason=f'the destination answered {status}: {what}', broken=True)
    return Decision(FAILED, reason=f'unexpected answer ({status})')


def after_error(attempt: int, what: str) -> Decision:
    """A network error or a timeout: `what` says which, without the URL."""
    return _again(attempt, what, backoff(attempt))


def _again(attempt: int, reason: str, delay: float) -> Decision:
    if attempt >= MAX_ATTEMPTS:
        return Decision(FAILED, reason=f'{reason}; gave up after {attempt} attempts')
    return Decision(RETRY, delay, reason)


def retry_after(headers: Mapping[str, str], body: Any, now: float) -> float | None:
    """Seconds the service asks us to wait, from the header or from a JSON body; None when it names none."""
    value = headers.get('retry-after')
    if value is not None:
        value = value.strip()
        try:
            seconds = float(value)
            if math.isfinite(seconds):
                return max(0.0, seconds)
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError, IndexError):
                pass
    if isinstance(body, dict):
        for candidate in (body.get('retry_after'), (body.get('parameters') or {}).get('retry_after')
                          if isinstance(body.get('parameters'), dict) else None):
            if isinstance(candidate, (int, float)) and not isinstance(candidate, bool) and math.isfinite(candidate):
                return max(0.0, float(candidate))
    return None
