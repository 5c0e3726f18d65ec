// One timer per page for every "2 s ago" on it: each reader re-renders from `clock.now`, the server's time
// as this browser best knows it, once a second. No card holds a timer of its own.
import { reactive } from 'vue';

export const clock = reactive({ now: Date.now() / 1000 });
let timer = null;
let readers = 0;
// Server clock minus this browser's, in seconds. Each server time we are handed (a page's render time, a
// message's) is a lower bound of it, off by how long it travelled: the largest is the best estimate.
let offset = null;

function tick() {
  clock.now = Date.now() / 1000 + (offset ?? 0);
}

export function syncClock(serverTime) {
  if (typeof serverTime !== 'number') return;
  const seen = serverTime - Date.now() / 1000;
  if (offset === null || seen > offset) {
    offset = seen;
    tick();
  }
}

export function useClock() {
  if (readers++ === 0) timer = setInterval(tick, 1000);
}

export function releaseClock() {
  if (--readers === 0) {
    clearInterval(timer);
    timer = null;
  }
}

// "just now", "2 s ago", "5 min ago", "3 h ago", "2 d ago"; '' for never.
export function ago(t) {
  if (typeof t !== 'number') return '';
  const seconds = Math.max(0, Math.floor(clock.now - t));
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}
