import { tsImport } from 'tsx/esm/api';

/** Prints the results table and regenerates the results section of docs/reliability.md. */
export default async function globalTeardown(): Promise<void> {
  const report = (await tsImport('./results.ts', import.meta.url)) as typeof import('./results.js');
  const results = report.readResults();
  const started = Number(process.env.RELIABILITY_STARTED_AT);
  const seconds = Number.isFinite(started) && started > 0 ? (Date.now() - started) / 1000 : undefined;
  await report.writeReport(results, seconds);
  process.stdout.write(
    `\nReliability suite${seconds === undefined ? '' : ` (${seconds.toFixed(0)} s)`}:\n${report.renderText(results)}\n` +
      `Written to ${report.REPORT_FILE}\n`,
  );
}
