"""HTML of the symbol page, the not-found page, error pages and the landing page.

The symbol page keeps the real one's traps: hashed class names, a hidden duplicate header with a stale
price, an EMPTY visible price that only the page's JS fills, decoy numbers everywhere, and overlays.
"""
from __future__ import annotations

import json
import random
import string
from html import escape

from .formatting import NNBSP, change_text, compact, lp_time_text, percent_text, price_text
from .series import HISTORY, RESOLUTION
from .state import SymbolState

HASHED = ('last', 'growing', 'falling', 'title', 'up', 'down', 'currency', 'lastContainer', 'changeContainer',
          'lpTime', 'headerTicker', 'statusButton', 'statusIcon', 'symbolRow', 'relatedItem', 'relatedLast',
          'relatedChange', 'keyStats', 'perfTable', 'cookieBanner', 'newsStrip', 'wrapper')
FONT_URL = '/static/fonts/trebuchet-tv.woff2'
QUOTE_FIELDS = ['base-currency-logoid', 'ch', 'chp', 'currency-logoid', 'currency_code', 'current_session',
                'description', 'exchange', 'format', 'fractional', 'is_tradable', 'language', 'local_description',
                'logoid', 'lp', 'lp_time', 'minmov', 'minmove2', 'original_name', 'pricescale', 'pro_name',
                'short_name', 'type', 'update_mode', 'volume', 'bid', 'ask', 'high_price', 'low_price',
                'open_price', 'prev_close_price']


def make_hashes(rng: random.Random) -> dict[str, str]:
    """`last` -> `last-Xa81kQ2z`: new suffixes each server start, like a TradingView release."""
    alphabet = string.ascii_letters + string.digits + '_'
    return {key: f'{key}-' + ''.join(rng.choice(alphabet) for _ in range(8)) for key in HASHED}


_STYLE = """
@font-face { font-family: 'Trebuchet TV'; src: url('%(font)s') format('woff2'); font-display: swap; }
body { font-family: 'Trebuchet TV', -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0; color: #131722; }
.i-hidden { display: none !important; }
.tv-header { display: flex; align-items: center; gap: 16px; padding: 8px 20px; border-bottom: 1px solid #e0e3eb; }
.tv-header input { border-radius: 18px; border: 1px solid #e0e3eb; padding: 6px 14px; width: 260px; }
main { max-width: 1100px; margin: 0 auto; padding: 20px; }
h1 { font-size: 28px; margin: 8px 0; } h2 { font-size: 20px; margin-top: 32px; }
.js-symbol-last { font-size: 36px; font-weight: 700; }
.js-symbol-currency { font-size: 16px; margin-left: 4px; color: #6a6d78; }
[class^="up-"], [class*=" up-"] { color: #089981; } [class^="down-"], [class*=" down-"] { color: #f23645; }
[class^="growing-"] { color: #089981; } [class^="falling-"] { color: #f23645; }
.js-symbol-lp-time { color: #6a6d78; font-size: 13px; }
table { border-collapse: collapse; } td, th { padding: 6px 14px; border-bottom: 1px solid #f0f3fa; text-align: left; }
.related a { display: flex; gap: 14px; padding: 6px 0; color: inherit; text-decoration: none; }
#credential_picker_container { position: fixed; top: 16px; right: 16px; z-index: 1001; width: 380px;
  background: #fff; border-radius: 8px; box-shadow: 0 2px 10px rgba(0,0,0,.3); font-family: Roboto, Arial; }
.cookie { position: fixed; left: 0; right: 0; bottom: 0; min-height: 38vh; z-index: 1000; background: #fff;
  box-shadow: 0 -2px 16px rgba(0,0,0,.25); padding: 24px 40px; box-sizing: border-box; }
.cookie button, #credential_picker_container button { margin: 8px 8px 0 0; padding: 8px 16px; }
"""


def _head(title: str) -> str:
    return (f'<!DOCTYPE html><html lang="en" dir="ltr" class="theme-light"><head><meta charset="utf-8">'
            f'<title>{escape(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="/favicon.ico"><style>{_STYLE % {"font": FONT_URL}}</style></head>')


def _header() -> str:
    return ('<header class="tv-header"><a href="/"><img src="/static/logo.png" alt="TradingView" width="32" '
            'height="32"></a><input type="search" placeholder="Search (Ctrl+K)" aria-label="Search">'
            '<nav><a href="/markets/">Markets</a> <a href="/ideas/">Community</a> <a href="/pricing/">'
            'Pricing</a></nav></header>')


def _footer() -> str:
    return '<footer><p>Select market data provided by ICE Data Services. © 2026 TradingView, Inc.</p></footer>'


def _ticker_block(h: dict[str, str], symbol: str, currency: str, *, hidden: bool, last: str = '',
                  change: str = '', percent: str = '', lp_time: str = '', up: bool = True) -> str:
    """One `.js-symbol-header-ticker` block. The hidden copy is pre-filled, the visible one is empty."""
    classes = 'js-symbol-header-ticker ' + ('i-hidden' if hidden else h['headerTicker'])
    last_html = f'<span>{escape(last)}</span>' if last else ''
    direction = h['up'] if up else h['down']
    return (f'<div class="{classes}" data-symbol="{escape(symbol)}">'
            f'<div class="{h["lastContainer"]}"><span translate="no" class="{h["last"]} js-symbol-last" '
            f'data-qa-id="symbol-last-value">{last_html}</span>'
            f'<span class="js-symbol-currency {h["currency"]}">{escape(currency)}</span></div>'
            f'<div class="{h["changeContainer"]}"><span class="js-symbol-change-direction {direction}">'
            f'<span class="js-symbol-change">{escape(change)}</span> '
            f'<span class="js-symbol-change-pt">{escape(percent)}</span></span></div>'
            f'<div class="js-symbol-lp-time {h["lpTime"]}">{escape(lp_time)}</div></div>')


def _overlays() -> str:
    return ('<div id="credential_picker_container"><div style="padding:16px">'
            '<div style="display:flex;justify-content:space-between"><b>Sign in to tradingview.com with '
            'Google</b><button type="button" class="js-close-credential-picker" aria-label="Close">×</button>'
            '</div><p>Alex Trader<br><small>alex.trader@gmail.com</small></p>'
            '<button type="button">Continue as Alex</button></div></div>'
            '<div class="cookie js-cookie-banner" role="dialog" aria-label="Cookie preferences"><h3>We value your'
            ' privacy</h3><p>We use cookies to personalise content and ads, to provide social media features and '
            'to analyse our traffic, 24/7 across 180+ countries.</p><button type="button" '
            'class="js-accept-cookies">Accept all</button><button type="button">Manage preferences</button>'
            '<button type="button" class="js-reject-cookies">Reject all</button></div>')


def symbol_page(state: SymbolState, main_name: str, related: list[SymbolState], h: dict[str, str],
                charts: list[str] | tuple[str, ...] = ()) -> str:
    """The page of `state`'s market; `related` are markets of the same exchange; `charts` the symbols its
    script opens chart sessions for, in that order."""
    listing, coin, dec = state.listing, state.listing.coin, state.small_decimals
    symbol, exchange = listing.symbol, listing.exchange
    title = f'{listing.title_pair} — {coin.name} Price and Chart — TradingView'
    # A stale copy for the hidden header: what an old server-side render would hold.
    stale = state.price * 0.9
    hidden = _ticker_block(h, symbol, listing.currency, hidden=True, last=price_text(stale, dec),
                           change=change_text(stale - state.prev_close, dec, stale),
                           percent=percent_text((stale - state.prev_close) / state.prev_close * 100),
                           lp_time=lp_time_text(state.lp_time - 86400), up=stale >= state.prev_close)
    visible = _ticker_block(h, symbol, listing.currency, hidden=False)
    perf = ''.join(f'<tr><td>{label}</td><td class="{h["up"] if v >= 0 else h["down"]}">{percent_text(v)}</td></tr>'
                   for label, v in _performance(state))
    related_html = ''.join(
        f'<a class="{h["relatedItem"]}" href="/symbols/{r.listing.ticker}/?exchange={escape(exchange)}" '
        f'data-symbol="{escape(r.listing.symbol)}"><img src="/static/coins/{r.listing.coin.base}.png" '
        f'alt="" width="18" height="18"><span>{escape(r.listing.description)}</span><b>{r.listing.ticker}</b>'
        f'<span translate="no" class="{h["relatedLast"]}">{r.text}</span><span>{r.listing.currency}</span>'
        f'<span class="{h["relatedChange"]} {h["up"] if r.change_percent >= 0 else h["down"]}">'
        f'{percent_text(r.change_percent)}</span></a>' for r in related)
    cap = state.price * coin.supply
    init = {'symbol': symbol, 'ticker': listing.ticker, 'exchange': exchange, 'mainName': main_name,
            'related': [r.listing.symbol for r in related], 'hashes': h,
            'decimals': {s.listing.symbol: s.small_decimals for s in [state, *related]},
            'quoteFields': QUOTE_FIELDS, 'release': '2026-11-21T00:00:00',
            'charts': list(charts), 'chart': {'resolution': RESOLUTION, 'bars': HISTORY}}
    init_json = json.dumps(init).replace('</', '<\\/')
    return (
        _head(title) + '<body class="page-symbol">' + _header() +
        f'<div class="{h["newsStrip"]} js-news-strip" aria-live="polite"></div>'
        f'<main class="{h["wrapper"]}">' + hidden +
        f'<div class="{h["symbolRow"]}"><img src="/static/coins/{coin.base}.png" alt="" width="48" height="48">'
        f'<h1 class="{h["title"]} apply-overflow-tooltip">{escape(listing.description)}</h1>'
        f'<span>{escape(listing.ticker)} · {escape(exchange)}</span></div>' + visible +
        f'<button type="button" class="{h["statusButton"]}" data-qa-id="market-status-badge-button">'
        f'<span class="{h["statusIcon"]}" title="Market open"></span>Market open</button>'
        f'<section class="{h["keyStats"]}"><h2>Key stats</h2><table>'
        f'<tr><td>Market capitalization</td><td>{compact(cap)}{NNBSP}{listing.currency}</td></tr>'
        f'<tr><td>Fully diluted market cap</td><td>{compact(cap * 1.06)}{NNBSP}{listing.currency}</td></tr>'
        f'<tr><td>Trading volume 24h</td><td>{compact(state.volume * state.price)}{NNBSP}{listing.currency}</td></tr>'
        f'<tr><td>Circulating supply</td><td>{compact(coin.supply)}</td></tr>'
        f'<tr><td>All-time high</td><td>{price_text(state.price * 1.116, dec)}</td></tr>'
        f'<tr><td>1 day</td><td>{percent_text(state.change_percent - 0.41)}</td></tr></table></section>'
        f'<section><h2>Performance</h2><table class="{h["perfTable"]}">{perf}</table></section>'
        f'<section><h2>About {escape(coin.name)}</h2><p>The current price of {escape(coin.name)} ({coin.base}) is '
        f'{state.text} {listing.currency} — it has {"risen" if state.change_percent >= 0 else "fallen"} '
        f'{percent_text(state.change_percent)} in the past 24 hours. {escape(coin.name)} has a market cap of '
        f'{compact(cap)}{NNBSP}{listing.currency}.</p></section>'
        f'<section class="related"><h2>People also watch</h2>{related_html}</section></main>' + _footer() +
        _overlays() + f'<script>window.initData = {init_json};</script>'
        '<script src="/static/symbol_page.js" defer></script></body></html>')


def _performance(state: SymbolState) -> list[tuple[str, float]]:
    seed = sum(map(ord, state.listing.ticker))
    spread = [(seed * k) % 997 / 997 for k in (3, 7, 11, 13, 17, 19, 23)]
    labels = ['5 days', '1 month', '6 months', 'Year to date', '1 year', '5 years', 'All time']
    return [('1 day', state.change_percent - 0.41)] + [
        (label, (s - 0.4) * 30 * (i + 1)) for i, (label, s) in enumerate(zip(labels, spread, strict=False))]


def not_found_page() -> str:
    return (_head('Page not found — TradingView') + '<body class="page-404">' + _header() +
            '<main><div class="tv-http-error-page"><h1 class="tv-http-error-page__title">This isn\'t the page '
            'you\'re looking for</h1><p class="tv-http-error-page__text">Head back, or move along to the '
            '<a href="/">homepage</a>.</p></div></main>' + _footer() + '</body></html>')


def error_page(status: int) -> str:
    phrase = {429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
              503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out'}.get(status, 'Server Error')
    return (f'<html><head><title>{status} {phrase}</title></head><body><center><h1>{status} {phrase}</h1>'
            '</center><hr><center>nginx</center></body></html>')


def blocked_page(ray_id: str) -> str:
    """What TradingView's web firewall answers a client it takes for a bot (HTTP 403)."""
    return ('<!DOCTYPE html><html lang="en-US"><head><title>Attention Required! | Cloudflare</title>'
            '<meta charset="UTF-8"></head><body><div id="cf-wrapper"><div id="cf-error-details">'
            '<h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
            '<h2 class="cf-subheadline">You are unable to access tradingview.com</h2>'
            '<p>Access denied. This website is using a security service to protect itself from online attacks. '
            'The action you just performed triggered the security solution.</p>'
            f'<p class="cf-footer-item">Error 1020 · Cloudflare Ray ID: <strong>{escape(ray_id)}</strong></p>'
            '</div></div></body></html>')


def landing_page(symbols: list[str]) -> str:
    links = ''.join(f'<li><a href="/symbols/{ticker}/?exchange={exchange}">{exchange}:{ticker}</a></li>'
                    for exchange, _, ticker in (s.partition(':') for s in symbols))
    return (_head('TradingView replica') + '<body>' + _header() + '<main><h1>TradingView replica</h1>'
            '<p>A local stand-in for TradingView symbol pages. Try:</p>'
            f'<ul>{links}</ul><p><a href="/_replica/stats">/_replica/stats</a></p></main></body></html>')
