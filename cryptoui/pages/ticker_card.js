// One ticker card, kept current by its symbol's socket.io room: 'prices' messages (each the changes of a
// moment, for the symbols this page shows), 'status' messages for the rarer changes of state, and 'history'
// when the symbol's history was loaded whole. The server encodes each once for all viewers instead of one
// element update per viewer; here is where they land. The sparkline grows from each price's newest point
// ('h'), and "2 s ago" follows the page's one clock: neither costs the server anything per card.
import { ago, formatPrice, grow, releaseClock, roomListeners, spanText, sparkPath, syncClock, useClock } from 'crypto-ui';

const SPARK_W = 120;
const SPARK_H = 36;
const NO_SPARK = { points: [], step: 1, window: 86400 }; // until the server sends one: one point a second

export default {
  template: `
    <div class="q-card nicegui-card ticker-card" role="group" :aria-label="label" :data-symbol="symbol"
         :data-status="status">
      <div class="nicegui-row row w-full items-center no-wrap gap-2">
        <div class="nicegui-column gap-0 min-w-0">
          <!-- The whole card is this link (its ::after covers the card); the remove button sits above it. Its
               name is its text, with hidden words around the visible ones: what is read holds what is seen. -->
          <a class="card-link row no-wrap items-baseline gap-2 min-w-0" :href="href"
             @keydown.space.prevent="$event.currentTarget.click()">
            <span class="sr-only">Open the chart of </span><span class="symbol">{{ ticker }}</span><span
              class="sr-only"> on </span><span class="exchange">{{ exchange }}</span>
          </a>
          <div class="subtitle row no-wrap items-baseline gap-2 min-w-0">
            <span v-if="instrument" class="instrument">{{ instrument }}</span>
            <span class="currency">{{ currency }}</span>
          </div>
        </div>
        <div class="q-space"></div>
        <q-badge v-show="status === 'stale'" color="warning" rounded class="stale-badge text-black"
                 aria-label="Stale: no recent update">Stale</q-badge>
        <q-spinner v-show="busy" size="1.6em" color="primary" class="busy" role="progressbar"
                   :aria-label="'Loading ' + label" />
        <q-btn flat round :color="alert ? 'primary' : 'grey-7'" class="alert-button tap-target"
               :icon="alert ? 'notifications_active' : 'notifications_none'" :aria-label="'Alert ' + label"
               @click="$emit('alert')">
          <q-tooltip>Alert on {{ label }}</q-tooltip>
        </q-btn>
        <q-btn flat round color="grey-7" icon="close" class="remove-button tap-target"
               :aria-label="'Remove ' + label" @click="$emit('remove')">
          <q-tooltip>Remove {{ label }}</q-tooltip>
        </q-btn>
      </div>
      <div class="live-price">
        <div :class="['price', flash]">{{ p || '—' }}</div>
        <div class="changes row no-wrap items-baseline">
          <span :class="['change', tone(c)]">{{ c }}</span>
          <span :class="['change-percent', tone(cp)]">{{ cp }}</span>
          <span class="q-space"></span>
          <span v-if="t" class="updated" :title="'Last update from ' + exchange">{{ updated }}</span>
        </div>
      </div>
      <div v-if="p && spark.points.length" class="trend row no-wrap items-end gap-2">
        <svg class="sparkline" data-testid="sparkline" role="img" :aria-label="sparkLabel"
             :data-points="spark.points.length" :class="sparkTone" :viewBox="'0 0 ' + W + ' ' + H"
             preserveAspectRatio="none">
          <path class="spark-area" :d="path(true)" />
          <path class="spark-line" :d="path(false)" vector-effect="non-scaling-stroke" />
        </svg>
        <span class="spark-range" aria-hidden="true">{{ range }}</span>
      </div>
      <div v-show="message" class="message">{{ message }}</div>
      <div v-if="alert" :class="['alert-line', { fired: alert.fired }]" :data-alert="alert.fired ? 'fired' : 'armed'">
        Alert: {{ alert.text }}<span v-if="alertWaits" class="alert-waits"> · {{ alertWaits }}</span>
      </div>
    </div>`,
  // symbol is EXCHANGE:TICKER, the key of every message; ticker and exchange are its two parts, for people.
  // alert: {text, fired, hold?} from alerts.card_view, or null.
  props: { symbol: String, ticker: String, exchange: String, href: String, initial: Object, history: String,
           alert: Object },
  emits: ['remove', 'listening', 'alert'],
  data() {
    const { p, c, cp, t, status, message, currency, name, decimals } = this.initial;
    return {
      p, c, cp, t, status, message, currency, decimals, instrument: name,
      spark: JSON.parse(this.history || 'null') || { ...NO_SPARK, points: [] },
      flash: '', flip: false, W: SPARK_W, H: SPARK_H,
    };
  },
  computed: {
    busy() { return this.status === 'connecting' || this.status === 'reconnecting'; },
    label() { return `${this.ticker} on ${this.exchange}`; },
    updated() { return ago(this.t); },
    range() { return spanText(this.spark.points); },
    ends() {
      const points = this.spark.points;
      return points.length ? [points[0][1], points[points.length - 1][1]] : [null, null];
    },
    sparkTone() {
      const [first, last] = this.ends;
      return last > first ? 'signed-up' : last < first ? 'signed-down' : 'signed-flat';
    },
    sparkLabel() {
      const [first, last] = this.ends.map((value) => formatPrice(value, this.decimals));
      if (this.spark.points.length < 2) return `${this.label}, so far: ${last}`;
      return `${this.label}, last ${this.range}: from ${first} to ${last}`;
    },
    alertWaits() {
      return this.alert?.hold || { error: 'on hold: no price', stale: 'on hold: the price is stale' }[this.status] || '';
    },
  },
  mounted() {
    useClock();
    syncClock(this.initial.now);
    Object.assign(this, roomListeners(this));
    this.onHistory = (update) => {
      if (update.s === this.symbol) this.spark = update.spark;
    };
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => {
      window.socket.on('prices', this.onPrices);
      window.socket.on('status', this.onStatus);
      window.socket.on('history', this.onHistory);
      // Only from now on can this card hear its room: the server joins us to it and sends the current state,
      // so a change sent while this component was still loading is not lost.
      this.$emit('listening');
    });
  },
  unmounted() {
    releaseClock();
    window.socket?.off('prices', this.onPrices);
    window.socket?.off('status', this.onStatus);
    window.socket?.off('history', this.onHistory);
  },
  methods: {
    showPrice(update) {
      const moved = this.p && update.p !== this.p && update.d;
      this.p = update.p;
      this.c = update.c;
      this.cp = update.cp;
      this.t = update.t;
      syncClock(update.t);
      grow(this.spark, update.h);
      if (moved) {
        // Two identical animations per direction: swapping the name restarts the flash on every move.
        this.flip = !this.flip;
        this.flash = `flash-${update.d > 0 ? 'up' : 'down'}-${this.flip ? 'a' : 'b'}`;
      }
    },
    path(area) { return sparkPath(this.spark.points, SPARK_W, SPARK_H, area); },
    tone(text) {
      if (!text || !/[1-9]/.test(text)) return 'signed-flat';
      return text.startsWith('+') ? 'signed-up' : 'signed-down';
    },
  },
};
