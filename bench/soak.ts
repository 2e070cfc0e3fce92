/**
 * `npm run soak -- sim|real [--smoke]`: long runs that show a peer's memory stays flat and its
 * rounds keep their pace (issue 11). `sim`: 50 simulated peers × 200 rounds in this process
 * (bench/soak/sim.ts). `real`: 10 real peers, one child process each, × 200 rounds on loopback
 * (bench/soak/real.ts). Writes bench/results/soak-sim.json / soak-real.json and a CSV of memory
 * over time beside it; `--smoke` runs seconds and writes only `*.smoke.json`. Not part of
 * `npm test` nor of `npm run bench`.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatRecord } from './report.ts';
import { realSoak } from './soak/real.ts';
import { simSoak } from './soak/sim.ts';
import { startedNow, writeCsv, writeSoakRecord } from './soak/series.ts';

const USAGE = 'usage: npm run soak -- sim|real [--smoke] [--minutes N (real: report after N minutes whatever the round)]';

function parseCommandLine(): { which: 'sim' | 'real'; smoke: boolean; maxMinutes?: number } {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { smoke: { type: 'boolean' }, minutes: { type: 'string' } } });
    const [which, ...rest] = positionals;
    if ((which !== 'sim' && which !== 'real') || rest.length > 0) throw new Error(`expected one of "sim" or "real", got ${positionals.length === 0 ? 'nothing' : positionals.map((p) => `"${p}"`).join(' ')}`);
    const maxMinutes = values.minutes === undefined ? undefined : Number(values.minutes);
    if (maxMinutes !== undefined && !(maxMinutes > 0)) throw new Error(`--minutes must be a positive number, got "${values.minutes}"`);
    return { which, smoke: values.smoke === true, ...(maxMinutes === undefined ? {} : { maxMinutes }) };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const { which, smoke, maxMinutes } = parseCommandLine();
if ((globalThis as { gc?: unknown }).gc === undefined) console.warn('note: run with node --expose-gc (npm run soak does) to sample memory after full collections');
const log = (line: string): void => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
const started = startedNow();
try {
  const { result, csv } = which === 'sim' ? await simSoak({ smoke, log }) : await realSoak({ smoke, log, ...(maxMinutes === undefined ? {} : { maxMinutes }) });
  const bench = `soak-${which}`;
  const { record, path } = writeSoakRecord(bench, smoke, started, result);
  console.log(`\n${formatRecord(record)}`);
  console.log(`wrote ${relative(process.cwd(), path)}`);
  if (!smoke) console.log(`wrote ${relative(process.cwd(), writeCsv(bench, csv.columns, csv.rows))}`);
  process.exit(0);
} catch (error) {
  console.error(`soak ${which} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
