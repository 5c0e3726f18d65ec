// The replica's symbol page script: what TradingView's bundle does for the header price, and no more.
// It renders only from its sockets (never from the served HTML), never reconnects a dropped data socket
// (TradingView leaves that to a reload), and renders prices the awkward way the real page does.
(function () {
  'use strict';
  var cfg = window.initData;
  var H = cfg.hashes;
  var LRM = '\u200e';
  var MINUS = '\u2212';
  var WS = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  // The page's path and query: `?exchange=` tells the server which market this page is.
  var FROM = encodeURIComponent(location.pathname.replace(/^\//, '') + location.search);

  // The last header block is the visible one; the first is the hidden copy with a stale price.
  var blocks = document.querySelectorAll('.js-symbol-header-ticker');
  var header = blocks[blocks.length - 1];
  var lastEl = header.querySelector('.js-symbol-last');
  var dirEl = header.querySelector('.js-symbol-change-direction');
  var changeEl = header.querySelector('.js-symbol-change');
  var percentEl = header.querySelector('.js-symbol-change-pt');
  var timeEl = header.querySelector('.js-symbol-lp-time');
  var related = {};
  document.querySelectorAll('.' + H.relatedItem).forEach(function (el) { related[el.dataset.symbol] = el; });

  // --- number formatting: mirrors replica/formatting.py -------------------------------------
  function decimalsFor(value, small) { return Math.abs(value) >= 1 ? 2 : small; }
  function fixed(value, decimals) {
    var parts = Math.abs(value).toFixed(decimals).split('.');
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (parts.length > 1 ? '.' + parts[1] : '');
  }
  function small(name) { return cfg.decimals[name] || cfg.decimals[cfg.symbol] || 4; }
  function priceText(value, name) { return (value < 0 ? MINUS : '') + fixed(value, decimalsFor(value, small(name))); }
  function signed(text, value) { return value === 0 ? text : (value < 0 ? MINUS : '+') + text; }
  function timeText(epoch) {
    var d = new Date(epoch * 1000);
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return 'As of today at ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ' GMT';
  }

  // --- rendering --------------------------------------------------------------------------------------
  var shown = null;  // the price text on screen, without marks
  var renders = 0;

  // First value: <span>97,123.45</span>. Later: unchanged leading characters as a text node, the changed
  // tail in a growing-/falling- span. Every third render is wrapped in U+200E marks.
  function renderLast(text) {
    if (text === shown) return;
    renders += 1;
    var marks = renders % 3 === 0;
    var tail = document.createElement('span');
    var nodes = [];
    if (shown === null) {
      tail.textContent = text;
      nodes.push(tail);
    } else {
      var i = 0;
      while (i < text.length && i < shown.length && text[i] === shown[i]) i++;
      var up = parseFloat(text.replace(/,/g, '')) >= parseFloat(shown.replace(/,/g, ''));
      tail.className = up ? H.growing : H.falling;
      tail.textContent = text.slice(i);
      if (i > 0) nodes.push(document.createTextNode(text.slice(0, i)));
      nodes.push(tail);
    }
    if (marks) { nodes.unshift(document.createTextNode(LRM)); nodes.push(document.createTextNode(LRM)); }
    lastEl.replaceChildren.apply(lastEl, nodes);
    shown = text;
  }

  function renderMain(name, q, changed) {
    if ('lp' in changed && typeof q.lp === 'number') renderLast(priceText(q.lp, name));
    if (('ch' in changed || 'chp' in changed) && typeof q.ch === 'number') {
      dirEl.className = 'js-symbol-change-direction ' + (q.ch < 0 ? H.down : H.up);
      changeEl.textContent = signed(fixed(q.ch, decimalsFor(q.lp || 0, small(name))), q.ch);
      if (typeof q.chp === 'number') percentEl.textContent = signed(Math.abs(q.chp).toFixed(2) + '%', q.chp);
    }
    if ('lp_time' in changed && typeof q.lp_time === 'number') timeEl.textContent = timeText(q.lp_time);
  }

  function renderRelated(el, name, q, changed) {
    if ('lp' in changed) el.querySelector('.' + H.relatedLast).textContent = priceText(q.lp, name);
    if ('chp' in changed) {
      var change = el.querySelector('.' + H.relatedChange);
      change.className = H.relatedChange + ' ' + (q.chp < 0 ? H.down : H.up);
      change.textContent = signed(Math.abs(q.chp).toFixed(2) + '%', q.chp);
    }
  }

  var quotes = {};  // name -> merged fields: later packets carry only what changed
  function onQuote(name, values) {
    var q = quotes[name] = Object.assign(quotes[name] || {}, values);
    if (name === cfg.mainName || name === cfg.symbol) renderMain(cfg.symbol, q, values);
    else if (related[name]) renderRelated(related[name], name, q, values);
  }

  // --- the TradingView data socket -------------------------------------------------------------------
  function pack(payload) { return '~m~' + payload.length + '~m~' + payload; }  // length: UTF-16 units
  function unpack(data) {
    var out = [], pos = 0;
    while (data.substr(pos, 3) === '~m~') {
      var end = data.indexOf('~m~', pos + 3);
      if (end < 0) break;
      var len = parseInt(data.slice(pos + 3, end), 10);
      out.push(data.substr(end + 3, len));
      pos = end + 3 + len;
    }
    return out;
  }
  function randomId(n) {
    var chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', s = '';
    for (var i = 0; i < n; i++) s += chars[Math.floor(Math.random() * chars.length)];
    return s;
  }

  var qs = 'qs_' + randomId(12);
  var ws = new WebSocket(WS + '/socket.io/websocket?from=' + FROM + '&date=' + encodeURIComponent(cfg.release));
  function send(method, params) { ws.send(pack(JSON.stringify({m: method, p: params}))); }
  // A chart session per chart on the page (its own symbol's, a related symbol's mini chart), each with its
  // own cs_ id but the same series ids, as TradingView's widgets do. The page draws nothing from them.
  function openChart(symbol) {
    var cs = 'cs_' + randomId(12);
    send('chart_create_session', [cs, 'disable_statistics']);
    send('resolve_symbol', [cs, 'sds_sym_1', '=' + JSON.stringify({adjustment: 'splits', symbol: symbol})]);
    send('create_series', [cs, 'sds_1', 's1', 'sds_sym_1', cfg.chart.resolution, cfg.chart.bars]);
  }
  var greeted = false;
  ws.onmessage = function (event) {
    unpack(event.data).forEach(function (payload) {
      if (payload.indexOf('~h~') === 0) { ws.send(pack(payload)); return; }
      var msg;
      try { msg = JSON.parse(payload); } catch (e) { return; }
      if (msg.session_id && !greeted) {
        greeted = true;
        send('set_auth_token', ['unauthorized_user_token']);
        send('set_locale', ['en', 'US']);
        send('quote_create_session', [qs]);
        send('quote_set_fields', [qs].concat(cfg.quoteFields));
        send('quote_add_symbols', [qs, cfg.mainName].concat(cfg.related));
        send('quote_fast_symbols', [qs, cfg.mainName]);
        cfg.charts.forEach(openChart);
      } else if (msg.m === 'qsd' && msg.p && msg.p[1] && msg.p[1].s === 'ok') {
        onQuote(msg.p[1].n, msg.p[1].v || {});
      }
    });
  };
  ws.onclose = function () { document.documentElement.dataset.socket = 'closed'; };  // and no reconnect

  // --- the pushstream: plain JSON news, and prices that bypass the data socket -----------------------
  var strip = document.querySelector('.js-news-strip');
  var push = new WebSocket(WS + '/pushstream?from=' + FROM);
  push.onopen = function () { push.send(JSON.stringify({subscribe: [cfg.symbol].concat(cfg.related)})); };
  push.onmessage = function (event) {
    var msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    var text = msg && msg.text;
    if (!text || !text.content) return;
    if (text.channel === 'quotes') {
      var values = Object.assign({}, text.content);
      delete values.symbol;
      onQuote(text.content.symbol, values);
    } else if (text.channel === 'news' && strip) {
      var item = document.createElement('div');
      item.textContent = text.content.title;
      strip.prepend(item);
      while (strip.children.length > 3) strip.lastChild.remove();
    }
  };

  // --- overlays ----------------------------------------------------------------------------------------
  var COOKIE = 'cookiePrivacyPreferenceBannerProduction';
  var banner = document.querySelector('.js-cookie-banner');
  function consent(value) {
    document.cookie = COOKIE + '=' + value + '; path=/; max-age=31536000';
    if (banner) banner.remove();
  }
  if (banner && document.cookie.indexOf(COOKIE + '=') >= 0) banner.remove();
  document.querySelectorAll('.js-accept-cookies').forEach(function (b) { b.onclick = function () { consent('accepted'); }; });
  document.querySelectorAll('.js-reject-cookies').forEach(function (b) { b.onclick = function () { consent('rejected'); }; });
  var picker = document.getElementById('credential_picker_container');
  document.querySelectorAll('.js-close-credential-picker').forEach(function (b) {
    b.onclick = function () { picker.replaceChildren(); picker.style.display = 'none'; };
  });
})();
