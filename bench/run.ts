/**
 * One benchmark run (npm run bench; `npm run bench -- --quick` for a smoke run of about a minute): every
 * benchmark of bench/ with its references measured in the same run, one after the other (they share two cores,
 * so never at once). Each stage is its own process writing its own JSON; this collects them into
 * bench/results/bench-<time>.json and regenerates the results table of docs/performance.md (between the
 * markers), every target of the inventory and webhooks issues as measured vs target.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/platform/config/project-paths.js';

const quick = process.argv.includes('--quick');
const RESULTS = join(projectRoot, 'bench', 'results', ...(quick ? ['quick'] : []));
const QUICK_ENV: Record<string, string> = {
  BENCH_RESULTS_DIR: RESULTS,
  BENCH_DURATION_S: '3',
  BENCH_ROUNDS: '1',
  BENCH_LEDGER_ROWS: '200000',
  BENCH_WEBHOOK_EVENTS: '2000',
};
const STAGES = ['framework', 'inventory', 'webhooks'] as const;
type Stage = (typeof STAGES)[number];
const DOC = join(projectRoot, 'docs', 'performance.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function newestResult(stage: Stage): string | undefined {
  mkdirSync(RESULTS, { recursive: true });
  return readdirSync(RESULTS)
    .filter((name) => name.startsWith(`${stage}-`) && name.endsWith('.json'))
    .sort()
    .at(-1);
}

function runStage(stage: Stage): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join('bench', `${stage}.bench.ts`)],
      { cwd: projectRoot, env: { ...process.env, ...(quick ? QUICK_ENV : {}) }, stdio: 'inherit' },
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${stage} benchmark exited with ${code}`)),
    );
  });
}

/** The parts of each stage's JSON the table shows (as the stages write them). */
interface StageResults {
  framework: {
    start: { coldMs: number; warmMs: number };
    http: {
      bareNodeHttpRequestsPerSecond: number;
      healthRequestsPerSecond: number;
      ratio: number;
      authenticatedListRequestsPerSecond: number;
      authenticatedListP99Ms: number;
    };
    memory: { rssBeforeBytes: number; rssPeakUnderLoadBytes: number };
  };
  inventory: {
    singleLineMovements: {
      httpRequestsPerSecond: number[];
      pgbenchLedgerInsertTps: number[];
      ratio: number;
      directPostMovementTps: number[];
      ratioToDirectPosting: number;
    };
    hundredLineMovements: { median: number };
    balanceLookup: {
      ledgerRows: number;
      balanceP50Ms: number;
      balanceP99Ms: number;
      sumOverLedgerP50Ms: number;
      sumOverLedgerP99Ms: number;
      speedupP50: number;
      speedupP99: number;
    };
    fullReconciliation: { seconds: number; ledgerRows: number };
  };
  webhooks: {
    throughput: { deliveriesPerSecond: number; referenceReceiverPostsPerSecond: number; ratio: number };
    latency: { rate: number; commitToDeliveryP50Ms: number; commitToDeliveryP95Ms: number };
  };
}

function table(results: StageResults): string {
  const { framework: f, inventory: i, webhooks: w } = results;
  const fmt = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const rows: string[][] = [
    ['Measure', 'Result', 'Reference (same run)', 'Ratio', 'Target', 'Met'],
    [
      'single-line movements (HTTP)',
      `${fmt(median(i.singleLineMovements.httpRequestsPerSecond))} req/s`,
      `pgbench ledger INSERT ${fmt(median(i.singleLineMovements.pgbenchLedgerInsertTps))} tps`,
      fmt(i.singleLineMovements.ratio, 3),
      '≥ 0.35',
      i.singleLineMovements.ratio >= 0.35 ? 'yes' : 'no',
    ],
    [
      'single-line movements (HTTP) vs the posting alone',
      `${fmt(median(i.singleLineMovements.httpRequestsPerSecond))} req/s`,
      `post_movement() by pgbench ${fmt(median(i.singleLineMovements.directPostMovementTps))} tps`,
      fmt(i.singleLineMovements.ratioToDirectPosting, 3),
      '(what HTTP and Node add)',
      '',
    ],
    [
      '100-line movements (HTTP)',
      `${fmt(i.hundredLineMovements.median)} lines/s`,
      '',
      '',
      '≥ 25,000 lines/s',
      i.hundredLineMovements.median >= 25000 ? 'yes' : 'no',
    ],
    [
      'balance lookup p50 / p99',
      `${fmt(i.balanceLookup.balanceP50Ms, 2)} / ${fmt(i.balanceLookup.balanceP99Ms, 2)} ms`,
      `SUM over ${fmt(i.balanceLookup.ledgerRows)} ledger rows ${fmt(i.balanceLookup.sumOverLedgerP50Ms, 2)} / ${fmt(i.balanceLookup.sumOverLedgerP99Ms, 2)} ms`,
      `${fmt(i.balanceLookup.speedupP50, 1)}× / ${fmt(i.balanceLookup.speedupP99, 1)}×`,
      'p99 < 10 ms, ≥ 10×',
      i.balanceLookup.balanceP99Ms < 10 &&
      i.balanceLookup.speedupP50 >= 10 &&
      i.balanceLookup.speedupP99 >= 10
        ? 'yes'
        : i.balanceLookup.balanceP99Ms < 10 && i.balanceLookup.speedupP50 >= 10
          ? 'p99 < 10 ms and 10× at p50; not 10× at p99'
          : 'no',
    ],
    [
      'full reconciliation',
      `${fmt(i.fullReconciliation.seconds, 1)} s`,
      `${fmt(i.fullReconciliation.ledgerRows)} ledger rows`,
      '',
      '< 60 s (10 M rows)',
      i.fullReconciliation.seconds < 60 ? 'yes' : 'no',
    ],
    [
      'webhook deliveries (backlog)',
      `${fmt(w.throughput.deliveriesPerSecond)}/s`,
      `receiver alone ${fmt(w.throughput.referenceReceiverPostsPerSecond)} POST/s`,
      fmt(w.throughput.ratio, 3),
      '≥ 500/s',
      w.throughput.deliveriesPerSecond >= 500 ? 'yes' : 'no',
    ],
    [
      `webhook commit-to-delivery at ${fmt(w.latency.rate)}/s`,
      `p50 ${fmt(w.latency.commitToDeliveryP50Ms)} ms, p95 ${fmt(w.latency.commitToDeliveryP95Ms)} ms`,
      '',
      '',
      'p95 < 500 ms',
      w.latency.commitToDeliveryP95Ms < 500 ? 'yes' : 'no',
    ],
    [
      'GET /health (HTTP stack, no database)',
      `${fmt(f.http.healthRequestsPerSecond)} req/s`,
      `bare node:http ${fmt(f.http.bareNodeHttpRequestsPerSecond)} req/s`,
      fmt(f.http.ratio, 3),
      '',
      '',
    ],
    [
      'GET /api/items (JWT, tenant transaction)',
      `${fmt(f.http.authenticatedListRequestsPerSecond)} req/s, p99 ${fmt(f.http.authenticatedListP99Ms)} ms`,
      '',
      '',
      '',
      '',
    ],
    [
      'service RSS before / peak under that load',
      `${fmt(f.memory.rssBeforeBytes / 2 ** 20)} / ${fmt(f.memory.rssPeakUnderLoadBytes / 2 ** 20)} MiB`,
      '',
      '',
      '',
      '',
    ],
    ['start to ready (cold / warm)', `${fmt(f.start.coldMs)} / ${fmt(f.start.warmMs)} ms`, '', '', '', ''],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [
    line(rows[0]),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const started = Date.now();
  const files = {} as Record<Stage, string>;
  for (const [index, stage] of STAGES.entries()) {
    log(`stage ${index + 1}/${STAGES.length}: ${stage}${quick ? ' (quick)' : ''}`);
    const before = newestResult(stage);
    await runStage(stage);
    const after = newestResult(stage);
    if (!after || after === before) throw new Error(`${stage} wrote no result file`);
    files[stage] = after;
  }
  const results = Object.fromEntries(
    STAGES.map((stage) => [stage, JSON.parse(readFileSync(join(RESULTS, files[stage]), 'utf8')) as unknown]),
  ) as unknown as StageResults;
  const measuredAt = new Date().toISOString();
  const file = join(RESULTS, `bench-${measuredAt.slice(0, 19).replaceAll(':', '')}.json`);
  writeFileSync(file, `${JSON.stringify({ measuredAt, quick, files, results }, null, 2)}\n`);
  const rendered = table(results);
  process.stdout.write(`${rendered}\n`);

  if (quick) {
    log(
      `quick run in ${((Date.now() - started) / 1000).toFixed(0)} s; ${file} (docs/performance.md left as it is)`,
    );
    return;
  }
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`docs/performance.md has no ${START} … ${END} section`);
  const section =
    `${START}\n\nLatest \`npm run bench\`: ` +
    `\`bench/results/${file.split('/').at(-1)}\`, ${measuredAt.slice(0, 10)}.\n\n${rendered}\n\n`;
  writeFileSync(DOC, doc.slice(0, from) + section + doc.slice(to));
  log(
    `all stages in ${((Date.now() - started) / 1000).toFixed(0)} s; ${file}; docs/performance.md table regenerated`,
  );
}

await main();
