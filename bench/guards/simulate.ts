/**
 * Seeded, pure-statistics simulations of guarded rollouts under production conditions (ramps with
 * a moving baseline, rare signals, a large candidate arm, sticky heavy-tailed users, skewed means,
 * segments). They feed `Evidence` and `stratifiedTripped` directly, as the monitor does, and judge
 * after EVERY outcome. Used by `bench/guards/operating-table.ts` (the docs' table) and by
 * `test/guards/production-*.test.ts` (reduced runs in `npm test`).
 */
import { planAlpha } from '../../src/guards/alpha.js';
import { Evidence } from '../../src/guards/evidence.js';
import { stratifiedTripped, type StratifiedOptions } from '../../src/guards/stratified.js';

/** mulberry32: small, fast, seeded. */
export function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  let u = r();
  while (u <= 1e-300) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** 95% Wilson score interval of k successes in n. */
export function wilson(k: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** One period of a rollout: `requests` calls with `percent` to the candidate. */
export interface Period {
  readonly requests: number;
  /** Candidate share, 0–100. */
  readonly percent: number;
  /** Rate guards: stable and candidate rates (proportions). Mean guards: the candidate's scale factor in `p1`. */
  readonly p0: number;
  readonly p1: number;
}

/** A simulated rollout family. */
export interface Scenario {
  readonly id: string;
  /** Rows of one group run on the same seed (common random numbers): their differences are paired. */
  readonly group?: string;
  /** What the row shows, for the table. */
  readonly label: string;
  /** `false-trip`: the rate must be ≤ `allowed`; `power`: ≥ `allowed`. */
  readonly kind: 'false-trip' | 'power';
  readonly allowed: number;
  readonly periods: readonly Period[];
  /** Guard: `rate` (0/1 outcomes) or `mean` (lognormal outcomes, log scale test). */
  readonly signal: 'rate' | 'mean';
  /** +1 max_increase, −1 max_decrease; `two-sided` = max_change (trips of the decrease side counted when `countSide` is −1). */
  readonly direction: 1 | -1 | 'two-sided';
  /** Threshold: pp for rates, % for means. */
  readonly threshold: number;
  /** Rollout α. Default 0.05. */
  readonly alpha?: number;
  /** Guards sharing the rollout's α (the others never trip here). Default 1. */
  readonly guards?: number;
  /** Segments: outcomes get a uniform label in 0..segments−1; pooled + segment tests (bySegment). */
  readonly segments?: number;
  /** Sticky units: `users` with Pareto(shape) activity; a `heavyShare` of them at `heavyRate`, the rest at `p0`·… (see {@link simulate}). */
  readonly users?: { readonly count: number; readonly paretoShape: number; readonly heavyShare: number; readonly heavyRate: number; readonly lightRate: number };
  /** Lognormal σ of a mean signal (median 100 tokens). */
  readonly sigma?: number;
  /** Feed every period into one phase (the old, pooled engine) — ablation. */
  readonly pooledPhases?: boolean;
  /** Ablations of the test. */
  readonly test?: Partial<Pick<StratifiedOptions, 'variance' | 'clusterRobust' | 'minEvents' | 'tightestAt'>>;
  readonly minSamples?: number;
  /** For two-sided guards: which side's trips count (−1: decrease). */
  readonly countSide?: 1 | -1;
}

/** Result of a batch. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly runs: number;
  readonly trips: number;
  readonly rate: number;
  readonly interval: [number, number];
  /** Candidate samples at the trip, for the runs that tripped. */
  readonly medianSamples: number | null;
  readonly p10: number | null;
  readonly p90: number | null;
  readonly pass: boolean;
}

const K = 64;

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Runs one rollout; returns the candidate samples at the trip, or −1. */
function runOne(s: Scenario, r: () => number): number {
  // Segment labels come from their own stream, so a segmented row sees the same outcomes as its
  // unsegmented twin (paired comparison).
  const rs = rng32(Math.floor(r() * 4294967296));
  const alpha = s.alpha ?? 0.05;
  const guards = s.guards ?? 1;
  const twoSided = s.direction === 'two-sided';
  const segments = s.segments ?? 0;
  // The rollout's α over its guards; the simulated guard is the first one.
  const plan = planAlpha(Array.from({ length: guards }, () => ({ twoSided, bySegment: segments > 0 })), alpha, segments || 10)[0]!;
  const rate = s.signal === 'rate';
  const base: StratifiedOptions = { alpha: plan.pooled, minSamples: s.minSamples ?? 500, ...s.test };
  const segOpts: StratifiedOptions = { ...base, alpha: plan.segment };
  const pooled = new Evidence(2, K);
  const segEv = Array.from({ length: segments }, () => new Evidence(2, K));
  const sides: (1 | -1)[] = twoSided ? [1, -1] : [s.direction as 1 | -1];
  const deltaOf = (side: 1 | -1): number =>
    rate ? s.threshold / 100 : side === 1 ? Math.log1p(s.threshold / 100) : -Math.log1p(-s.threshold / 100);
  const deltas = sides.map(deltaOf);

  // Sticky users.
  const u = s.users;
  let cdf: Float64Array | null = null;
  let userRate: Float64Array | null = null;
  let userU: Float64Array | null = null;
  let userCluster: Int32Array | null = null;
  if (u) {
    cdf = new Float64Array(u.count);
    userRate = new Float64Array(u.count);
    userU = new Float64Array(u.count);
    userCluster = new Int32Array(u.count);
    let acc = 0;
    for (let i = 0; i < u.count; i++) {
      acc += Math.pow(1 - r(), -1 / u.paretoShape);
      cdf[i] = acc;
      userRate[i] = r() < u.heavyShare ? u.heavyRate : u.lightRate;
      userU[i] = r();
      userCluster[i] = Math.floor(r() * K);
    }
    for (let i = 0; i < u.count; i++) cdf[i] = (cdf[i] as number) / acc;
  }
  const sigma = s.sigma ?? 1;
  const mu = Math.log(100);
  let candN = 0;
  for (const period of s.periods) {
    const share = period.percent / 100;
    const phase = s.pooledPhases ? 0 : Math.round(period.percent * 100);
    for (let i = 0; i < period.requests; i++) {
      let arm: number;
      let cluster: number;
      let p: number;
      if (cdf && userRate && userU && userCluster) {
        const x = r();
        let lo = 0;
        let hi = cdf.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((cdf[mid] as number) < x) lo = mid + 1;
          else hi = mid;
        }
        arm = (userU[lo] as number) < share ? 1 : 0;
        cluster = userCluster[lo] as number;
        // The user's own rate; the candidate multiplies it by p1/p0.
        p = (userRate[lo] as number) * (arm === 1 ? period.p1 / period.p0 : 1);
      } else {
        arm = r() < share ? 1 : 0;
        cluster = Math.floor(r() * K);
        p = arm === 1 ? period.p1 : period.p0;
      }
      if (arm === 1) candN++;
      let y: number;
      let raw: number;
      if (rate) {
        y = r() < p ? 1 : 0;
        raw = y;
      } else {
        raw = Math.exp(mu + sigma * gaussian(r)) * (arm === 1 ? period.p1 : 1);
        y = Math.log1p(raw);
      }
      pooled.add(phase, arm, cluster, y, raw);
      let seg: Evidence | undefined;
      if (segments > 0) {
        seg = segEv[Math.floor(rs() * segments)] as Evidence;
        seg.add(phase, arm, cluster, y, raw);
      }
      for (let j = 0; j < sides.length; j++) {
        const side = sides[j] as 1 | -1;
        const d = deltas[j] as number;
        if (stratifiedTripped(pooled, 1, rate, side, d, base) || (seg !== undefined && stratifiedTripped(seg, 1, rate, side, d, segOpts))) {
          if (s.countSide !== undefined && side !== s.countSide) return -1;
          return candN;
        }
      }
    }
  }
  return -1;
}

/** Runs `runs` seeded rollouts of a scenario. */
export function simulate(s: Scenario, runs: number, seed: number): ScenarioResult {
  const r = rng32(seed);
  let trips = 0;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const n = runOne(s, r);
    if (n >= 0) {
      trips++;
      samples.push(n);
    }
  }
  samples.sort((a, b) => a - b);
  const rate = trips / runs;
  return {
    scenario: s,
    runs,
    trips,
    rate,
    interval: wilson(trips, runs),
    medianSamples: quantile(samples, 0.5),
    p10: quantile(samples, 0.1),
    p90: quantile(samples, 0.9),
    pass: s.kind === 'false-trip' ? rate <= s.allowed : rate >= s.allowed,
  };
}

const RAMP = (p0: number, p1: number, q0: number, q1: number, n: number): Period[] => [
  { requests: n, percent: 10, p0, p1 },
  { requests: n, percent: 50, p0: q0, p1: q1 },
];

/** The operating table's scenarios, in table order. `scale` shortens horizons (tests). */
export function scenarios(scale = 1): Scenario[] {
  const n = (x: number): number => Math.round(x * scale);
  const seed: Period[] = [{ requests: n(300_000), percent: 10, p0: 0.004, p1: 0.013 }];
  return [
    // Ramps with a moving baseline.
    { id: 'ramp-aa', group: 'ramp', label: 'ramp 10% → 50%, baseline 0.4% → 2.0% in both arms, A/A, `max_increase: 0.5pp`', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0.5, periods: RAMP(0.004, 0.004, 0.02, 0.02, n(50_000)) },
    { id: 'ramp-aa-0', group: 'ramp', label: 'same, threshold 0', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0, periods: RAMP(0.004, 0.004, 0.02, 0.02, n(50_000)) },
    { id: 'ramp-better', label: 'same ramp, a better candidate (−20% relative), `max_increase: 0.5pp`', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0.5, periods: RAMP(0.004, 0.0032, 0.02, 0.016, n(50_000)) },
    { id: 'ramp-aa-pooled', group: 'ramp', label: 'ablation: same A/A ramp, phases pooled (the old engine\'s counting)', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0.5, pooledPhases: true, periods: RAMP(0.004, 0.004, 0.02, 0.02, n(50_000)) },
    // Rare signal, decrease side.
    { id: 'rare-dec-aa', label: '`max_decrease` on a rare signal (0.4%), A/A, threshold 0', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: -1, threshold: 0, periods: [{ requests: n(200_000), percent: 10, p0: 0.004, p1: 0.004 }] },
    { id: 'rare-dec-at', label: '`max_decrease: 0.1pp`, 0.4% → 0.3% (at the threshold)', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: -1, threshold: 0.1, periods: [{ requests: n(200_000), percent: 10, p0: 0.004, p1: 0.003 }] },
    // Large candidate arm.
    { id: 'big-inc-aa', label: '`max_increase`, candidate is the larger arm (90%), A/A 0.4%, threshold 0', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0, periods: [{ requests: n(200_000), percent: 90, p0: 0.004, p1: 0.004 }] },
    { id: 'big-inc-at', label: '`max_increase: 0.5pp`, candidate 90%, 0.4% → 0.9% (at the threshold)', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0.5, periods: [{ requests: n(200_000), percent: 90, p0: 0.004, p1: 0.009 }] },
    // Sticky heavy-tailed users.
    { id: 'sticky-aa', group: 'sticky', label: 'sticky users (20k, Pareto 1.5 activity), 3% of them refusing 6.9%, A/A, `max_increase`, threshold 0', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0, users: { count: 20_000, paretoShape: 1.5, heavyShare: 0.03, heavyRate: 0.069, lightRate: 0.002 }, periods: [{ requests: n(200_000), percent: 10, p0: 1, p1: 1 }] },
    { id: 'sticky-aa-iid', group: 'sticky', label: 'ablation: same, without the cluster-robust variance', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0, test: { clusterRobust: false }, users: { count: 20_000, paretoShape: 1.5, heavyShare: 0.03, heavyRate: 0.069, lightRate: 0.002 }, periods: [{ requests: n(200_000), percent: 10, p0: 1, p1: 1 }] },
    // Skewed means.
    { id: 'mean-dec-at', label: 'mean, lognormal σ 1.5, `max_change: 10%`, candidate −10% (at the threshold): decrease-side trips', kind: 'false-trip', allowed: 0.025, signal: 'mean', direction: 'two-sided', countSide: -1, sigma: 1.5, threshold: 10, periods: [{ requests: n(100_000), percent: 10, p0: 1, p1: 0.9 }] },
    { id: 'mean-onesided-at', label: 'mean, lognormal σ 1.5, `max_decrease: 10%`, candidate −10%', kind: 'false-trip', allowed: 0.05, signal: 'mean', direction: -1, sigma: 1.5, threshold: 10, periods: [{ requests: n(100_000), percent: 10, p0: 1, p1: 0.9 }] },
    // A/A at several splits, threshold 0.
    ...[1, 10, 50, 90].map(
      (pct): Scenario => ({ id: `aa-${pct}`, label: `A/A at ${pct}%, 0.4%, \`max_increase\`, threshold 0`, kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0, periods: [{ requests: n(200_000), percent: pct, p0: 0.004, p1: 0.004 }] }),
    ),
    { id: 'at-threshold', label: 'at the threshold: 0.4% → 0.9%, `max_increase: 0.5pp`, 10%', kind: 'false-trip', allowed: 0.05, signal: 'rate', direction: 1, threshold: 0.5, periods: [{ requests: n(200_000), percent: 10, p0: 0.004, p1: 0.009 }] },
    // Power.
    { id: 'seed', group: 'seed', label: '**power**: seed regression 0.4% → 1.3% at 10%, one `max_increase: 0.5pp` guard, α 0.05', kind: 'power', allowed: 0.95, signal: 'rate', direction: 1, threshold: 0.5, periods: seed },
    { id: 'seed-segments', group: 'seed', label: '**power**: same, spread over 10 segments, pooled + segment tests sharing α', kind: 'power', allowed: 0.95, signal: 'rate', direction: 1, threshold: 0.5, segments: 10, periods: seed },
    // Costs of each correction (power of the seed regression with one correction changed).
    { id: 'cost-plugin', group: 'seed', label: 'cost: seed regression with the plug-in (Wald) variance instead of the variance under the null', kind: 'power', allowed: 0, signal: 'rate', direction: 1, threshold: 0.5, test: { variance: 'plugin' }, periods: seed },
    { id: 'cost-iid', group: 'seed', label: 'cost: seed regression without the cluster-robust design effect', kind: 'power', allowed: 0, signal: 'rate', direction: 1, threshold: 0.5, test: { clusterRobust: false }, periods: seed },
    { id: 'cost-events', group: 'seed', label: 'cost: seed regression without the event rule (minEvents 0)', kind: 'power', allowed: 0, signal: 'rate', direction: 1, threshold: 0.5, test: { minEvents: 0 }, periods: seed },
    { id: 'cost-3guards', group: 'seed', label: 'cost: seed regression, 3 guards sharing the rollout\'s α', kind: 'power', allowed: 0, signal: 'rate', direction: 1, threshold: 0.5, guards: 3, periods: seed },
    { id: 'cost-sticky', label: 'cost: seed regression with sticky heavy-tailed users (as above, every user ×3.25)', kind: 'power', allowed: 0, signal: 'rate', direction: 1, threshold: 0.5, users: { count: 20_000, paretoShape: 1.5, heavyShare: 0.03, heavyRate: 0.069, lightRate: 0.002 }, periods: [{ requests: n(600_000), percent: 10, p0: 1, p1: 3.25 }] },
  ];
}
