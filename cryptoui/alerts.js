// Checks this browser's armed price alerts against the 'prices' messages the page already receives, so
// alerts cost the server nothing per tick. A level reached is claimed from the server ('crossed'), which
// marks the arming fired once for the whole browser and then asks every tab to announce it: each tab shows
// the toast, only the tab whose claim won shows the system notification.

// A claim lost with a dropped socket is made again after this long; the server refuses repeats anyway.
const RECLAIM_MS = 10000;

export default {
  template: '<span class="alert-watcher" hidden></span>',
  // alerts: {symbol: {above|below: {level, armed}}}, only the levels not fired yet.
  props: { alerts: Object },
  emits: ['crossed'],
  mounted() {
    this.claims = new Map(); // "symbol side armed" -> when it was claimed
    this.prices = new Map(); // symbol -> last price seen, so a level armed later is checked at once
    this.onPrices = (updates) => {
      for (const update of updates) {
        if (typeof update.v !== 'number') continue;
        this.prices.set(update.s, update.v);
        this.check(update.s);
      }
    };
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => window.socket.on('prices', this.onPrices));
  },
  unmounted() {
    window.socket?.off('prices', this.onPrices);
  },
  watch: {
    alerts() {
      for (const symbol of this.prices.keys()) this.check(symbol);
    },
  },
  methods: {
    check(symbol) {
      const price = this.prices.get(symbol);
      for (const [side, alert] of Object.entries(this.alerts[symbol] || {})) {
        const reached = side === 'above' ? price >= alert.level : price <= alert.level;
        const key = `${symbol} ${side} ${alert.armed}`;
        if (!reached || Date.now() - (this.claims.get(key) ?? -Infinity) < RECLAIM_MS) continue;
        this.claims.set(key, Date.now());
        this.$emit('crossed', { symbol, side, armed: alert.armed, price });
      }
    },
    announce(message, notification) {
      // It stays until dismissed: the person may be away from the tab when it fires.
      Quasar.Notify.create({
        message, type: 'warning', icon: 'notifications_active', position: 'top', timeout: 0,
        multiLine: true, classes: 'alert-toast', attrs: { role: 'alert' },
        actions: [{ label: 'Dismiss', color: 'black', noCaps: true }],
      });
      if (!notification || !('Notification' in window) || Notification.permission !== 'granted') return;
      try {
        new Notification(notification.title, { body: notification.body, tag: notification.tag });
      } catch (error) {
        // Some browsers (Chrome on Android) allow notifications only from a service worker: the toast remains.
        console.warn('notification not shown', error);
      }
    },
    askPermission() {
      if ('Notification' in window && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
    },
  },
};
