import type { Delivery } from '../../../client/responses.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 220;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 56 };

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString();

/**
 * Outcomes and latency over time, drawn by hand in SVG: one dot per attempt at its time and
 * latency, green when delivered and red otherwise, joined by a latency line in time order.
 * Every label is text content, so nothing from the service is ever parsed as markup.
 */
export function deliveryChart(deliveries: readonly Delivery[]): SVGSVGElement {
  const points = [...deliveries].sort((a, b) => a.attemptedAt - b.attemptedAt);
  const delivered = points.filter((d) => d.outcome === 'delivered').length;
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': `Delivery chart: ${points.length} attempts, ${delivered} delivered, ${points.length - delivered} failed`,
  });
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const first = points[0]?.attemptedAt ?? 0;
  const last = points.at(-1)?.attemptedAt ?? 0;
  const maxLatency = Math.max(1, ...points.map((d) => d.latencyMs));
  const x = (ms: number) => MARGIN.left + (last === first ? plotWidth / 2 : ((ms - first) / (last - first)) * plotWidth);
  const y = (latency: number) => MARGIN.top + plotHeight - (latency / maxLatency) * plotHeight;

  const bottom = MARGIN.top + plotHeight;
  root.append(
    svg('line', { class: 'axis', x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: bottom }),
    svg('line', { class: 'axis', x1: MARGIN.left, y1: bottom, x2: WIDTH - MARGIN.right, y2: bottom }),
    svg('text', { class: 'label', x: MARGIN.left - 6, y: MARGIN.top + 4, 'text-anchor': 'end' }, `${maxLatency} ms`),
    svg('text', { class: 'label', x: MARGIN.left - 6, y: bottom, 'text-anchor': 'end' }, '0 ms'),
    svg('text', { class: 'label', x: 12, y: MARGIN.top + plotHeight / 2, transform: `rotate(-90 12 ${MARGIN.top + plotHeight / 2})`, 'text-anchor': 'middle' }, 'latency'),
  );
  if (points.length === 0) return root;
  root.append(
    svg('text', { class: 'label', x: MARGIN.left, y: HEIGHT - 12 }, clock(first)),
    svg('text', { class: 'label', x: WIDTH - MARGIN.right, y: HEIGHT - 12, 'text-anchor': 'end' }, clock(last)),
    svg('polyline', { class: 'latency', points: points.map((d) => `${x(d.attemptedAt)},${y(d.latencyMs)}`).join(' ') }),
  );
  for (const d of points) {
    const dot = svg('circle', {
      class: d.outcome === 'delivered' ? 'dot-delivered' : 'dot-failed',
      cx: x(d.attemptedAt),
      cy: y(d.latencyMs),
      r: 4,
    });
    dot.append(svg('title', {}, `${clock(d.attemptedAt)}: ${d.outcome}, ${d.statusCode ?? 'no status'}, ${d.latencyMs} ms`));
    root.append(dot);
  }
  return root;
}
