/**
 * Peers this peer convicted by checking a fraud proof (PROTOCOL §7.15), kept across restarts in
 * `convictions.json`: a convicted peer is never proven again, so it must not curate again after
 * a restart either. Written atomically; a file that cannot be read is moved aside with a warning
 * (the convictions are then relearnt from fraud adverts, shown again to a peer on a fraudulent head).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moveAside } from './blobs.ts';
import { errorCode, writeFileAtomic, type WarningSink } from './fs.ts';

export interface Conviction {
  readonly peer: string;
  /** Why, in words (the version that did not recompute, or the false accusation). */
  readonly reason: string;
  /** Unix milliseconds. */
  readonly at: number;
}

export const CONVICTIONS_FILE = 'convictions.json';
/** Most convictions kept (the oldest go first): an allow-listed federation has far fewer members. */
export const MAX_CONVICTIONS = 10_000;

export class ConvictionStore {
  readonly #path: string;
  readonly #corruptDir: string;
  readonly #warn: WarningSink;
  #known: Conviction[] | undefined;
  /** The last write; each waits for the one before. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: { readonly dir: string; readonly corruptDir: string; readonly onWarning: WarningSink }) {
    this.#path = join(options.dir, CONVICTIONS_FILE);
    this.#corruptDir = options.corruptDir;
    this.#warn = options.onWarning;
  }

  /** Every conviction on record, oldest first; none when the file does not exist. */
  async load(): Promise<readonly Conviction[]> {
    if (this.#known !== undefined) return this.#known;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return (this.#known = []);
      throw error;
    }
    const parsed = parseConvictions(text);
    if (typeof parsed === 'string') {
      const movedTo = await moveAside(this.#path, this.#corruptDir, CONVICTIONS_FILE);
      this.#warn(`${this.#path} is not a list of convictions (${parsed}); moved aside${movedTo === undefined ? '' : ` to ${movedTo}`}, starting with none`);
      return (this.#known = []);
    }
    return (this.#known = parsed);
  }

  /** Records a conviction (a peer already convicted is kept once, with its first reason). */
  add(conviction: Conviction): Promise<void> {
    const write = this.#writing.then(async () => {
      const known = [...(await this.load())];
      if (known.some((c) => c.peer === conviction.peer)) return;
      known.push(conviction);
      this.#known = known.slice(-MAX_CONVICTIONS);
      await writeFileAtomic(this.#path, `${JSON.stringify({ version: 1, convicted: this.#known }, null, 2)}\n`);
    });
    this.#writing = write.catch(() => {});
    return write;
  }
}

function parseConvictions(text: string): Conviction[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const root = value as { version?: unknown; convicted?: unknown };
  if (typeof value !== 'object' || value === null || root.version !== 1 || !Array.isArray(root.convicted)) return 'expected {"version": 1, "convicted": [...]}';
  for (const [i, c] of (root.convicted as unknown[]).entries()) {
    const entry = c as Partial<Conviction>;
    if (typeof c !== 'object' || c === null || typeof entry.peer !== 'string' || entry.peer === '' || typeof entry.reason !== 'string' || typeof entry.at !== 'number') {
      return `convicted[${i}] must be {peer, reason, at}`;
    }
  }
  return (root.convicted as Conviction[]).map(({ peer, reason, at }) => ({ peer, reason, at }));
}
