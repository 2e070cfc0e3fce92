/**
 * `npm run bench [-- NAME…] [--smoke]`: runs the named benchmarks (all when none is named), each
 * in its own process, prints its tables and goals and writes `bench/results/<name>.json`
 * (`<name>.smoke.json` with --smoke). Exits 1 if a bench failed, 2 on a bad command line.
 * Missed goals are reported, not failures: benchmarks are not tests.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatRecord } from './report.ts';
import { discoverBenches, inRunOrder, runInChild, writeRecord } from './runner.ts';

const USAGE = 'usage: npm run bench [-- NAME…] [--smoke]';

function parseCommandLine(): { names: string[]; smoke: boolean } {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { smoke: { type: 'boolean' } } });
    return { names: positionals, smoke: values.smoke === true };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const { names, smoke } = parseCommandLine();
const known = discoverBenches();
const unknown = names.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.map((name) => `"${name}"`).join(', ')}; known: ${known.join(', ')}\n${USAGE}`);
  process.exit(2);
}

const failed: string[] = [];
for (const bench of names.length > 0 ? inRunOrder(names) : known) {
  console.log(`\n=== ${bench}${smoke ? ' (smoke: figures mean nothing)' : ''} ===`);
  const outcome = await runInChild(bench, { smoke });
  if (outcome.ok) {
    console.log(`\n${formatRecord(outcome.record)}`);
    console.log(`wrote ${relative(process.cwd(), writeRecord(outcome.record))}`);
  } else {
    console.error(`\n${bench} FAILED: ${outcome.error}`);
    failed.push(bench);
  }
}
if (failed.length > 0) {
  console.error(`\n${failed.length} bench(es) failed: ${failed.join(', ')}`);
  process.exit(1);
}
