// A card's sparkline: {points: [[t, v], ...] oldest first, step, window} as the server's
// scraper/history.py Sparkline gives it, grown here from the newest point of each 'prices' message.

// A point in the same `step`-long slot of time as the last one replaces it, else it is appended, as the
// server keeps them (one price a second, one close a bar, the last point of each thinned bucket). Comparing
// with the last point's own time instead would never append while prices come faster than one a step: the
// last point would only slide on. Points older than `window` before the newest go; a point older than the
// last (a late message) is ignored.
export function grow(spark, point) {
  if (!Array.isArray(point) || typeof point[1] !== 'number') return;
  const points = spark.points;
  const last = points[points.length - 1];
  if (last && point[0] < last[0]) return;
  const slot = (t) => Math.floor(t / spark.step);
  if (last && slot(point[0]) === slot(last[0])) points.splice(points.length - 1, 1, point);
  else points.push(point);
  const since = point[0] - spark.window;
  let old = 0;
  while (old < points.length - 1 && points[old][0] < since) old++;
  if (old) points.splice(0, old);
}

// How long the points span, for people: "45 s", "3 min", "24h"; "now" for a single moment.
export function spanText(points) {
  if (points.length < 2) return 'now';
  const seconds = points[points.length - 1][0] - points[0][0];
  if (seconds < 1) return 'now';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)}h`;
}

// An SVG path of the points in a width x height box: time across, the points' own min..max up the side
// (a flat line through the middle when they do not move). `area` closes it along the bottom, to fill.
export function sparkPath(points, width, height, area = false) {
  if (!points.length) return '';
  const t0 = points[0][0];
  const span = points[points.length - 1][0] - t0;
  let low = Infinity;
  let high = -Infinity;
  for (const [, v] of points) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  const pad = 1.5; // keeps the stroke inside the box at the extremes
  const x = (t) => (span > 0 ? ((t - t0) / span) * width : width);
  const y = (v) => (high > low ? pad + (1 - (v - low) / (high - low)) * (height - 2 * pad) : height / 2);
  const line = points.length === 1 ? [[0, y(points[0][1])], [width, y(points[0][1])]]
    : points.map(([t, v]) => [x(t), y(v)]);
  const d = line.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(2)} ${py.toFixed(2)}`).join('');
  return area ? `${d}L${width} ${height}L0 ${height}Z` : d;
}
