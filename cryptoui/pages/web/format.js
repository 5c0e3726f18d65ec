// Prices as the server writes them (scraper/parsing.py format_price): thousands separators, and the source's
// decimals, or enough to see a small coin move when it named none.
export function priceDecimals(value) {
  const magnitude = Math.abs(value || 0);
  return magnitude >= 1 || magnitude === 0 ? 2 : magnitude >= 0.01 ? 4 : 8;
}

export function formatPrice(value, decimals) {
  if (typeof value !== 'number') return '';
  const digits = typeof decimals === 'number' ? decimals : priceDecimals(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
