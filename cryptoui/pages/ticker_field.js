// The Ticker field: a WAI-ARIA combobox (an editable field with a list of suggestions).
// Typing sends the text to the server as a plain field does ('typed'), and, once typing pauses, asks for
// suggestions ('search'); the server answers with `results`: suggestions for the text in `results.answers`.
// Arrow keys move
// through the list, Enter adds the active suggestion (or, with none active, the text as typed: no search is
// involved), Escape closes the list, a click or tap on a suggestion adds it. Everything shown is plain text.

const DEBOUNCE_MS = 200;
const SEARCHABLE = /^(?:[A-Za-z0-9]{1,20}:)?[A-Za-z0-9._-]{2,20}$/; // the server checks again (search_query.py)

export default {
  template: `
    <div class="ticker-field" ref="root">
      <q-input ref="field" outlined :label="label" :placeholder="placeholder" :model-value="value"
               @update:model-value="typed" :error="shownError ? true : null" :error-message="shownError || ''"
               :hint="hint || undefined" role="combobox" aria-autocomplete="list" :aria-expanded="String(expanded)"
               :aria-controls="listId" :aria-activedescendant="active >= 0 ? optionId(active) : undefined"
               autocomplete="off" autocorrect="off" autocapitalize="characters" spellcheck="false"
               enterkeyhint="go" />
      <ul v-if="expanded" :id="listId" class="suggestions" role="listbox" aria-label="Suggestions">
        <li v-for="(item, index) in items" :key="item.symbol" :id="optionId(index)" role="option"
            :aria-selected="String(index === active)" :class="['suggestion', {active: index === active}]"
            :data-suggestion="item.symbol" @mousedown.prevent @click="choose(index)">
          <span class="suggestion-line">
            <span class="suggestion-ticker"><template v-for="part in item.ticker_parts"><mark v-if="part[1]"
              >{{ part[0] }}</mark><template v-else>{{ part[0] }}</template></template></span>
            <span class="suggestion-exchange">{{ item.exchange }}</span>
            <span v-if="item.kind" class="suggestion-kind">{{ item.kind }}</span>
          </span>
          <span class="suggestion-name"><template v-for="part in item.name_parts"><mark v-if="part[1]"
            >{{ part[0] }}</mark><template v-else>{{ part[0] }}</template></template></span>
        </li>
      </ul>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">{{ announcement }}</div>
    </div>`,
  props: {
    label: String,
    placeholder: String,
    text: Object, // {value, seq}: the server replaces the text (cleared after an add, put back when not found)
    error: Object, // {message, seq}: the server's message about the text; typing hides it
    // {seq, answers, state, items, reveal}: `items` ([{symbol, ticker_parts, name_parts, exchange, kind, ...}])
    // answer the text `answers`; state is 'ok', 'busy', 'unavailable' or 'invalid'; `reveal` opens the list
    // without a keystroke or focus (a symbol that was not found). Every prop arrives again with any update of
    // the element: `seq` says which changes are new.
    results: Object,
  },
  emits: ['typed', 'search', 'submit', 'choose'],
  data() {
    return { value: '', open: false, active: -1, shownError: null, timer: null, listId: `${this.$.uid}-list`,
             items: [], answers: null, state: '' };
  },
  computed: {
    current() {
      return this.answers === this.value;
    },
    suggestions() {
      return this.current ? this.items : [];
    },
    expanded() {
      return this.open && this.suggestions.length > 0;
    },
    hint() {
      if (!this.current || !this.value) return '';
      if (this.state === 'unavailable') {
        return 'Suggestions are unavailable right now; a full symbol such as BINANCE:SOLUSD still works.';
      }
      if (this.state === 'busy') return 'Suggestions are busy; keep typing, or add a full symbol.';
      if (this.state === 'ok' && !this.suggestions.length) return `No suggestions for ${this.value.trim()}.`;
      return '';
    },
    announcement() {
      if (this.expanded) {
        const count = this.suggestions.length;
        return `${count} suggestion${count === 1 ? '' : 's'}. Up and down arrows to choose, Enter to add.`;
      }
      return this.hint;
    },
  },
  watch: {
    text(next, before) {
      if (!before || next.seq !== before.seq) this.replace(next.value);
    },
    error(next, before) {
      if (!before || next.seq !== before.seq) this.shownError = next.message || null;
    },
    results(next, before) {
      if (before && next.seq === before.seq) return;
      this.items = next.items || [];
      this.answers = next.answers;
      this.state = next.state || '';
      this.active = -1;
      this.open = this.suggestions.length > 0 && (next.reveal || this.focused());
    },
  },
  methods: {
    optionId(index) {
      return `${this.listId}-${index}`;
    },
    input() {
      return this.$refs.field && this.$refs.field.getNativeElement();
    },
    focused() {
      return document.activeElement === this.input();
    },
    replace(value) {
      this.value = value || '';
      this.close();
      clearTimeout(this.timer);
    },
    typed(value) {
      this.value = value || '';
      this.shownError = null;
      this.$emit('typed', this.value);
      this.close();
      clearTimeout(this.timer);
      const text = this.value.trim();
      if (SEARCHABLE.test(text)) this.timer = setTimeout(() => this.$emit('search', this.value), DEBOUNCE_MS);
    },
    close() {
      this.open = false;
      this.active = -1;
    },
    choose(index) {
      const item = this.suggestions[index];
      if (!item) return;
      clearTimeout(this.timer);
      this.value = item.symbol;
      this.close();
      this.$emit('typed', this.value);
      this.$emit('choose', item.symbol);
      this.input()?.focus();
    },
    move(step) {
      if (!this.open) {
        if (!this.current || !this.suggestions.length) return;
        this.open = true;
      }
      const count = this.suggestions.length;
      this.active = this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count;
      this.$nextTick(() => document.getElementById(this.optionId(this.active))?.scrollIntoView({ block: 'nearest' }));
    },
    keydown(event) {
      if (event.isComposing) return;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        this.move(event.key === 'ArrowDown' ? 1 : -1);
      } else if (event.key === 'Enter') {
        event.preventDefault();
        if (this.open && this.active >= 0) {
          this.choose(this.active);
        } else {
          clearTimeout(this.timer);
          this.close();
          this.$emit('submit', this.value);
        }
      } else if (event.key === 'Escape' && this.open) {
        event.preventDefault();
        this.close();
      } else if (event.key === 'Tab') {
        this.close();
      }
    },
    outside(event) {
      if (this.open && !this.$refs.root.contains(event.target)) this.close();
    },
  },
  mounted() {
    if (this.text) this.value = this.text.value || '';
    if (this.error && this.error.message) this.shownError = this.error.message;
    this.onKeydown = (event) => this.keydown(event);
    this.onBlur = () => setTimeout(() => { if (!this.focused()) this.close(); }, 0);
    this.onOutside = (event) => this.outside(event);
    const input = this.input();
    input.addEventListener('keydown', this.onKeydown);
    input.addEventListener('blur', this.onBlur);
    document.addEventListener('pointerdown', this.onOutside, true);
  },
  unmounted() {
    clearTimeout(this.timer);
    document.removeEventListener('pointerdown', this.onOutside, true);
  },
};
