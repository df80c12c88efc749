/**
 * A grouped bar chart as inline SVG: one group of bars per category (mgr, the bare setup, at each
 * worker count), one series per runtime, with a whisker over the middle half of the rounds. No
 * script, no external resource: the report opens anywhere, offline.
 *
 * @module
 */

/** One bar: a category, its median and the middle half of the rounds. */
export interface BarPoint {
  category: string;
  value: number;
  low?: number;
  high?: number;
  /** The tooltip. */
  title: string;
}

/** One runtime's bars. */
export interface BarSeries {
  /** `data-runtime` of the series' group, and its class suffix. */
  key: string;
  color: string;
  points: BarPoint[];
}

/** What {@linkcode renderBarChart} draws. */
export interface BarChart {
  /** `data-chart` of the svg. */
  id: string;
  title: string;
  unit: string;
  categories: string[];
  series: BarSeries[];
}

const WIDTH = 760;
const HEIGHT = 300;
const MARGIN = { top: 30, right: 16, bottom: 46, left: 72 };

/** The chart as an `<svg>` element. */
export function renderBarChart(chart: BarChart): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const highest = Math.max(0, ...chart.series.flatMap((s) => s.points.map((p) => Math.max(p.value, p.high ?? 0))));
  const { max, step } = niceScale(highest);
  const y = (value: number) => MARGIN.top + plotHeight - (value / max) * plotHeight;
  const groupWidth = plotWidth / Math.max(1, chart.categories.length);
  const barWidth = Math.min(48, (groupWidth * 0.8) / Math.max(1, chart.series.length));
  const x = (category: number, series: number) =>
    MARGIN.left + category * groupWidth + (groupWidth - barWidth * chart.series.length) / 2 + series * barWidth;

  const ticks: string[] = [];
  for (let value = 0; value <= max + step / 2; value += step) {
    ticks.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e3e3e3"/>` +
        `<text x="${MARGIN.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#555">${escapeXml(tickLabel(value))}</text>`,
    );
  }
  const labels = chart.categories.map((category, i) =>
    `<text x="${(MARGIN.left + (i + 0.5) * groupWidth).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle" font-size="12" fill="#333">${escapeXml(category)}</text>`
  );
  const series = chart.series.map((s, si) => {
    const bars = s.points.map((point) => {
      const ci = chart.categories.indexOf(point.category);
      if (ci === -1 || !Number.isFinite(point.value)) return "";
      const left = x(ci, si);
      const top = y(point.value);
      const whisker = point.low !== undefined && point.high !== undefined && point.high > point.low
        ? `<line class="whisker" x1="${(left + barWidth / 2).toFixed(1)}" x2="${(left + barWidth / 2).toFixed(1)}" y1="${y(point.low).toFixed(1)}" y2="${y(point.high).toFixed(1)}" stroke="#222" stroke-width="1.5"/>`
        : "";
      return `<rect class="bar" data-category="${escapeXml(point.category)}" data-value="${point.value}" x="${(left + 1).toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${Math.max(0, y(0) - top).toFixed(1)}" fill="${s.color}"><title>${escapeXml(point.title)}</title></rect>${whisker}`;
    });
    return `<g class="series" data-runtime="${escapeXml(s.key)}">${bars.join("")}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeXml(chart.id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(chart.title)}">` +
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="600" fill="#111">${escapeXml(chart.title)}</text>` +
    `<text x="${WIDTH - MARGIN.right}" y="18" text-anchor="end" font-size="11" fill="#555">${escapeXml(chart.unit)}</text>` +
    ticks.join("") + labels.join("") + series.join("") +
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}" stroke="#888"/></svg>`;
}

/** A round top of the axis and the step between its ticks (1, 2 or 5 times a power of ten). */
export function niceScale(highest: number): { max: number; step: number } {
  if (!(highest > 0)) return { max: 1, step: 0.25 };
  const rough = highest / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  return { max: Math.ceil(highest / step) * step, step };
}

function tickLabel(value: number): string {
  if (value >= 1_000_000) return `${+(value / 1_000_000).toFixed(2)}M`;
  if (value >= 10_000) return `${+(value / 1000).toFixed(1)}k`;
  return `${+value.toFixed(3)}`;
}

/** Escapes text for XML and HTML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
