// A card's price and changes, applied straight from its symbol's 'price' socket.io event.
// The server sends one message per change to a room of all viewers of that symbol, instead of one
// element update per viewer; this component is where that message lands.
export default {
  template: `
    <div class="live-price">
      <div :class="['price', flash]">{{ p || '—' }}</div>
      <div class="changes row no-wrap items-baseline">
        <span :class="['change', tone(c)]">{{ c }}</span>
        <span :class="['change-percent', tone(cp)]">{{ cp }}</span>
      </div>
    </div>`,
  props: { symbol: String, initial: Object },
  data() {
    return { p: this.initial.p, c: this.initial.c, cp: this.initial.cp, flash: '', flip: false };
  },
  mounted() {
    this.onPrice = (message) => { if (message.s === this.symbol) this.show(message); };
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => window.socket.on('price', this.onPrice));
  },
  unmounted() {
    window.socket?.off('price', this.onPrice);
  },
  methods: {
    show(message) {
      const moved = this.p && message.p !== this.p && message.d;
      this.p = message.p;
      this.c = message.c;
      this.cp = message.cp;
      if (moved) {
        // Two identical animations per direction: swapping the name restarts the flash on every move.
        this.flip = !this.flip;
        this.flash = `flash-${message.d > 0 ? 'up' : 'down'}-${this.flip ? 'a' : 'b'}`;
      }
    },
    tone(text) {
      if (!text || !/[1-9]/.test(text)) return 'signed-flat';
      return text.startsWith('+') ? 'signed-up' : 'signed-down';
    },
  },
};
