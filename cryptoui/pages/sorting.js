// Orders and filters the grid's cards here in the browser, from the 'prices' messages the page already
// receives: sorting and filtering cost the server nothing per tick.
//
// When it re-sorts: at once for what the person does (a sort choice, a holding changed, a card added) and
// when a card gets its first number; for live changes at most every RESORT_MS, and never while the pointer
// is over the grid or keyboard focus is in it (then at the first round after they leave). Re-sorting on
// every tick would keep cards moving while they are read, and turn the button under the pointer into
// another card's between aiming and clicking. A few seconds is often enough to follow a market, rarely
// enough to be annoying.
//
// Cards are moved in the DOM, not with CSS `order`, so reading order and Tab order are the order seen.
// Vue keeps working on them: it adds, patches and removes the grid's children by key, wherever they are.
const RESORT_MS = 5000;

const nameKey = (symbol) => {
  const [exchange, ticker] = symbol.split(':');
  return `${ticker}\u0000${exchange}`; // by ticker, then exchange, as the server orders them
};
const compareText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// A mutation inside a card that adds or changes its instrument name.
function namesInstrument(record) {
  const target = record.target.nodeType === Node.TEXT_NODE ? record.target.parentElement : record.target;
  return Boolean(target?.closest?.('.instrument')) ||
    [...record.addedNodes].some((node) => node.classList?.contains('instrument'));
}

export default {
  template: `<div class="grid-sorter" role="status" :data-pending="pending ? 'held' : null">{{ status }}</div>`,
  // grid: the id of the grid element; quantities: {symbol: quantity held}, for sorting by position value.
  props: { grid: String, mode: String, quantities: Object, filter: String },
  data() {
    return { pending: false, shown: 0, total: 0 };
  },
  computed: {
    status() {
      if (!this.filter.trim() || !this.total) return '';
      return this.shown ? `${this.shown} of ${this.total} tickers shown` : 'No ticker on your list matches the filter.';
    },
  },
  mounted() {
    this.numbers = new Map(); // symbol -> {v, n}: its latest price and change %
    this.dirty = false;
    this.pointerInside = false;
    this.onPrices = (updates) => {
      let firstNumber = false;
      for (const { s, v, n } of updates) {
        const before = this.numbers.get(s);
        firstNumber ||= this.number(before, s) === null && this.number({ v, n }, s) !== null;
        this.numbers.set(s, { v, n });
      }
      if (this.mode === 'name') return;
      this.dirty = true;
      if (firstNumber) this.sortUnlessHeld();
    };
    this.timer = setInterval(() => this.dirty && this.sortUnlessHeld(), RESORT_MS);
    // A new card is filtered and placed by name; a card's instrument name often arrives after the card (with
    // the page's chart series), and the filter matches it too, so a name that appears or changes re-filters.
    this.observer = new MutationObserver((records) => {
      const added = records.some((record) => record.target === this.gridElement && record.addedNodes.length);
      if (added || records.some(namesInstrument)) this.filterCards();
      if (added) this.sort();
    });
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => {
      window.socket.on('prices', this.onPrices);
      this.attach();
    });
  },
  unmounted() {
    window.socket?.off('prices', this.onPrices);
    clearInterval(this.timer);
    this.observer.disconnect();
    this.detach?.();
  },
  watch: {
    grid() {
      this.attach();
    },
    mode() {
      this.sort();
    },
    quantities() {
      if (this.mode === 'value-desc') this.sort();
    },
    filter() {
      this.filterCards();
    },
  },
  methods: {
    attach() {
      this.detach?.();
      this.gridElement = document.getElementById(this.grid);
      if (!this.gridElement) return;
      const grid = this.gridElement;
      const enter = () => (this.pointerInside = true);
      const leave = () => (this.pointerInside = false);
      grid.addEventListener('pointerenter', enter);
      grid.addEventListener('pointerleave', leave);
      this.detach = () => {
        grid.removeEventListener('pointerenter', enter);
        grid.removeEventListener('pointerleave', leave);
      };
      this.observer.disconnect();
      this.observer.observe(grid, { childList: true, subtree: true, characterData: true });
      this.filterCards();
      this.sort();
    },
    cards() {
      return this.gridElement ? [...this.gridElement.children].filter((element) => element.dataset.symbol) : [];
    },
    // The number this sort orders by, or null when the card has none (yet): those go last, by name.
    number(numbers, symbol) {
      if (!numbers) return null;
      if (this.mode === 'value-desc') {
        const quantity = this.quantities[symbol];
        return typeof quantity === 'number' && typeof numbers.v === 'number' ? numbers.v * quantity : null;
      }
      return typeof numbers.n === 'number' ? numbers.n : null;
    },
    compare(a, b) {
      const byName = compareText(nameKey(a), nameKey(b));
      if (this.mode === 'name') return byName;
      const x = this.number(this.numbers.get(a), a);
      const y = this.number(this.numbers.get(b), b);
      if (x === null || y === null) return x === y ? byName : x === null ? 1 : -1;
      const ascending = this.mode === 'change-asc';
      return x === y ? byName : (ascending ? x - y : y - x);
    },
    held() {
      // :focus-visible, not :focus: a button clicked keeps focus after its dialog closes, and would hold
      // the order for good; a keyboard user's focus is where they are reading.
      return this.pointerInside || Boolean(this.gridElement?.querySelector(':focus-visible'));
    },
    sortUnlessHeld() {
      if (this.held()) {
        this.pending = true;
        return;
      }
      this.sort();
    },
    sort() {
      this.dirty = false;
      this.pending = false;
      const grid = this.gridElement;
      if (!grid) return;
      const cards = this.cards();
      const sorted = [...cards].sort((a, b) => this.compare(a.dataset.symbol, b.dataset.symbol));
      if (sorted.every((card, index) => card === cards[index])) return;
      const focused = grid.contains(document.activeElement) ? document.activeElement : null;
      sorted.forEach((card, index) => {
        const here = grid.children[index];
        if (here !== card) grid.insertBefore(card, here);
      });
      focused?.focus({ preventScroll: true }); // moving an element out and in again drops its focus
      this.observer.takeRecords(); // our own moves are no new cards
    },
    filterCards() {
      const wanted = this.filter.trim().toLowerCase();
      const cards = this.cards();
      let shown = 0;
      for (const card of cards) {
        // The symbol (EXCHANGE:TICKER), the card's name ("BTCUSD on BINANCE") and an instrument name if shown.
        const text = [card.dataset.symbol, card.getAttribute('aria-label'), card.dataset.name,
          card.querySelector('.instrument')?.textContent].join(' ').toLowerCase();
        const hidden = Boolean(wanted) && !text.includes(wanted);
        if (card.hidden !== hidden) card.hidden = hidden;
        if (!hidden) shown += 1;
      }
      this.shown = shown;
      this.total = cards.length;
    },
  },
};
