// The chart view of one symbol: its price, the source's state, the figures of the shown range and a large
// ECharts chart (candles or line; 1h, 1D or all we have). The server hands over the history once (and again
// when it was reloaded: a 'history' message in the room makes us ask); from then on each 'prices' message's
// newest point extends it here, as the server's own history does (scraper/history.py): one price a second,
// and the current bar, or a new one when its time is up.
import { echarts } from 'nicegui-echart';
import { ago, formatPrice, releaseClock, roomListeners, syncClock, useClock } from 'crypto-ui';

const RANGES = [
  { value: '1h', label: '1h', seconds: 3600 },
  { value: '1d', label: '1D', seconds: 86400 },
  { value: 'all', label: 'All', seconds: Infinity },
];
const MODES = [{ value: 'line', label: 'Line' }, { value: 'candles', label: 'Candles' }];
const STATES = { live: 'Live', stale: 'Stale', connecting: 'Connecting…', reconnecting: 'Reconnecting…',
  error: 'Error' };
const TICKS_KEPT_S = 7200; // the hour the page got, and the one it saw since
const BARS_KEPT = 4000;

export default {
  template: `
    <div class="symbol-view" :data-symbol="symbol" :data-status="status">
      <div class="symbol-head">
        <div class="nicegui-column gap-1 min-w-0">
          <h1 class="symbol-title"><span class="symbol">{{ ticker }}</span>
            <span class="exchange">{{ exchange }}</span></h1>
          <div class="subtitle row no-wrap items-baseline gap-2 min-w-0">
            <span v-if="instrument" class="instrument">{{ instrument }}</span>
            <span class="currency">{{ currency }}</span>
          </div>
        </div>
        <div class="quote">
          <div :class="['price', flash]">{{ p || '—' }}</div>
          <div class="changes row no-wrap items-baseline justify-end">
            <span :class="['change', tone(c)]">{{ c }}</span>
            <span :class="['change-percent', tone(cp)]">{{ cp }}</span>
          </div>
        </div>
      </div>
      <div class="source-state row items-center no-wrap gap-2" role="status" data-testid="source-state">
        <span class="state-dot"></span><span class="state-label">{{ stateLabel }}</span>
        <span v-if="message" class="message">{{ message }}</span>
        <span class="q-space"></span>
        <span v-if="t" class="updated">Updated {{ updated }}</span>
      </div>
      <div class="chart-tools row items-center justify-between gap-2">
        <div class="segmented" role="group" aria-label="Range">
          <button v-for="option in RANGES" :key="option.value" type="button" class="segment"
                  :aria-pressed="String(range === option.value)" @click="choose('range', option.value)">
            {{ option.label }}</button>
        </div>
        <div class="segmented" role="group" aria-label="Chart type">
          <button v-for="option in MODES" :key="option.value" type="button" class="segment"
                  :aria-pressed="String(mode === option.value)" @click="choose('mode', option.value)">
            {{ option.label }}</button>
        </div>
      </div>
      <dl class="range-stats">
        <div><dt>High</dt><dd class="range-high">{{ money(stats.high) }}</dd></div>
        <div><dt>Low</dt><dd class="range-low">{{ money(stats.low) }}</dd></div>
        <div><dt>Change ({{ rangeLabel }})</dt>
          <dd :class="['range-change', tone(changeText)]">{{ changeText }}</dd></div>
      </dl>
      <div class="chart-frame">
        <div ref="chart" class="price-chart" data-testid="price-chart" role="img" :aria-label="chartLabel"
             :data-points="stats.count" :data-mode="mode" :data-range="range"></div>
        <div v-if="!stats.count" class="chart-empty">No history yet: it starts with the first price.</div>
      </div>
    </div>`,
  props: { symbol: String, ticker: String, exchange: String, initial: Object, history: String },
  emits: ['listening', 'reload'],
  data() {
    const { p, c, cp, t, status, message, currency, name, decimals } = this.initial;
    return {
      p, c, cp, t, status, message, currency, decimals, instrument: name, flash: '', flip: false,
      range: '1d', mode: 'line', stats: { count: 0, first: null, last: null, high: null, low: null, change: null },
      RANGES, MODES,
    };
  },
  computed: {
    label() { return `${this.ticker} on ${this.exchange}`; },
    updated() { return ago(this.t); },
    stateLabel() { return STATES[this.status] || this.status; },
    rangeLabel() { return RANGES.find((option) => option.value === this.range).label; },
    changeText() {
      const { change, first } = this.stats;
      if (change === null) return '—';
      const sign = change > 0 ? '+' : change < 0 ? '−' : '';
      const percent = first ? ` (${sign}${Math.abs((change / first) * 100).toFixed(2)}%)` : '';
      return `${sign}${this.money(Math.abs(change))}${percent}`;
    },
    chartLabel() {
      const { count, first, last, high, low } = this.stats;
      if (!count) return `${this.label}: no history yet`;
      return `${this.label}, ${this.rangeLabel}, ${this.mode}: from ${this.money(first)} to ${this.money(last)}, `
        + `high ${this.money(high)}, low ${this.money(low)}`;
    },
  },
  created() {
    // Plain arrays, not reactive data: thousands of points that Vue need not watch one by one.
    this.take(JSON.parse(this.history || 'null'));
  },
  mounted() {
    useClock();
    syncClock(this.initial.now);
    this.chart = echarts.init(this.$refs.chart, null, { renderer: 'canvas' });
    this.resizeObserver = new ResizeObserver(() => this.chart.resize());
    this.resizeObserver.observe(this.$refs.chart);
    // The theme is a class on <body> that the toggle (or the system) flips: draw again in its colours.
    this.themeObserver = new MutationObserver(() => this.draw(true));
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.draw(true);
    Object.assign(this, roomListeners(this));
    // The history whole again only when it was loaded again since ours (the follow after we joined the room
    // repeats the load we were rendered with), or when the socket comes back (prices may have gone by).
    this.onHistory = (update) => {
      if (update.s !== this.symbol || !update.loaded || update.loaded === this.loaded) return;
      this.loaded = update.loaded; // asked once, however many rooms repeat it
      this.$emit('reload');
    };
    this.onReconnect = () => this.$emit('reload');
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => {
      window.socket.on('prices', this.onPrices);
      window.socket.on('status', this.onStatus);
      window.socket.on('history', this.onHistory);
      window.socket.io.on('reconnect', this.onReconnect);
      this.$emit('listening');
    });
  },
  beforeUnmount() {
    this.chart?.dispose();
  },
  unmounted() {
    releaseClock();
    this.resizeObserver?.disconnect();
    this.chart?.dispose();  // its canvas, listeners and timers go with the component
    this.themeObserver?.disconnect();
    window.socket?.off('prices', this.onPrices);
    window.socket?.off('status', this.onStatus);
    window.socket?.off('history', this.onHistory);
    window.socket?.io.off('reconnect', this.onReconnect);
  },
  methods: {
    // Called by the server (SymbolChart.load): the history whole, after it was loaded again.
    load(history) {
      this.take(history);
      this.draw(true);
    },
    take(history) {
      this.bars = history?.bars || [];
      this.ticks = history?.ticks || [];
      this.resolution = history?.resolution || 60;
      this.loaded = history?.loaded ?? null;
    },
    showPrice(update) {
      const moved = this.p && update.p !== this.p && update.d;
      Object.assign(this, { p: update.p, c: update.c, cp: update.cp, t: update.t });
      syncClock(update.t);
      if (moved) {
        this.flip = !this.flip;
        this.flash = `flash-${update.d > 0 ? 'up' : 'down'}-${this.flip ? 'a' : 'b'}`;
      }
      if (Array.isArray(update.h)) {
        this.extend(update.h[0], update.h[1]);
        this.scheduleDraw();
      }
    },
    // As PriceHistory.record and ._follow do on the server, so the chart and the history agree.
    extend(t, value) {
      const second = Math.floor(t);
      const tick = this.ticks[this.ticks.length - 1];
      if (tick && tick[0] === second) tick[1] = value;
      else if (!tick || second > tick[0]) this.ticks.push([second, value]);
      let old = 0;
      while (old < this.ticks.length && this.ticks[old][0] < second - TICKS_KEPT_S) old++;
      if (old) this.ticks.splice(0, old);
      const bar = this.bars[this.bars.length - 1];
      if (bar && t < bar[0]) return; // older than the current bar: the source knows better
      if (bar && t < bar[0] + this.resolution) {
        bar[2] = Math.max(bar[2], value);
        bar[3] = Math.min(bar[3], value);
        bar[4] = value;
      } else {
        this.bars.push([Math.floor(t / this.resolution) * this.resolution, value, value, value, value, 0]);
        if (this.bars.length > BARS_KEPT) this.bars.splice(0, this.bars.length - BARS_KEPT / 2);
      }
    },
    choose(what, value) {
      this[what] = value;
      this.draw(true);
    },
    // The shown range ends at the newest point, so a symbol gone quiet still shows its last hour.
    since() {
      const seconds = RANGES.find((option) => option.value === this.range).seconds;
      const newest = Math.max(this.ticks[this.ticks.length - 1]?.[0] ?? -Infinity,
        this.bars[this.bars.length - 1]?.[0] ?? -Infinity);
      return newest - seconds;
    },
    // [[ms, open, close, low, high]] (ECharts' order) or [[ms, value]]: bars, then the finer prices after them.
    points() {
      const since = this.since();
      const bars = this.bars.filter((bar) => bar[0] + this.resolution > since);
      if (this.mode === 'candles') return bars.map(([t, o, h, l, c]) => [t * 1000, o, c, l, h]);
      const firstTick = this.ticks.find((tick) => tick[0] >= since)?.[0] ?? Infinity;
      return [...bars.filter((bar) => bar[0] < firstTick).map((bar) => [bar[0] * 1000, bar[4]]),
        ...this.ticks.filter((tick) => tick[0] >= since).map(([t, v]) => [t * 1000, v])];
    },
    measure(points) {
      if (!points.length) return { count: 0, first: null, last: null, high: null, low: null, change: null };
      const candles = this.mode === 'candles';
      const first = points[0][1];
      const last = points[points.length - 1][candles ? 2 : 1];
      let high = -Infinity;
      let low = Infinity;
      for (const point of points) {
        high = Math.max(high, candles ? point[4] : point[1]);
        low = Math.min(low, candles ? point[3] : point[1]);
      }
      return { count: points.length, first, last, high, low, change: last - first };
    },
    scheduleDraw() {
      if (this.drawPending) return;
      this.drawPending = true;
      requestAnimationFrame(() => {
        this.drawPending = false;
        this.draw(false);
      });
    },
    draw(full) {
      if (!this.chart) return;
      const points = this.points();
      this.stats = this.measure(points);
      const series = this.series(points);
      if (full) this.chart.setOption(this.frame(series), { notMerge: true });
      else this.chart.setOption({ series: [series] });
    },
    series(data) {
      const css = getComputedStyle(document.body);
      const up = css.getPropertyValue('--up').trim();
      const down = css.getPropertyValue('--down').trim();
      if (this.mode === 'candles') {
        return { type: 'candlestick', name: this.ticker, data, barMaxWidth: 14,
          itemStyle: { color: up, color0: down, borderColor: up, borderColor0: down } };
      }
      const color = this.stats.change < 0 ? down : up;
      return { type: 'line', name: this.ticker, data, showSymbol: false, color,
        lineStyle: { width: 1.6 }, areaStyle: { opacity: 0.1 } };
    },
    frame(series) {
      const css = getComputedStyle(document.body);
      const muted = css.getPropertyValue('--muted').trim();
      const line = css.getPropertyValue('--line').trim();
      const money = (value) => formatPrice(value, this.decimals);
      return {
        animation: false,
        grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: money, axisPointer: { type: 'cross' } },
        xAxis: { type: 'time', axisLine: { lineStyle: { color: line } }, axisLabel: { color: muted, hideOverlap: true },
          splitLine: { show: false } },
        yAxis: { type: 'value', scale: true, position: 'right', axisLabel: { color: muted, formatter: money },
          splitLine: { lineStyle: { color: line } } },
        series: [series],
      };
    },
    money(value) { return typeof value === 'number' ? formatPrice(value, this.decimals) : '—'; },
    tone(text) {
      if (!text || !/[1-9]/.test(text)) return 'signed-flat';
      return text.startsWith('+') ? 'signed-up' : 'signed-down';
    },
  },
};
