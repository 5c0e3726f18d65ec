"""`GET/POST /api/alerts`, `GET/DELETE /api/alerts/{id}`: a browser's alerts for programs.

A program acts as one browser with that browser's API token (shown and replaced in the alert form) in
`Authorization: Bearer …`. Every problem is answered with a status and a JSON `{"error": ...}` saying what to
change: 400 for a bad alert, 401 for a missing or unknown token, 404 for an alert that is not this browser's,
409 when the server watches as many symbols as it may. Webhook URLs come back masked.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from nicegui import app
from pydantic import BaseModel, Field

from alerts.conditions import BadAlert, check_level
from alerts.reading import alert_to_json, spec_from_json
from alerts.service import AlertService
from alerts.store import StoreDown
from cryptoui.programs.api import ApiError
from prices import PriceSource, TooManySymbols
from settings import Settings

MAX_PER_BROWSER = 200
MAX_BODY = 16 * 1024
TAG = 'alerts'
UNAUTHORIZED = 'Send "Authorization: Bearer TOKEN" with this browser\'s API token (the alert form, "For programs").'
BEARER = HTTPBearer(auto_error=False, description="The browser's API token")
Credentials = HTTPAuthorizationCredentials | None
REQUEST_SCHEMA = {
    'type': 'object', 'required': ['symbol', 'condition'],
    'properties': {
        'symbol': {'type': 'string', 'example': 'BTCUSD', 'description': '`EXCHANGE:TICKER` or a bare ticker'},
        'condition': {'type': 'object', 'required': ['kind'], 'description':
                      'A level: `{"kind": "above"|"below", "level": 98100}`; a move: `{"kind": "move", "percent": 5, '
                      '"direction": "up"|"down"|"either", "window_s": 300|3600|86400}`',
                      'properties': {'kind': {'type': 'string', 'enum': ['above', 'below', 'move']},
                                     'level': {'type': 'number'}, 'percent': {'type': 'number'},
                                     'direction': {'type': 'string', 'enum': ['up', 'down', 'either']},
                                     'window_s': {'type': 'integer', 'enum': [300, 3600, 86400]}}},
        'repeat': {'type': 'string', 'enum': ['once', 'every'], 'default': 'once'},
        'cooldown_s': {'type': 'number', 'default': 300, 'minimum': 5, 'maximum': 604800,
                       'description': "with 'every': the least time between two firings"},
        'note': {'type': 'string', 'maxLength': 200, 'default': ''},
        'webhook': {'type': 'object', 'nullable': True, 'description':
                    '`{"format": "json"|"discord"|"slack", "url": "https://..."}` or '
                    '`{"format": "telegram", "token": "123:AA...", "chat_id": "-100..."}`',
                    'properties': {'format': {'type': 'string', 'enum': ['json', 'discord', 'slack', 'telegram']},
                                   'url': {'type': 'string'}, 'token': {'type': 'string'},
                                   'chat_id': {'type': 'string'}}},
    },
    'example': {'symbol': 'BTCUSD', 'condition': {'kind': 'above', 'level': 100000}, 'repeat': 'once',
                'note': 'take profit', 'webhook': {'format': 'discord',
                                                   'url': 'https://discord.com/api/webhooks/ID/TOKEN'}},
}


class AlertOut(BaseModel):
    """One alert as programs read it."""
    id: str
    symbol: str = Field(examples=['BINANCE:BTCUSD'])
    exchange: str
    condition: dict[str, Any] = Field(examples=[{'kind': 'above', 'level': 100000}])
    repeat: str = Field(description="'once' or 'every'")
    cooldown_s: float
    note: str
    webhook: dict[str, Any] | None = Field(description='format, the URL masked, chat_id')
    state: str = Field(description="'armed', or 'fired' for a 'once' alert that fired")
    firings: int
    fired_at: float | None
    fired_price: float | None
    created_at: float


class AlertList(BaseModel):
    alerts: list[AlertOut]


def _error(message: str, status: int) -> JSONResponse:
    headers = {'WWW-Authenticate': 'Bearer'} if status == 401 else None
    return JSONResponse({'error': message}, status_code=status, headers=headers)


def register(service: AlertService, engine: PriceSource, settings: Settings) -> None:
    # The store (the cluster's Valkey) away: every route says so with a 503, whichever call found out.
    app.add_exception_handler(StoreDown, lambda _request, error: _error(str(error), 503))

    async def owner(credentials: Credentials) -> str | None:
        if credentials is None or not credentials.credentials.strip():
            return None
        return await service.store.owner_of(credentials.credentials.strip())

    # FastAPI's `responses` is keyed by int or str: a dict of ints alone would not unpack into it.
    errors: dict[int | str, dict[str, Any]] = {401: {'model': ApiError,
                                                      'description': 'No token, or not a current one'}}

    @app.get('/api/alerts', tags=[TAG], summary="This browser's alerts",
             responses={200: {'model': AlertList}, **errors})
    async def list_alerts(credentials: Credentials = Depends(BEARER)) -> JSONResponse:
        if (browser := await owner(credentials)) is None:
            return _error(UNAUTHORIZED, 401)
        return JSONResponse({'alerts': [alert_to_json(alert) for alert in service.of_owner(browser)]})

    @app.post('/api/alerts', tags=[TAG], summary='Set an alert', status_code=201,
              openapi_extra={'requestBody': {'required': True,
                                                     'content': {'application/json': {'schema': REQUEST_SCHEMA}}}},
              responses={201: {'model': AlertOut}, 400: {'model': ApiError, 'description': 'What to change'},
                         409: {'model': ApiError, 'description': 'The server watches all the symbols it may'},
                         **errors})
    async def create_alert(request: Request, credentials: Credentials = Depends(BEARER)) -> JSONResponse:
        """The server watches it from now on, with or without a page open, and holds its symbol."""
        if (browser := await owner(credentials)) is None:
            return _error(UNAUTHORIZED, 401)
        raw = await request.body()
        try:
            if len(raw) > MAX_BODY:
                raise BadAlert('body', f'The body is larger than {MAX_BODY // 1024} KiB.')
            try:
                data = json.loads(raw)
            except ValueError:
                raise BadAlert('body', 'The body is not JSON.') from None
            spec = spec_from_json(data, settings.exchange)
            entry = engine.entry(spec.symbol)
            if problem := check_level(spec.condition.kind, spec.condition.level, entry.price if entry else None):
                raise BadAlert('level', problem)
            if spec.webhook is not None and (problem := await service.address_problem(spec.webhook)):
                raise BadAlert('webhook', problem)
            if len(service.of_owner(browser)) >= MAX_PER_BROWSER:
                raise BadAlert('body', f'A browser has at most {MAX_PER_BROWSER} alerts: remove one first.')
        except BadAlert as error:
            return _error(str(error), 400)
        try:
            alert = await service.save(browser, spec)
        except TooManySymbols as error:
            return _error(str(error), 409)
        except StoreDown as error:
            return _error(str(error), 503)
        return JSONResponse(alert_to_json(alert), status_code=201)

    @app.get('/api/alerts/{alert_id}', tags=[TAG], summary='One alert and its delivery log',
             responses={404: {'model': ApiError}, **errors})
    async def get_alert(alert_id: str, credentials: Credentials = Depends(BEARER)) -> JSONResponse:
        """The alert, and `deliveries`: its webhook's last attempts, newest first (never a response body)."""
        if (browser := await owner(credentials)) is None:
            return _error(UNAUTHORIZED, 401)
        alert = service.alerts.get(alert_id)
        if alert is None or alert.owner != browser:
            return _error('No such alert in this browser.', 404)
        deliveries = [entry.as_dict() for entry in await service.log_of(browser, alert_id)]
        return JSONResponse({**alert_to_json(alert), 'deliveries': deliveries})

    @app.delete('/api/alerts/{alert_id}', tags=[TAG], summary='Remove an alert', status_code=204,
                responses={404: {'model': ApiError}, **errors})
    async def delete_alert(alert_id: str, credentials: Credentials = Depends(BEARER)) -> Response:
        if (browser := await owner(credentials)) is None:
            return _error(UNAUTHORIZED, 401)
        if not await service.delete(browser, alert_id):
            return _error('No such alert in this browser.', 404)
        return Response(status_code=204)
