// The portfolio panel: each holding's live value, its share of the total and its profit or loss against its
// cost, computed here from the 'prices' and 'status' messages the page already receives (the server sends
// nothing more per tick). Numbers are written as the cards write them: price_decimals, thousands separators,
// a real minus sign, and the symbol's currency.

const decimals = (value) => {
  const size = Math.abs(value || 0);
  return size >= 1 || size === 0 ? 2 : size >= 0.01 ? 4 : 8;
};
const fixed = (value, places) =>
  value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
const amount = (value) => fixed(value, decimals(value));
const signed = (value, places, unit = '') => {
  const rounded = Number(value.toFixed(places));
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : ''}${fixed(Math.abs(rounded), places)}${unit}`;
};
const withCurrency = (text, currency) => (currency ? `${text} ${currency}` : text);

export default {
  // With no holding the panel is its button alone: on a phone the prices are what the first screen is for.
  template: `
    <div v-if="!rows.length" class="portfolio portfolio--empty">
      <q-btn outline rounded no-caps icon="add" label="Add holding" class="tap-target add-holding"
             title="Add what you hold of a ticker on your list to see its live value" @click="$emit('add')" />
    </div>
    <section v-else class="portfolio" aria-labelledby="portfolio-title">
      <div class="portfolio-head">
        <h2 id="portfolio-title" class="portfolio-title">Portfolio</h2>
        <div class="portfolio-total-block">
          <span class="portfolio-total-label">Total</span>
          <span class="portfolio-total" data-testid="portfolio-total">{{ total.text }}</span>
          <span v-if="total.missing" class="portfolio-note">without {{ total.missing }} (no price yet)</span>
        </div>
        <div class="q-space"></div>
        <q-btn outline rounded no-caps icon="add" label="Add holding" class="tap-target add-holding"
               @click="$emit('add')" />
      </div>
      <div class="portfolio-table-wrap">
        <!-- Explicit roles: a phone lays the rows out as blocks, and CSS display alone would drop the
             table's semantics in some browsers. -->
        <table class="portfolio-table" role="table">
          <thead role="rowgroup"><tr role="row">
            <th scope="col" role="columnheader">Holding</th><th scope="col" role="columnheader">Quantity</th>
            <th scope="col" role="columnheader">Value</th><th scope="col" role="columnheader">Share</th>
            <th scope="col" role="columnheader">Profit/loss</th>
          </tr></thead>
          <tbody role="rowgroup">
            <tr v-for="row in view" :key="row.symbol" :data-holding="row.symbol" role="row">
              <th scope="row" role="rowheader">
                <!-- The name is the text itself (hidden words around the visible ones), so what is read out
                     holds what is seen, as voice control needs. -->
                <q-btn flat no-caps dense class="holding-name tap-target" @click="$emit('edit', row.symbol)">
                  <span class="sr-only">Edit holding </span><span class="symbol">{{ row.ticker }}</span><span
                    class="sr-only"> on </span><span class="exchange">{{ row.exchange }}</span>
                </q-btn>
              </th>
              <td class="quantity" role="cell" data-label="Quantity">{{ row.quantityText }}</td>
              <td class="value" role="cell">{{ row.valueText }}</td>
              <td class="share" role="cell" data-label="Share">{{ row.shareText }}</td>
              <td :class="['pl', row.tone]" role="cell" data-label="P/L">{{ row.plText }}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>`,
  // rows: [{symbol, ticker, exchange, quantity, cost, v, currency}], v and currency as known when sent.
  props: { rows: Array },
  emits: ['add', 'edit'],
  data() {
    return { prices: {}, currencies: {} };
  },
  computed: {
    positions() {
      return this.rows.map((row) => {
        const price = this.prices[row.symbol] ?? row.v;
        const currency = this.currencies[row.symbol] ?? row.currency;
        return { ...row, price, currency, value: typeof price === 'number' ? price * row.quantity : null };
      });
    },
    totals() {
      const totals = {};
      for (const { value, currency } of this.positions) {
        if (value !== null) totals[currency] = (totals[currency] || 0) + value;
      }
      return totals;
    },
    total() {
      // Amounts in different currencies are not added up: one total per currency.
      const parts = Object.entries(this.totals).map(([currency, sum]) => withCurrency(amount(sum), currency));
      const missing = this.positions.filter((position) => position.value === null).map((position) => position.ticker);
      return { text: parts.join(' + ') || '—', missing: missing.join(', ') };
    },
    view() {
      return this.positions.map((position) => {
        const { value, price, cost, quantity, currency } = position;
        const row = {
          ...position, name: `${position.ticker} on ${position.exchange}`, tone: 'signed-flat',
          quantityText: quantity.toLocaleString('en-US', { maximumFractionDigits: 8 }),
          valueText: value === null ? '—' : withCurrency(amount(value), currency),
          shareText: value === null || !this.totals[currency]
            ? '—' : `${fixed((value / this.totals[currency]) * 100, 1)}%`,
          plText: '—',
        };
        if (value !== null && typeof cost === 'number') {
          const profit = (price - cost) * quantity;
          const percent = cost > 0 ? ` (${signed(((price - cost) / cost) * 100, 2, '%')})` : '';
          row.plText = withCurrency(signed(profit, decimals(value)), currency) + percent;
          row.tone = profit > 0 ? 'signed-up' : profit < 0 ? 'signed-down' : 'signed-flat';
        }
        return row;
      });
    },
  },
  watch: {
    rows(rows, before) {
      // A holding new here starts from the price it was sent with, not one kept from before it was removed.
      const known = new Set(before.map((row) => row.symbol));
      for (const row of rows) if (!known.has(row.symbol)) delete this.prices[row.symbol];
    },
  },
  mounted() {
    this.onPrices = (updates) => {
      for (const update of updates) {
        if (typeof update.v === 'number' && this.rows.some((row) => row.symbol === update.s)) {
          this.prices[update.s] = update.v;
        }
      }
    };
    this.onStatus = (update) => {
      if (update.currency) this.currencies[update.s] = update.currency;
    };
    // NiceGUI creates window.socket in the root's mounted hook, which runs after ours.
    this.$nextTick(() => {
      window.socket.on('prices', this.onPrices);
      window.socket.on('status', this.onStatus);
    });
  },
  unmounted() {
    window.socket?.off('prices', this.onPrices);
    window.socket?.off('status', this.onStatus);
  },
};
