/**
 * Fleet sums vs one instance, seeded, through the export → sum path (evidencePoints of each
 * instance incarnation, summed, snapshotFromPoints, GuardMonitor.mergeEvidence + state()), as the
 * judge does, without Prometheus. Judged every `every` requests.
 *   npx tsx bench/fleet/fleet-sums.ts [--runs=100]
 */
import { evidencePoints, snapshotFromPoints } from '../../src/guards/evidence-points.js';
import { GuardMonitor } from '../../src/guards/monitor.js';
import { rng32 } from '../guards/simulate.js';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 100);
const guards = [{ signal: 'refusal', maxIncrease: 0.5 }];
const every = 400;
const rng = rng32;
function fleetTripped(incarnations: GuardMonitor[]): boolean {
  const pts = incarnations.flatMap((m) => evidencePoints(m.evidence()[0]!.evidence, 'rate'));
  const judge = new GuardMonitor({ guards, minSamples: 500 });
  judge.mergeEvidence(0, snapshotFromPoints(pts, 'rate', 64).snapshot);
  return judge.state().guards[0]!.judgement.tripped;
}
/** Fleet requests when instance 0's own (local) guard tripped, in the last 4-instance run. */
let localTripAt: number | null = null;
/** Returns [candidate samples at trip (fleet-wide), requests at trip] or null. */
function run(seed: number, instances: number, candRate: number, restart: boolean, max = 300_000, untilLocal = false): [number, number] | null {
  localTripAt = null;
  let fleetAt: [number, number] | null = null;
  const r = rng(seed);
  let live = Array.from({ length: instances }, () => new GuardMonitor({ guards, minSamples: 500, keepCounting: true }));
  const all = [...live];
  let cand = 0;
  for (let i = 1; i <= max; i++) {
    const c = r() < 0.1;
    if (c) cand++;
    live[i % instances]!.record(c ? 'candidate' : 'stable', { refusal: r() < (c ? candRate : 0.004) }, 0, { phase: 1000, cluster: Math.floor(r() * 64) });
    if (restart && i === max / 2) {
      // Instance 0 restarts: a new incarnation from zero; the old one's last export stays in the sum.
      const fresh = new GuardMonitor({ guards, minSamples: 500, keepCounting: true });
      live = [fresh, ...live.slice(1)];
      all.push(fresh);
    }
    if (localTripAt === null && live[0]!.tripped !== null) localTripAt = i;
    if (fleetAt === null && i % every === 0 && fleetTripped(all)) fleetAt = [cand, i];
    if (fleetAt !== null && (!untilLocal || localTripAt !== null)) return fleetAt;
  }
  return fleetAt;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const one: number[] = [];
const four: number[] = [];
const perInstanceReq: number[] = [];
const fleetReq: number[] = [];
for (let s = 0; s < runs; s++) {
  const a = run(1000 + s, 1, 0.013, false);
  const b = run(1000 + s, 4, 0.013, false, 1_200_000, true);
  if (a) one.push(a[0]);
  if (b) {
    four.push(b[0]);
    fleetReq.push(b[1]);
  }
  // The per-instance guard alone: instance 0's own monitor, on its quarter of the same traffic.
  if (localTripAt !== null) perInstanceReq.push(localTripAt);
}
let aa = 0;
const aaRuns = runs;
for (let s = 0; s < aaRuns; s++) if (run(9000 + s, 4, 0.004, true, 100_000)) aa++;
const oneReq = median(fleetReq);
console.log(`seed regression 0.4% → 1.3% at 10%, refusal:+0.5pp, judged every ${every} requests, ${runs} runs`);
console.log(`one instance, all traffic: trips ${one.length}/${runs}, median candidate samples ${median(one)}`);
console.log(`four instances, fleet sums: trips ${four.length}/${runs}, median candidate samples ${median(four)} (ratio ${(median(four) / median(one)).toFixed(3)})`);
console.log(`per-instance guard alone (instance 0, a quarter of the traffic): tripped ${perInstanceReq.length}/${runs}, median fleet requests until it trips ${median(perInstanceReq)} vs ${oneReq} for the fleet judge (${(median(perInstanceReq) / oneReq).toFixed(2)}×)`);
console.log(`fleet A/A, 4 instances, one restarted mid-rollout, 100,000 requests: false trips ${aa}/${aaRuns} (α = 0.05)`);
