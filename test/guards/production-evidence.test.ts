/** The production guard engine: additive evidence, stratification, null variance, cluster-robust variance, α plan. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planAlpha } from '../../src/guards/alpha.js';
import { clusterOf, DEFAULT_CLUSTERS, Evidence, MAX_PHASES } from '../../src/guards/evidence.js';
import { judgeStratified, stratifiedTripped, type StratifiedOptions } from '../../src/guards/stratified.js';
import { bucketOf } from '../../src/resolve/bucket.js';
import { mulberry32 } from '../support/random.js';

const OPTS: StratifiedOptions = { alpha: 0.05, minSamples: 1, minEvents: 0 };
const outcome = fc.record({
  phase: fc.constantFrom(1000, 2500, 5000),
  arm: fc.integer({ min: 0, max: 2 }),
  cluster: fc.integer({ min: 0, max: 7 }),
  y: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 20, noNaN: true })),
});

describe('Evidence: additive sufficient statistics', () => {
  it('should make two instances summed equal one instance that saw both streams (any split of any stream)', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 200 }), fc.array(fc.boolean(), { maxLength: 200 }), (stream, side) => {
        const one = new Evidence(3, 8);
        const a = new Evidence(3, 8);
        const b = new Evidence(3, 8);
        stream.forEach((o, i) => {
          one.add(o.phase, o.arm, o.cluster, o.y);
          (side[i] ? a : b).add(o.phase, o.arm, o.cluster, o.y);
        });
        const merged = Evidence.fromJSON(a.toJSON()).merge(b);
        const byKey = (e: Evidence) => Object.fromEntries(e.toJSON().phases.map((p) => [p.key, p.cells]));
        const want = byKey(one);
        const got = byKey(merged);
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
        for (const k of Object.keys(want)) got[k]!.forEach((v, i) => expect(v).toBeCloseTo(want[k]![i]!, 9));
        // The derived aggregates, hence every judgement, agree too.
        for (const arm of [1, 2]) {
          const j1 = judgeStratified(one, arm, false, 1, 0, OPTS);
          const j2 = judgeStratified(merged, arm, false, 1, 0, OPTS);
          if (Number.isNaN(j1.estimate)) expect(j2.estimate).toBeNaN();
          else {
            expect(j2.estimate).toBeCloseTo(j1.estimate, 9);
            expect(j2.lower).toBeCloseTo(j1.lower, 6);
          }
        }
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it('should keep a bounded state whatever the number of users, and drop (and count) phases past the limit', () => {
    const ev = new Evidence();
    for (let i = 0; i < 100_000; i++) ev.add(1000, i % 2, clusterOf(`user-${i}`), i % 97 === 0 ? 1 : 0);
    const snap = ev.toJSON();
    expect(snap.phases).toHaveLength(1);
    expect(snap.phases[0]!.cells).toHaveLength(2 * DEFAULT_CLUSTERS * 4);
    for (let p = 0; p < MAX_PHASES + 3; p++) ev.add(p + 1, 0, 0, 0);
    expect(ev.phaseCount).toBe(MAX_PHASES);
    expect(ev.dropped).toBe(4);
    expect(() => new Evidence(2, 8).merge(new Evidence(2, 16))).toThrow(RangeError);
  });

  it('should hash units to clusters independently of their arm (distinct seed)', () => {
    const perCluster = new Array(DEFAULT_CLUSTERS).fill(0);
    const candPerCluster = new Array(DEFAULT_CLUSTERS).fill(0);
    for (let i = 0; i < 64_000; i++) {
      const id = `u${i}`;
      const c = clusterOf(id);
      perCluster[c]++;
      if (bucketOf('greet@2', id) < 1000) candPerCluster[c]++;
    }
    for (let c = 0; c < DEFAULT_CLUSTERS; c++) {
      expect(perCluster[c]).toBeGreaterThan(850);
      expect(perCluster[c]).toBeLessThan(1150);
      expect(candPerCluster[c] / perCluster[c]).toBeGreaterThan(0.06);
      expect(candPerCluster[c] / perCluster[c]).toBeLessThan(0.14);
    }
  });
});

describe('stratified test', () => {
  it('should compare arms only within a phase: a baseline that moves with the ramp does not show as a difference', () => {
    const ev = new Evidence();
    const pooled = new Evidence();
    // Phase 10%: 0.4% in both arms; phase 50%: 2.0% in both arms.
    const feed = (phase: number, nStable: number, nCand: number, p: number) => {
      for (const [arm, n] of [[0, nStable], [1, nCand]] as const) {
        for (let i = 0; i < n; i++) {
          const y = i < Math.round(n * p) ? 1 : 0;
          ev.add(phase, arm, i % 64, y);
          pooled.add(0, arm, i % 64, y);
        }
      }
    };
    feed(1000, 45_000, 5_000, 0.004);
    feed(5000, 25_000, 25_000, 0.02);
    const opts: StratifiedOptions = { alpha: 0.05, minSamples: 500 };
    const strat = judgeStratified(ev, 1, true, 1, 0.005, opts);
    expect(strat.estimate).toBeCloseTo(0, 10);
    expect(strat.phases).toBe(2);
    expect(strat.tripped).toBe(false);
    const naive = judgeStratified(pooled, 1, true, 1, 0.005, opts);
    expect(naive.estimate).toBeGreaterThan(0.007); // Simpson: 1.73% vs 0.97%
    expect(naive.tripped).toBe(true);
  });

  it('should not collapse with zero events in an arm: the variance is taken under the null', () => {
    const ev = new Evidence();
    for (let i = 0; i < 2_250; i++) ev.add(1000, 0, i % 64, i < 9 ? 1 : 0); // 0.4%
    for (let i = 0; i < 250; i++) ev.add(1000, 1, i % 64, 0); // no event
    const opts: StratifiedOptions = { alpha: 0.05, minSamples: 100, minEvents: 0 };
    const dec = judgeStratified(ev, 1, true, -1, 0, opts);
    expect(dec.estimate).toBeCloseTo(0.004, 10);
    expect(dec.tripped).toBe(false);
    // The plug-in (Wald) variance sees only the stable arm's variance there: much narrower.
    const wald = judgeStratified(ev, 1, true, -1, 0, { ...opts, variance: 'plugin' });
    expect(wald.estimate - wald.lower).toBeLessThan(dec.estimate - dec.lower);
  });

  it('should wait for minEvents events (both arms) before judging a rate', () => {
    const ev = new Evidence();
    for (let i = 0; i < 600; i++) ev.add(1000, 0, i % 64, 0);
    for (let i = 0; i < 600; i++) ev.add(1000, 1, i % 64, i < 9 ? 1 : 0);
    const j = judgeStratified(ev, 1, true, 1, 0, { alpha: 0.05, minSamples: 500 });
    expect(j.reason).toBe('insufficient-events');
    expect(j.events).toBe(9);
    expect(stratifiedTripped(ev, 1, true, 1, 0, { alpha: 0.05, minSamples: 500 })).toBe(false);
  });

  it('should widen the bound by the design effect when a unit (cluster) carries many correlated events', () => {
    const spread = new Evidence();
    const clumped = new Evidence();
    const rand = mulberry32(3);
    for (let i = 0; i < 20_000; i++) {
      const arm = rand() < 0.5 ? 1 : 0;
      const y = rand() < 0.02 ? 1 : 0;
      spread.add(5000, arm, Math.floor(rand() * 64), y);
      // Same counts, but every event of an arm lands in cluster 0 (one heavy user).
      clumped.add(5000, arm, y === 1 ? 0 : Math.floor(rand() * 64), y);
    }
    const a = judgeStratified(spread, 1, true, 1, 0, OPTS);
    const b = judgeStratified(clumped, 1, true, 1, 0, OPTS);
    expect(a.designEffect).toBeLessThan(1.5);
    expect(b.designEffect).toBeGreaterThan(10);
    expect(b.estimate).toBe(a.estimate);
    expect(b.upper - b.lower).toBeGreaterThan(3 * (a.upper - a.lower));
    const noRobust = judgeStratified(clumped, 1, true, 1, 0, { ...OPTS, clusterRobust: false });
    expect(noRobust.designEffect).toBe(1);
  });

  it('should agree between the allocation-free decision and the judgement (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 1, maxLength: 300 }), fc.constantFrom(1, -1) as fc.Arbitrary<1 | -1>, fc.double({ min: 0, max: 0.2, noNaN: true }), (stream, side, delta) => {
        const ev = new Evidence(3, 8);
        for (const o of stream) ev.add(o.phase, o.arm, o.cluster, o.y > 1 ? 1 : Math.round(o.y));
        const opts: StratifiedOptions = { alpha: 0.05, minSamples: 5, minEvents: 2 };
        expect(stratifiedTripped(ev, 1, true, side, delta, opts)).toBe(judgeStratified(ev, 1, true, side, delta, opts).tripped);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('planAlpha: the rollout α is shared by its guards, sides and segments', () => {
  it('should split α over guards (Bonferroni), halve it per side, and give a segmented guard\'s pooled test half', () => {
    const plan = planAlpha([{ twoSided: false, bySegment: false }, { twoSided: true, bySegment: false }, { twoSided: false, bySegment: true }], 0.06, 10);
    expect(plan[0]).toEqual({ pooled: 0.02, segment: 0 });
    expect(plan[1]).toEqual({ pooled: 0.01, segment: 0 });
    expect(plan[2]!.pooled).toBeCloseTo(0.01, 15);
    expect(plan[2]!.segment).toBeCloseTo(0.001, 15);
    // Total spent: Σ guards (sides × (pooled + segments × segment)) = α.
    const spent = plan[0]!.pooled + 2 * plan[1]!.pooled + plan[2]!.pooled + 10 * plan[2]!.segment;
    expect(spent).toBeCloseTo(0.06, 12);
  });
});
