/** Reports: CSV tables, SVG line charts, and the run report folder. */
export { toCsv, csvField, type CsvCell } from './csv.ts';
export {
  lineChart,
  escapeXml,
  niceStep,
  niceTicks,
  PALETTE,
  MARKER_LIMIT,
  type ChartPoint,
  type ChartSeries,
  type LineChartOptions,
  type ReferenceLine,
} from './svg-plot.ts';
export {
  writeRunReport,
  summarize,
  roundsCsv,
  historyText,
  accuracyByRoundChart,
  accuracyByBytesChart,
  ReportFolderError,
  REPORT_FILES,
  REPORT_FORMAT,
  ROUND_COLUMNS,
  type RunReport,
  type RoundRecord,
  type HistoryRecord,
  type HistoryContributor,
  type RunSummary,
  type NamedRounds,
} from './run-report.ts';
