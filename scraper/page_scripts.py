"""JavaScript that runs inside a symbol tab. Kept here so the watcher reads as Python."""
import json

DATA_SOCKET_PATH = '/socket.io/websocket'  # the page's data socket: quotes and chart series
# While the socket delivers, the rendered element is only an echo of it (and rounds it): ignore it.
SOCKET_PRECEDENCE = 5.0

# Pushes the visible price element's full text to Python on every DOM change. The element is found
# by its stable hooks, skipping the hidden duplicate header, and found again if the page re-renders it.
PRICE_OBSERVER = """
(() => {
  if (window.__cryptoPriceObserver) return;
  window.__cryptoPriceObserver = true;
  const SELECTOR = '.js-symbol-last, [data-qa-id="symbol-last-value"]';
  const shown = el => !el.closest('.i-hidden') && el.checkVisibility();
  let target = null, observer = null, lastText = '';
  // While the page's data socket brings prices the engine reads them there and ignores the element, which only
  // echoes them (SOCKET_PRECEDENCE): each report would cost a DevTools round trip per change for nothing.
  // So listen to that socket too, beside the page, and stay quiet while prices flow on it.
  // Ours is EXCHANGE:TICKER of this page's own address (/symbols/TICKER/?exchange=EXCHANGE), as the engine
  // reads it; a related symbol's price on the same socket does not count. Not found: report as before.
  const ticker = location.pathname.split('/').filter(Boolean)[1];
  const ours = `${new URLSearchParams(location.search).get('exchange')}:${ticker}`;
  const nameOf = n => n.startsWith('=') ? JSON.parse(n.slice(1)).symbol : n;  // as tv_protocol.symbol_name
  const pricesOurs = data => data.split(/~m~[0-9]+~m~/).some(packet => {  // as watcher._on_frame reads a frame
    if (!packet.includes('"qsd"')) return false;
    try {
      const quote = JSON.parse(packet).p[1];
      return nameOf(quote.n) === ours && 'lp' in quote.v;
    } catch (error) { return false; }  // not a quote we can read: the element is reported as before
  });
  let socketPriceAt = -Infinity;
  const PageSocket = window.WebSocket;
  window.WebSocket = new Proxy(PageSocket, {construct(target, args, newTarget) {
    const socket = Reflect.construct(target, args, newTarget);
    if (String(args[0]).includes(%(socket_path)s)) {
      socket.addEventListener('message', event => {
        if (typeof event.data === 'string' && pricesOurs(event.data)) socketPriceAt = performance.now();
      });
    }
    return socket;
  }});
  const report = () => {
    if (performance.now() - socketPriceAt < %(quiet_ms)d) return;
    const text = target.textContent.trim();
    if (text && text !== lastText) { lastText = text; window.__cryptoPrice(text); }
  };
  const attach = () => {
    if (target && target.isConnected) return;
    const found = [...document.querySelectorAll(SELECTOR)].find(shown);
    if (!found) return;
    if (observer) observer.disconnect();
    target = found;
    observer = new MutationObserver(report);
    observer.observe(target, {childList: true, subtree: true, characterData: true});
    report();
  };
  const start = () => {
    attach();
    new MutationObserver(attach).observe(document.body, {childList: true, subtree: true});
  };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""
PRICE_OBSERVER %= {'socket_path': json.dumps(DATA_SOCKET_PATH), 'quiet_ms': SOCKET_PRECEDENCE * 1000}

# The last resort when neither the socket nor the price element speaks: find a visible leaf whose
# number is within `tolerance` of the price we already trust. Never used for a first price.
GUARDED_SCAN = """
([lastPrice, tolerance]) => {
  const clean = t => t.replace(/[\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\s,\\u00a0\\u202f]/g, '')
                     .replace('\\u2212', '-');
  for (const el of document.querySelectorAll('body span, body div')) {
    if (el.children.length > 2 || el.closest('.i-hidden') || !el.checkVisibility()) continue;
    const text = clean(el.textContent);
    if (!/^\\d+(\\.\\d+)?$/.test(text)) continue;
    const value = parseFloat(text);
    if (Math.abs(value - lastPrice) <= lastPrice * tolerance) return el.textContent;
  }
  return null;
}
"""

# Benchmark-only: what peer tools do, read the element on a timer.
READ_PRICE = """
() => {
  const el = [...document.querySelectorAll('.js-symbol-last, [data-qa-id="symbol-last-value"]')]
    .find(e => !e.closest('.i-hidden') && e.checkVisibility());
  return el ? el.textContent : null;
}
"""

NOT_FOUND_MARKER = '.tv-http-error-page'
