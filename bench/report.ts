/** Plain-text printout of a bench record: its tables with aligned columns, then its goals. */
import { machineLine } from './machine.ts';
import type { BenchRecord } from './runner.ts';
import type { BenchTable } from './types.ts';

/** Numbers right-aligned, text left-aligned; a rule under the header. */
export function formatTable(table: BenchTable): string {
  const cells = [table.columns.map(String), ...table.rows.map((row) => row.map(formatCell))];
  const widths = table.columns.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const numeric = table.columns.map((_, column) => table.rows.length > 0 && table.rows.every((row) => typeof row[column] === 'number'));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (numeric[column] === true ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = cells;
  return [table.title, line(header ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** Up to 4 significant digits, no exponent for everyday magnitudes. */
export function formatCell(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const digits = Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 1 ? 3 - Math.floor(Math.log10(Math.abs(value))) : 4;
  return value.toFixed(Math.min(digits, 6));
}

export function formatRecord(record: BenchRecord): string {
  const goals = record.goals.map((goal) => `  [${goal.met ? 'met' : 'MISSED'}] ${goal.goal}: ${goal.measured}`);
  return [
    record.summary,
    ...record.tables.map((table) => `\n${formatTable(table)}`),
    '',
    'Goals:',
    ...(goals.length > 0 ? goals : ['  (none stated)']),
    '',
    `${machineLine(record.machine)}; Node ${record.node}${record.backend === null ? '' : `; TF.js backend ${record.backend}`}; ${record.seconds.toFixed(1)} s`,
  ].join('\n');
}
