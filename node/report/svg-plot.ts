/**
 * A standalone, dependency-free SVG line chart for reports (the demo's run report, the
 * simulator's one-line-per-algorithm comparisons).
 *
 * - every series has its own colour from the Okabe–Ito colour-blind-safe palette (cycled, with a
 *   dash pattern added on the second and later cycles) and an entry in the legend on the right;
 * - axes get "nice" ticks (steps of 1, 2 or 5 × 10^k) with labels;
 * - a point whose x or y is undefined, NaN or infinite is a gap: the line stops and restarts;
 * - points get markers when the series has at most 50 points; an isolated point (no neighbour
 *   to draw a line to) always gets one, so it never vanishes;
 * - an optional dashed, labelled horizontal reference line (e.g. a target accuracy);
 * - the y range is fixed when given, else fitted to the data (and the reference line) with padding;
 * - all text is XML-escaped; numbers are written with fixed decimals, so the same input always
 *   gives the same bytes.
 */
import { GossipflError } from '../errors.ts';

export interface ChartPoint {
  readonly x: number | undefined;
  readonly y: number | undefined;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface ReferenceLine {
  readonly y: number;
  /** Shown at the right end of the line; defaults to the value. */
  readonly label?: string;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly reference?: ReferenceLine;
  /** Fixed y range [min, max], e.g. [0, 1] for accuracy; otherwise fitted to the data. */
  readonly yRange?: readonly [number, number];
  /** Fixed x range [min, max]; otherwise fitted to the data. */
  readonly xRange?: readonly [number, number];
  /** Pixels; default 720. */
  readonly width?: number;
  /** Pixels; default 420. */
  readonly height?: number;
}

/** Okabe & Ito (2008), ordered for contrast on white; yellow last as it is faint. */
export const PALETTE: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
];
const DASHES: readonly (string | undefined)[] = [undefined, '8 4', '2 3', '8 3 2 3'];

export const MARKER_LIMIT = 50;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const MAX_LEGEND_CHARS = 28;

export function lineChart(options: LineChartOptions): string {
  const width = checkSize(options.width ?? 720, 'width', 240);
  const height = checkSize(options.height ?? 420, 'height', 160);
  const fixedY = options.yRange === undefined ? undefined : checkRange(options.yRange, 'yRange');
  const fixedX = options.xRange === undefined ? undefined : checkRange(options.xRange, 'xRange');
  const reference = options.reference !== undefined && Number.isFinite(options.reference.y) ? options.reference : undefined;

  const names = options.series.map((series) => legendName(series.name));
  const longest = names.reduce((max, name) => Math.max(max, name.length), 0);
  const legendWidth = options.series.length === 0 ? 0 : Math.min(230, 34 + 7 * longest);
  const left = 64;
  const top = 44;
  const right = width - 16 - legendWidth;
  const bottom = height - 52;
  if (right - left < 80 || bottom - top < 60) {
    throw new GossipflError(`chart "${options.title}" is too small for its legend: make it wider than ${width}px`);
  }

  const xs: number[] = [];
  const ys: number[] = [];
  for (const series of options.series) {
    for (const point of series.points) {
      if (isFiniteNumber(point.x) && isFiniteNumber(point.y)) {
        xs.push(point.x);
        ys.push(point.y);
      }
    }
  }
  const hasData = xs.length > 0;
  if (reference !== undefined) ys.push(reference.y);

  const xAxis = fixedX !== undefined ? fixedAxis(fixedX, 6) : autoAxis(xs, 0, 6);
  const yAxis = fixedY !== undefined ? fixedAxis(fixedY, 5) : autoAxis(ys, 0.05, 5);
  const px = (x: number): number => left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * (right - left);
  const py = (y: number): number => bottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * (bottom - top);
  const clipId = `plot-${fnv1a(`${options.title}\u0000${width}x${height}`)}`;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
  );
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    // The clip area is a little larger than the frame so markers on its edge are drawn whole.
    `<defs><clipPath id="${clipId}"><rect x="${n(left - 4)}" y="${n(top - 4)}" width="${n(right - left + 8)}" height="${n(bottom - top + 8)}"/></clipPath></defs>`,
  );
  out.push(`<text x="${n(width / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`);

  // Grid and ticks.
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const tick of yAxis.ticks) out.push(`<line x1="${n(left)}" y1="${n(py(tick))}" x2="${n(right)}" y2="${n(py(tick))}"/>`);
  for (const tick of xAxis.ticks) out.push(`<line x1="${n(px(tick))}" y1="${n(top)}" x2="${n(px(tick))}" y2="${n(bottom)}"/>`);
  out.push('</g>');
  out.push('<g class="ticks" fill="#333333">');
  for (const tick of yAxis.ticks) {
    out.push(`<text x="${n(left - 6)}" y="${n(py(tick) + 4)}" text-anchor="end">${formatTick(tick, yAxis.step)}</text>`);
  }
  for (const tick of xAxis.ticks) {
    out.push(`<text x="${n(px(tick))}" y="${n(bottom + 16)}" text-anchor="middle">${formatTick(tick, xAxis.step)}</text>`);
  }
  out.push('</g>');
  out.push(
    `<rect class="frame" x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="none" stroke="#333333" stroke-width="1"/>`,
  );
  out.push(`<text class="x-label" x="${n((left + right) / 2)}" y="${n(height - 12)}" text-anchor="middle" font-size="13">${escapeXml(options.xLabel)}</text>`);
  out.push(
    `<text class="y-label" x="0" y="0" transform="translate(16 ${n((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(options.yLabel)}</text>`,
  );

  if (!hasData) {
    out.push(`<text class="no-data" x="${n((left + right) / 2)}" y="${n((top + bottom) / 2)}" text-anchor="middle" fill="#777777">no data</text>`);
  }

  // Reference line (drawn only when inside the y range), labelled at the left end where learning
  // curves are usually still far from it; a white halo keeps the label legible over a line.
  if (reference !== undefined && reference.y >= yAxis.min && reference.y <= yAxis.max) {
    const y = n(py(reference.y));
    const label = reference.label ?? formatValue(reference.y);
    out.push(
      `<g class="reference"><line x1="${n(left)}" y1="${y}" x2="${n(right)}" y2="${y}" stroke="#555555" stroke-width="1.5" stroke-dasharray="6 4"/>` +
        `<text x="${n(left + 6)}" y="${n(py(reference.y) - 5)}" fill="#555555" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(label)}</text></g>`,
    );
  }

  // Series.
  options.series.forEach((series, index) => {
    const colour = PALETTE[index % PALETTE.length] ?? '#000000';
    const dash = DASHES[Math.floor(index / PALETTE.length) % DASHES.length];
    const segments = splitAtGaps(series.points);
    const d = segments
      .map((segment) => segment.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(px(p.x))} ${n(py(p.y))}`).join(' '))
      .join(' ');
    out.push(`<g class="series" data-series="${escapeXml(series.name)}" clip-path="url(#${clipId})">`);
    out.push(
      `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash === undefined ? '' : ` stroke-dasharray="${dash}"`}/>`,
    );
    const allMarkers = series.points.length <= MARKER_LIMIT;
    for (const segment of segments) {
      if (!allMarkers && segment.length > 1) continue;
      for (const p of segment) out.push(`<circle cx="${n(px(p.x))}" cy="${n(py(p.y))}" r="3" fill="${colour}"/>`);
    }
    out.push('</g>');
  });

  // Legend.
  if (options.series.length > 0) {
    const lx = right + 14;
    out.push('<g class="legend">');
    names.forEach((name, index) => {
      const colour = PALETTE[index % PALETTE.length] ?? '#000000';
      const dash = DASHES[Math.floor(index / PALETTE.length) % DASHES.length];
      const y = top + 8 + index * 20;
      out.push(
        `<line x1="${n(lx)}" y1="${n(y)}" x2="${n(lx + 22)}" y2="${n(y)}" stroke="${colour}" stroke-width="2"${dash === undefined ? '' : ` stroke-dasharray="${dash}"`}/>` +
          `<circle cx="${n(lx + 11)}" cy="${n(y)}" r="3" fill="${colour}"/>` +
          `<text x="${n(lx + 28)}" y="${n(y + 4)}">${escapeXml(name)}</text>`,
      );
    });
    out.push('</g>');
  }

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/** The 1-2-5 step nearest to `span / count` (so about `count` intervals, never fewer than ~count/1.5). */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * power;
}

/** Ticks: every multiple of `step` within [min, max] (computed from integer indices, so no drift). */
export function niceTicks(min: number, max: number, step: number): number[] {
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last && ticks.length < 1000; i++) ticks.push(roundTo(i * step, step));
  return ticks;
}

function fixedAxis([min, max]: readonly [number, number], count: number): Axis {
  const step = niceStep(max - min, count);
  return { min, max, step, ticks: niceTicks(min, max, step) };
}

/** Fits the values with `padding` (a fraction of the span) on each side, widened to whole ticks. */
function autoAxis(values: readonly number[], padding: number, count: number): Axis {
  let min = values.length === 0 ? 0 : Math.min(...values);
  let max = values.length === 0 ? 1 : Math.max(...values);
  if (max - min === 0) {
    const spread = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= spread;
    max += spread;
  } else {
    const pad = (max - min) * padding;
    // Padding never pushes non-negative data (accuracy, loss, bytes) below zero.
    min = min >= 0 ? Math.max(0, min - pad) : min - pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const lo = roundTo(Math.floor(min / step + 1e-9) * step, step);
  const hi = roundTo(Math.ceil(max / step - 1e-9) * step, step);
  return { min: lo, max: hi, step, ticks: niceTicks(lo, hi, step) };
}

function splitAtGaps(points: readonly ChartPoint[]): { x: number; y: number }[][] {
  const segments: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] = [];
  for (const point of points) {
    if (isFiniteNumber(point.x) && isFiniteNumber(point.y)) {
      current.push({ x: point.x, y: point.y });
    } else if (current.length > 0) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function decimalsFor(step: number): number {
  return Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
}

function roundTo(value: number, step: number): number {
  const factor = 10 ** decimalsFor(step);
  return Math.round(value * factor) / factor + 0; // + 0 turns -0 into 0
}

function formatTick(value: number, step: number): string {
  return noNegativeZero(value.toFixed(decimalsFor(step)));
}

/** A value for a label: up to 6 significant digits, no exponent for ordinary magnitudes. */
function formatValue(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** A coordinate: two decimals. */
function n(value: number): string {
  return noNegativeZero(value.toFixed(2));
}

function noNegativeZero(text: string): string {
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

function isFiniteNumber(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

function legendName(name: string): string {
  const chars = Array.from(name);
  return chars.length > MAX_LEGEND_CHARS ? `${chars.slice(0, MAX_LEGEND_CHARS - 1).join('')}…` : name;
}

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function checkSize(value: number, what: string, minimum: number): number {
  if (!Number.isFinite(value) || value < minimum) {
    throw new GossipflError(`chart ${what} must be a number of pixels ≥ ${minimum}, not ${value}`);
  }
  return value;
}

function checkRange(range: readonly [number, number], what: string): readonly [number, number] {
  const [min, max] = range;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
    throw new GossipflError(`chart ${what} must be two finite numbers [min, max] with min < max, not [${min}, ${max}]`);
  }
  return range;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
