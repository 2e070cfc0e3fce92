/** Writes a large tabular CSV (for stop-latency tests), streamed so the test process stays small. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface LargeCsv {
  readonly features: readonly string[];
  readonly classes: readonly string[];
  readonly rows: number;
}

/**
 * `rows` rows of `featureCount` numeric columns (two decimals) and a label column `label`
 * whose class depends on the first feature, so a model has something to learn. The values come
 * from a fixed linear congruential sequence: the same file on every run.
 */
export async function writeLargeCsv(path: string, rows: number, featureCount: number): Promise<LargeCsv> {
  const features = Array.from({ length: featureCount }, (_, i) => `f${i}`);
  const classes = ['low', 'high'];
  const out = createWriteStream(path);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${features.join(',')},label\n`);
  let chunk = '';
  for (let row = 0; row < rows; row++) {
    const values = features.map(() => (next() * 10).toFixed(2));
    chunk += `${values.join(',')},${classes[Number(values[0]) > 5 ? 1 : 0]}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
  return { features, classes, rows };
}
