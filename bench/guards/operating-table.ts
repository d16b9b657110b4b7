/**
 * Prints the guards' operating table (docs/guards-method.md §5): seeded, pure-statistics
 * simulations of rollouts under production conditions, each judged after every outcome.
 *
 *   npx tsx bench/guards/operating-table.ts          # 200 rollouts per row (100 for the costs)
 *   npx tsx bench/guards/operating-table.ts --full   # 1,000 per false-trip row, 500 per power row
 *   npx tsx bench/guards/operating-table.ts --only seed,ramp-aa
 */
import { scenarios, simulate, type ScenarioResult } from './simulate.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',') : null;
const runsArg = args.find((a) => a.startsWith('--runs='));

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const int = (x: number | null): string => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));

function row(r: ScenarioResult, pooledMedian: number | null): string {
  const s = r.scenario;
  const [lo, hi] = r.interval;
  const rate = `${r.trips}/${r.runs} = **${pct(r.rate)}** [${pct(lo)}, ${pct(hi)}]`;
  const allowed = s.kind === 'false-trip' ? `≤ ${pct(s.allowed)}` : s.allowed > 0 ? `≥ ${pct(s.allowed)}` : '–';
  let samples = r.medianSamples === null ? '–' : `${int(r.medianSamples)} (p10 ${int(r.p10)}, p90 ${int(r.p90)})`;
  if (s.kind === 'power' && pooledMedian && r.medianSamples !== null && s.id !== 'seed') samples += ` = ${(r.medianSamples / pooledMedian).toFixed(2)}× seed`;
  const verdict = s.allowed === 0 ? '' : s.label.startsWith('ablation') ? (r.pass ? 'ablation passes' : 'ablation: fails, as expected') : r.pass ? 'ok' : '**FAIL**';
  return `| ${s.label} | ${rate} | ${allowed} | ${samples} | ${verdict} |`;
}

/** A row's seed: from its group (or id), so rows of one group see the same rollouts. */
function seedOf(key: string): number {
  let h = 0x9e3779b1;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const started = Date.now();
const lines = [
  '| condition | trips / rollouts = rate [95% Wilson] | allowed | candidate samples at trip: median (p10, p90) | |',
  '| --- | --- | --- | --- | --- |',
];
let seedMedian: number | null = null;
let failed = 0;
scenarios().forEach((s) => {
  if (only && !only.includes(s.id)) return;
  const runs = runsArg ? Number(runsArg.split('=')[1]) : s.allowed === 0 ? (full ? 500 : 100) : s.kind === 'power' ? (full ? 500 : 200) : full ? 1000 : 200;
  const r = simulate(s, runs, seedOf(s.group ?? s.id));
  if (s.id === 'seed') seedMedian = r.medianSamples;
  if (s.allowed !== 0 && !s.label.startsWith('ablation') && !r.pass) failed++;
  lines.push(row(r, seedMedian));
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${s.id}: ${r.trips}/${r.runs} median ${r.medianSamples}\n`);
});
console.log(lines.join('\n'));
console.log(`\n(${full ? 'full' : 'default'} run; α 0.05 per rollout; minSamples 500, minEvents 10, K = 64 pseudo-clusters; judged after every outcome)`);
process.exit(failed ? 1 : 0);
