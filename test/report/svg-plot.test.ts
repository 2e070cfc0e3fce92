import { describe, expect, it } from 'vitest';
import { GossipflError } from '../../node/errors.ts';
import { escapeXml, lineChart, niceStep, niceTicks, PALETTE, type LineChartOptions } from '../../node/report/svg-plot.ts';
import { checkXml } from './xml-check.ts';

const base: LineChartOptions = {
  title: 'MNIST: accuracy by round',
  xLabel: 'round',
  yLabel: 'test accuracy',
  series: [
    { name: 'FedAvg', points: [1, 2, 3, 4, 5].map((x) => ({ x, y: 0.5 + x * 0.08 })) },
    { name: 'FedAdam', points: [1, 2, 3, 4, 5].map((x) => ({ x, y: 0.4 + x * 0.1 })) },
  ],
  reference: { y: 0.92, label: 'target 0.92' },
  yRange: [0, 1],
};

function seriesPaths(svg: string): string[] {
  return [...svg.matchAll(/<g class="series"[^>]*>\n<path d="([^"]*)"/g)].map((m) => m[1] ?? '');
}

describe('lineChart', () => {
  it('is well-formed SVG with title, labels, legend, one path per series and the reference line', () => {
    const svg = lineChart(base);
    const elements = checkXml(svg);
    expect(elements.filter((e) => e === 'path')).toHaveLength(2);
    expect(svg).toContain('<title>MNIST: accuracy by round</title>');
    expect(svg).toContain('>round</text>');
    expect(svg).toContain('>test accuracy</text>');
    expect(svg).toMatch(/<g class="legend">[\s\S]*>FedAvg<\/text>[\s\S]*>FedAdam<\/text>/);
    expect(svg).toMatch(/<g class="reference"><line [^>]*stroke-dasharray="6 4"\/><text [^>]*>target 0\.92<\/text><\/g>/);
    expect(svg).toContain(`stroke="${PALETTE[0]}"`);
    expect(svg).toContain(`stroke="${PALETTE[1]}"`);
    // Five points each, so markers on every point.
    expect(elements.filter((e) => e === 'circle')).toHaveLength(10 + 2 /* legend */);
    // Fixed y range: tick labels 0.0 … 1.0 in 0.2 steps.
    for (const tick of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) expect(svg).toContain(`>${tick}</text>`);
  });

  it('is deterministic', () => {
    expect(lineChart(base)).toBe(lineChart(structuredClone(base)));
  });

  it('escapes <, & and > in text and attributes', () => {
    const svg = lineChart({ ...base, title: 'a < b & c > d', series: [{ name: '"x" & <y>', points: [{ x: 1, y: 0.5 }] }] });
    checkXml(svg);
    expect(svg).toContain('<title>a &lt; b &amp; c &gt; d</title>');
    expect(svg).toContain('data-series="&quot;x&quot; &amp; &lt;y&gt;"');
    expect(svg).not.toContain('a < b');
    expect(escapeXml('\u0001ok')).toBe('\uFFFDok');
  });

  it('handles no series, empty series and a single point', () => {
    const none = lineChart({ ...base, series: [], reference: undefined, yRange: undefined });
    checkXml(none);
    expect(none).toContain('no data');
    const empty = lineChart({ ...base, series: [{ name: 'empty', points: [] }] });
    checkXml(empty);
    expect(seriesPaths(empty)).toEqual(['']);
    const single = lineChart({ ...base, series: [{ name: 'one', points: [{ x: 3, y: 0.7 }] }], yRange: undefined });
    checkXml(single);
    expect(single).not.toContain('NaN');
    expect(single.match(/<circle /g)).toHaveLength(2); // the point and the legend marker
  });

  it('breaks the line at NaN / undefined values and marks isolated points', () => {
    const points = [
      { x: 1, y: 0.1 },
      { x: 2, y: 0.2 },
      { x: 3, y: Number.NaN },
      { x: 4, y: 0.4 },
      { x: 5, y: undefined },
      { x: 6, y: 0.6 },
      { x: 7, y: 0.7 },
    ];
    const many = Array.from({ length: 60 }, (_, i) => ({ x: i, y: i === 30 ? undefined : i / 60 }));
    many[31] = { x: 31, y: 0.5 };
    many[32] = { x: 32, y: Number.NaN };
    const svg = lineChart({ ...base, series: [{ name: 'gappy', points }, { name: 'many', points: many }] });
    checkXml(svg);
    expect(svg).not.toContain('NaN');
    const [gappy, long] = seriesPaths(svg);
    expect(gappy?.match(/M/g)).toHaveLength(3);
    expect(long?.match(/M/g)).toHaveLength(3);
    // gappy: 5 markers; many (> 50 points): only the isolated point at x = 31; plus 2 legend markers.
    expect(svg.match(/<circle /g)).toHaveLength(5 + 1 + 2);
  });

  it('fits the y range to the data with padding, including the reference line', () => {
    const svg = lineChart({ ...base, yRange: undefined, series: [{ name: 'loss', points: [{ x: 0, y: 2.3 }, { x: 10, y: 0.4 }] }], reference: undefined });
    checkXml(svg);
    // 0.4…2.3 padded by 5% stays ≥ 0 and snaps to 0.5 steps: 0.0 … 2.5.
    expect(svg).toContain('>0.0</text>');
    expect(svg).toContain('>2.5</text>');
    expect(svg).not.toContain('>-0.5</text>');
    const withRef = lineChart({ ...base, yRange: undefined, series: [{ name: 'a', points: [{ x: 0, y: 0.3 }, { x: 1, y: 0.5 }] }] });
    expect(withRef).toContain('target 0.92');
  });

  it('honours width and height and rejects bad options with a GossipflError', () => {
    expect(lineChart({ ...base, width: 1000, height: 500 })).toMatch(/^<svg [^>]*width="1000" height="500"/);
    expect(() => lineChart({ ...base, yRange: [1, 0] })).toThrow(GossipflError);
    expect(() => lineChart({ ...base, width: 10 })).toThrow(GossipflError);
  });
});

describe('nice ticks', () => {
  it('uses 1-2-5 steps', () => {
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(20, 6)).toBe(5);
    expect(niceStep(37, 6)).toBe(5);
    expect(niceStep(2.6, 5)).toBe(0.5);
    expect(niceStep(0.013, 5)).toBe(0.002);
    expect(niceStep(700, 5)).toBe(100);
    expect(niceTicks(0, 1, 0.2)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.05, 0.31, 0.1)).toEqual([0.1, 0.2, 0.3]);
  });
});
