/**
 * Worst time per input over the fuzz suite's inputs (test/fuzz/targets.ts), same seed, more runs:
 * `npm run bench -- fuzz-worst` (PROMPTPIN_FUZZ_SCALE multiplies the runs). A search for the slowest
 * input rather than a mitata trial: each input runs once, cold, and the slowest few are reported
 * with their size so a super-linear case stands out.
 */
import fc from 'fast-check';
import { FUZZ_SEED, runs } from '../test/fuzz/fuzz-support.js';
import { FUZZ_TARGETS } from '../test/fuzz/targets.js';

const scale = 5;
console.log(`fuzz worst case: seed ${FUZZ_SEED}, ${scale}x the test's runs, Node ${process.version}`);
console.log('target | inputs | median µs | p99 µs | worst ms | worst input chars');
let overall = 0;
for (const t of FUZZ_TARGETS) {
  const inputs = fc.sample(t.input, { seed: FUZZ_SEED + 1, numRuns: runs(t.runs * scale) });
  const times: number[] = [];
  let worst = { ms: 0, chars: 0 };
  for (const input of inputs) {
    const t0 = performance.now();
    try {
      t.run(input);
    } catch {
      // Typed rejections are the point; the test asserts their type.
    }
    const ms = performance.now() - t0;
    times.push(ms);
    if (ms > worst.ms) worst = { ms, chars: JSON.stringify(input).length };
  }
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  overall = Math.max(overall, worst.ms);
  console.log(`${t.name} | ${inputs.length} | ${(q(0.5) * 1000).toFixed(0)} | ${(q(0.99) * 1000).toFixed(0)} | ${worst.ms.toFixed(2)} | ${worst.chars}`);
}
console.log(`worst time for any input: ${overall.toFixed(2)} ms`);
