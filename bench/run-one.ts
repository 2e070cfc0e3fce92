/**
 * The child process of the runner: `node bench/run-one.ts NAME [--smoke]` runs one bench and
 * sends its result (or its error) to the parent over IPC, then exits even if the bench left
 * handles open.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChildMessage } from './runner.ts';
import type { Bench, BenchResult } from './types.ts';

const [name, ...flags] = process.argv.slice(2);
const smoke = flags.includes('--smoke');

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
      resolve();
    } else {
      process.send(message, () => resolve());
    }
  });
}

/** The TF.js backend in use, if TF.js was loaded (tfjs-core keeps its engine on the global object). */
function tfBackend(): string | null {
  const engine = (globalThis as { _tfengine?: { backendName?: string | null } })._tfengine;
  return engine?.backendName ?? null;
}

function checkResult(result: BenchResult): BenchResult {
  const problems: string[] = [];
  if (typeof result?.summary !== 'string') problems.push('summary is not a string');
  if (!Array.isArray(result?.tables)) problems.push('tables is not an array');
  if (result?.figures === null || typeof result?.figures !== 'object') problems.push('figures is not an object');
  if (!Array.isArray(result?.goals)) problems.push('goals is not an array');
  if (problems.length > 0) throw new Error(`bench "${name}" returned a malformed result: ${problems.join('; ')}`);
  return result;
}

async function main(): Promise<ChildMessage> {
  const file = join(import.meta.dirname, `${name}.bench.ts`);
  const bench = ((await import(pathToFileURL(file).href)) as { default?: Bench }).default;
  if (bench === undefined || typeof bench.run !== 'function') throw new Error(`${file} does not default-export a Bench`);
  const result = checkResult(await bench.run({ smoke, log: (line) => console.log(`  ${line}`) }));
  return { kind: 'result', description: bench.description, result, node: process.version, backend: tfBackend() };
}

const message = await main().catch((error: unknown): ChildMessage => ({
  kind: 'error',
  error: error instanceof Error ? (error.stack ?? error.message) : String(error),
}));
await send(message);
process.exit(message.kind === 'result' ? 0 : 1);
