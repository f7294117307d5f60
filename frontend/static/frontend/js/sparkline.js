/**
 * sparkline.js — draws a row's recent stock levels into its small inline SVG.
 *
 * The SVG (from the row template) holds one polyline and one circle marking the latest level;
 * only their attributes change, so redrawing is cheap.
 */

const WIDTH = 96;
const HEIGHT = 28;
const PAD = 3;

/** Draw `points` ([{seq, stock}], oldest first) into `svg`; zero is always the bottom line. */
export function drawSparkline(svg, points) {
  const line = svg.firstElementChild;
  const dot = svg.lastElementChild;
  if (points.length === 0) {
    line.setAttribute("points", "");
    return;
  }
  // One known level draws as a flat line: nothing is known about before it.
  const levels = points.length === 1 ? [points[0].stock, points[0].stock] : points.map((p) => p.stock);
  const peak = Math.max(1, ...levels);
  const step = (WIDTH - 2 * PAD) / (levels.length - 1);
  const x = (index) => (PAD + index * step).toFixed(1);
  const y = (stock) => (HEIGHT - PAD - (stock / peak) * (HEIGHT - 2 * PAD)).toFixed(1);
  line.setAttribute("points", levels.map((stock, index) => `${x(index)},${y(stock)}`).join(" "));
  dot.setAttribute("cx", x(levels.length - 1));
  dot.setAttribute("cy", y(levels[levels.length - 1]));
}
