// What the cards and the chart view compute in the browser, shared by their components: served as the
// 'crypto-ui' module, which each component that imports it registers (esm=BROWSER_MODULES in ticker_card.py).
export { ago, clock, releaseClock, syncClock, useClock } from './clock.js';
export { formatPrice } from './format.js';
export { grow, spanText, sparkPath } from './sparkline.js';
export { roomListeners } from './room.js';
