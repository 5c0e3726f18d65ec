// One ticker card, kept current by its symbol's socket.io room: 'prices' messages (each the changes of a
// moment, for the symbols this page shows) and 'status' messages for the rarer changes of state. The server
// encodes each once for all viewers instead of one element update per viewer; here is where they land.
export default {
  template: `
    <div class="q-card nicegui-card ticker-card" role="group" :aria-label="name" :data-symbol="symbol"
         :data-status="status">
      <div class="nicegui-row row w-full items-center no-wrap gap-2">
        <div class="nicegui-column gap-0 min-w-0">
          <div class="row no-wrap items-baseline gap-2 min-w-0">
            <span class="symbol">{{ ticker }}</span><span class="exchange">{{ exchange }}</span>
          </div>
          <div class="currency">{{ currency }}</div>
        </div>
        <div class="q-space"></div>
        <q-badge v-show="status === 'stale'" color="warning" rounded class="stale-badge text-black"
                 aria-label="Stale: no recent update">Stale</q-badge>
        <q-spinner v-show="busy" size="1.6em" color="primary" class="busy" role="progressbar"
                   :aria-label="'Loading ' + name" />
        <q-btn flat round :color="alert ? 'primary' : 'grey-7'" class="alert-button tap-target"
               :icon="alert ? 'notifications_active' : 'notifications_none'" :aria-label="'Alert ' + name"
               @click="$emit('alert')">
          <q-tooltip>Alert on {{ name }}</q-tooltip>
        </q-btn>
        <q-btn flat round color="grey-7" icon="close" class="remove-button tap-target"
               :aria-label="'Remove ' + name" @click="$emit('remove')">
          <q-tooltip>Remove {{ name }}</q-tooltip>
        </q-btn>
      </div>
      <div class="live-price">
        <div :class="['price', flash]">{{ p || '—' }}</div>
        <div class="changes row no-wrap items-baseline">
          <span :class="['change', tone(c)]">{{ c }}</span>
          <span :class="['change-percent', tone(cp)]">{{ cp }}</span>
        </div>
      </div>
      <div v-show="message" class="message">{{ message }}</div>
      <div v-if="alert" :class="['alert-line', { fired: alert.fired }]" :data-alert="alert.fired ? 'fired' : 'armed'">
        Alert: {{ alert.text }}<span v-if="alertWaits" class="alert-waits"> · {{ alertWaits }}</span>
      </div>
    </div>`,
  // symbol is EXCHANGE:TICKER, the key of every message; ticker and exchange are its two parts, for people.
  // alert: {text, fired} from alerts.card_view, or null.
  props: { symbol: String, ticker: String, exchange: String, initial: Object, alert: Object },
  emits: ['remove', 'listening', 'alert'],
  data() {
    const { p, c, cp, status, message, currency } = this.initial;
    return { p, c, cp, status, message, currency, flash: '', flip: false };
  },
  computed: {
    busy() { return this.status === 'connecting' || this.status === 'reconnecting'; },
    name() { return `${this.ticker} on ${this.exchange}`; },
    alertWaits() { return { error: 'on hold: no price', stale: 'on hold: the price is stale' }[this.status] || ''; },
  },
  mounted() {
    this.onPrices = (updates) => {
      for (const update of updates) if (update.s === this.symbol) this.showPrice(update);
    };
    this.onStatus = (update) => {
      if (update.s !== this.symbol) return;
      this.status = update.status;
      this.message = update.message;
      this.currency = update.currency;
    };
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => {
      window.socket.on('prices', this.onPrices);
      window.socket.on('status', this.onStatus);
      // Only from now on can this card hear its room: the server joins us to it and sends the current state,
      // so a change sent while this component was still loading is not lost.
      this.$emit('listening');
    });
  },
  unmounted() {
    window.socket?.off('prices', this.onPrices);
    window.socket?.off('status', this.onStatus);
  },
  methods: {
    showPrice(update) {
      const moved = this.p && update.p !== this.p && update.d;
      this.p = update.p;
      this.c = update.c;
      this.cp = update.cp;
      if (moved) {
        // Two identical animations per direction: swapping the name restarts the flash on every move.
        this.flip = !this.flip;
        this.flash = `flash-${update.d > 0 ? 'up' : 'down'}-${this.flip ? 'a' : 'b'}`;
      }
    },
    tone(text) {
      if (!text || !/[1-9]/.test(text)) return 'signed-flat';
      return text.startsWith('+') ? 'signed-up' : 'signed-down';
    },
  },
};
