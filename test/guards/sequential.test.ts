import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIGHTEST_AT,
  judgeMeanChange,
  judgeRateDecrease,
  judgeRateIncrease,
  meanChangeTripped,
  mixtureBoundary,
  rateDecreaseTripped,
  rateIncreaseTripped,
} from '../../src/guards/sequential.js';
import { mulberry32 } from '../support/random.js';
import { fcParams } from '../support/property.js';

// ------------------------------------------------------------------------------------------------
// Seeded simulation helpers. Everything is deterministic: the figures printed below are the ones
// recorded in docs/guards-method.md (`npx vitest run test/guards`).
// ------------------------------------------------------------------------------------------------

/** Geometric draw on {1, 2, ...}: trials up to and including the next success; logQ = ln(1 − p). */
function geometric(rand: () => number, logQ: number): number {
  return 1 + Math.floor(Math.log(rand()) / logQ);
}

type RateCheck = (stableN: number, stableEvents: number, candidateN: number, candidateEvents: number) => boolean;

/**
 * One rollout of `maxRequests` requests: each request goes to the candidate with probability
 * `share`, and its boolean outcome is true with probability pStable / pCandidate. The check runs
 * after EVERY outcome (stable or candidate) on running counts. Arrivals and events are drawn as
 * geometric gaps, so the loop does no allocation and ~one uniform per 10 requests.
 *
 * @returns candidate samples at the first trip, or -1 when it never tripped
 */
function simulateRateRollout(
  seed: number,
  pStable: number,
  pCandidate: number,
  share: number,
  maxRequests: number,
  check: RateCheck,
): number {
  const rand = mulberry32(seed);
  const lqArm = Math.log(1 - share);
  const lqS = Math.log(1 - pStable);
  const lqC = Math.log(1 - pCandidate);
  let toCandidate = geometric(rand, lqArm);
  let toEventS = geometric(rand, lqS);
  let toEventC = geometric(rand, lqC);
  let nS = 0;
  let eS = 0;
  let nC = 0;
  let eC = 0;
  for (let i = 0; i < maxRequests; i++) {
    if (--toCandidate === 0) {
      toCandidate = geometric(rand, lqArm);
      nC++;
      if (--toEventC === 0) {
        eC++;
        toEventC = geometric(rand, lqC);
      }
    } else {
      nS++;
      if (--toEventS === 0) {
        eS++;
        toEventS = geometric(rand, lqS);
      }
    }
    if (check(nS, eS, nC, eC)) return nC;
  }
  return -1;
}

function tripRate(rollouts: number, seedBase: number, run: (seed: number) => number): { trips: number; at: number[] } {
  const at: number[] = [];
  for (let k = 0; k < rollouts; k++) {
    const n = run(seedBase + k);
    if (n >= 0) at.push(n);
  }
  at.sort((a, b) => a - b);
  return { trips: at.length, at };
}

function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
}

/** Numerical Recipes erfc (fractional error < 1.2e-7) and the standard normal CDF. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

const OPTS = { alpha: 0.05, minSamples: 500 } as const;
const Z_95 = 1.6448536269514722;

// ------------------------------------------------------------------------------------------------

describe('mixtureBoundary', () => {
  it('is a conservative closed form of the one-sided normal-mixture boundary (Howard et al. 2021)', () => {
    // Mixing exp(λS − λ²V/2) over λ ~ half-normal(precision ρ) gives the martingale
    // M(s, v) = 2·sqrt(ρ/(v+ρ))·exp(s²/(2(v+ρ)))·Φ(s/sqrt(v+ρ)); Ville: P(∃t: M ≥ 1/a) ≤ a.
    // The closed form must reach 1/a (valid) while staying within 2% of the exact boundary.
    const mixture = (s: number, v: number, rho: number): number =>
      2 * Math.sqrt(rho / (v + rho)) * Math.exp((s * s) / (2 * (v + rho))) * normalCdf(s / Math.sqrt(v + rho));
    for (const a of [0.05, 0.025, 0.005, 0.0025]) {
      for (const ratio of [0.01, 0.1, 0.5, 1, 3, 10, 100, 1e4]) {
        const rho = 700;
        const v = ratio * rho;
        const s = mixtureBoundary(v, a, rho) * Math.sqrt(v);
        expect(mixture(s, v, rho) * a).toBeGreaterThanOrEqual(1);
        expect(mixture(s / 1.02, v, rho) * a).toBeLessThan(1);
      }
    }
  });

  it('is tightest near tightestAt and wider than the fixed-n z quantile everywhere', () => {
    // ρ as the module derives it for α = 0.05, one-sided.
    const l = -2 * Math.log(0.1);
    const rho = DEFAULT_TIGHTEST_AT / (l + Math.log(1 + l));
    const at = (t: number): number => mixtureBoundary(t, 0.05, rho);
    expect(at(DEFAULT_TIGHTEST_AT)).toBeLessThan(at(DEFAULT_TIGHTEST_AT / 3));
    expect(at(DEFAULT_TIGHTEST_AT)).toBeLessThan(at(DEFAULT_TIGHTEST_AT * 3));
    expect(at(DEFAULT_TIGHTEST_AT)).toBeCloseTo(2.78, 1);
    for (const t of [1, 10, 100, 1e3, 1e4, 1e5, 1e7]) expect(at(t)).toBeGreaterThan(Z_95);
  });
});

describe('judgements', () => {
  it('are frozen, echo the inputs and bracket the estimate', () => {
    const j = judgeRateIncrease({ n: 9000, events: 36 }, { n: 1000, events: 13 }, 0.005);
    expect(Object.isFrozen(j)).toBe(true);
    expect(j).toMatchObject({ threshold: 0.005, stableN: 9000, candidateN: 1000 });
    expect(j.estimate).toBeCloseTo(0.013 - 0.004, 12);
    expect(j.lower).toBeLessThan(j.estimate);
    expect(j.upper).toBeGreaterThan(j.estimate);
    expect(j.reason).toBe('within-threshold');
    expect(j.tripped).toBe(false);
  });

  it('report insufficient-samples until EACH arm has minSamples, whatever the data', () => {
    const extreme = { n: 499, events: 499 };
    expect(judgeRateIncrease({ n: 10_000, events: 0 }, extreme, 0.005).reason).toBe('insufficient-samples');
    expect(judgeRateIncrease({ n: 499, events: 0 }, { n: 10_000, events: 10_000 }, 0.005).reason).toBe(
      'insufficient-samples',
    );
    const ok = judgeRateIncrease({ n: 500, events: 0 }, { n: 500, events: 500 }, 0.005);
    expect(ok).toMatchObject({ reason: 'breach', tripped: true });
    expect(judgeRateIncrease({ n: 50, events: 0 }, { n: 50, events: 50 }, 0.005, { minSamples: 50 }).tripped).toBe(true);
    const empty = judgeRateIncrease({ n: 0, events: 0 }, { n: 0, events: 0 }, 0.005);
    expect(empty).toMatchObject({ reason: 'insufficient-samples', lower: -1, upper: 1 });
    expect(empty.estimate).toBeNaN();
  });

  it('rate decrease is the increase test with the arms swapped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (nS, nC, fS, fC, thr) => {
          const s = { n: nS, events: Math.floor(nS * fS) };
          const c = { n: nC, events: Math.floor(nC * fC) };
          const dec = judgeRateDecrease(s, c, thr);
          const inc = judgeRateIncrease(c, s, thr);
          const z = (x: number): number => x + 0; // -0 -> 0
          expect([dec.reason, z(dec.estimate), z(dec.lower), z(dec.upper)]).toEqual([
            inc.reason,
            z(inc.estimate),
            z(inc.lower),
            z(inc.upper),
          ]);
          expect([dec.stableN, dec.candidateN]).toEqual([inc.candidateN, inc.stableN]);
        },
      ),
      fcParams(),
    );
  });

  it('the allocation-free *Tripped functions decide exactly like the judgements', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.integer({ min: 0, max: 800 }),
        (nS, nC, fS, fC, thr, minSamples) => {
          const eS = Math.floor(nS * fS);
          const eC = Math.floor(nC * fC);
          const o = { minSamples };
          expect(rateIncreaseTripped(nS, eS, nC, eC, thr, o)).toBe(
            judgeRateIncrease({ n: nS, events: eS }, { n: nC, events: eC }, thr, o).tripped,
          );
          expect(rateDecreaseTripped(nS, eS, nC, eC, thr, o)).toBe(
            judgeRateDecrease({ n: nS, events: eS }, { n: nC, events: eC }, thr, o).tripped,
          );
        },
      ),
      fcParams(),
    );
    // Means: random arms built from a location/scale/spread, so the Fieller bounds are exercised
    // on both sides of the thresholds.
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3000 }),
        fc.integer({ min: 2, max: 3000 }),
        fc.oneof(fc.constant(0), fc.double({ min: -5, max: 400, noNaN: true }).filter((m) => Math.abs(m) > 1e-3)),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
        fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 300, noNaN: true })),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (nS, nC, mean, ratio, sd, thr) => {
          const s = { n: nS, sum: nS * mean, sumSquares: nS * (mean * mean + sd * sd) };
          const cm = mean * ratio;
          const c = { n: nC, sum: nC * cm, sumSquares: nC * (cm * cm + sd * sd) };
          const o = { minSamples: 2 };
          const j = judgeMeanChange(s, c, thr, o);
          expect(meanChangeTripped(s.n, s.sum, s.sumSquares, c.n, c.sum, c.sumSquares, thr, o)).toBe(j.tripped);
          if (Number.isFinite(j.lower)) {
            expect(j.lower).toBeLessThanOrEqual(j.estimate + 1e-9);
            expect(j.upper).toBeGreaterThanOrEqual(j.estimate - 1e-9);
          }
        },
      ),
      fcParams(),
    );
  });

  it('mean change: two-sided, relative to a positive stable mean', () => {
    const arm = (n: number, mean: number, sd: number) => ({ n, sum: n * mean, sumSquares: n * (mean * mean + sd * sd) });
    const down = judgeMeanChange(arm(9000, 300, 100), arm(1000, 246, 82), 0.1);
    expect(down).toMatchObject({ tripped: true, reason: 'breach', threshold: 0.1 });
    expect(down.estimate).toBeCloseTo(-0.18, 10);
    expect(down.upper).toBeLessThan(-0.1);
    const up = judgeMeanChange(arm(9000, 300, 100), arm(1000, 354, 118), 0.1);
    expect(up.tripped).toBe(true);
    expect(up.lower).toBeGreaterThan(0.1);
    const small = judgeMeanChange(arm(9000, 300, 100), arm(1000, 285, 95), 0.1);
    expect(small).toMatchObject({ tripped: false, reason: 'within-threshold' });
    // A stable mean that is not positive has no relative change: never trips.
    const zero = judgeMeanChange(arm(9000, 0, 1), arm(1000, 50, 1), 0.1);
    expect(zero).toMatchObject({ tripped: false, lower: -Infinity, upper: Infinity });
    expect(zero.estimate).toBeNaN();
    expect(meanChangeTripped(9000, 0, 9000, 1000, 50_000, 1000 * 2501, 0.1)).toBe(false);
  });

  it('rejects invalid options, thresholds and counts', () => {
    const s = { n: 10, events: 1 };
    expect(() => judgeRateIncrease(s, s, -0.1)).toThrow(RangeError);
    expect(() => judgeRateIncrease(s, s, Number.NaN)).toThrow(RangeError);
    expect(() => judgeRateIncrease(s, s, 0.01, { alpha: 0 })).toThrow(RangeError);
    expect(() => judgeRateIncrease(s, s, 0.01, { alpha: 1 })).toThrow(RangeError);
    expect(() => judgeRateIncrease(s, s, 0.01, { minSamples: -1 })).toThrow(RangeError);
    expect(() => judgeRateIncrease(s, s, 0.01, { tightestAt: 0 })).toThrow(RangeError);
    expect(() => judgeRateIncrease({ n: 1, events: 2 }, s, 0.01)).toThrow(RangeError);
    expect(() => judgeMeanChange({ n: 1, sum: Number.NaN, sumSquares: 0 }, { n: 1, sum: 0, sumSquares: 0 }, 0.1)).toThrow(
      RangeError,
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Simulations. Every rollout checks the guard after EVERY outcome.
// ------------------------------------------------------------------------------------------------

describe('rate increase guard, simulated rollouts (10% to candidate, checked after every outcome)', () => {
  const refusalGuard: RateCheck = (nS, eS, nC, eC) => rateIncreaseTripped(nS, eS, nC, eC, 0.005, OPTS);

  it('seed scenario: refusal 0.4% -> 1.3%, maxIncrease 0.5pp: trips in >= 95% of 200 rollouts', () => {
    const { trips, at } = tripRate(200, 1_000, (seed) =>
      simulateRateRollout(seed, 0.004, 0.013, 0.1, 200_000, refusalGuard),
    );
    const med = median(at);
    console.log(
      `[guards] seed 0.4%->1.3% (+0.5pp guard): tripped ${trips}/200 within 200,000 requests; ` +
        `candidate samples at trip: median ${med}, p10 ${at[Math.floor(at.length * 0.1)]}, p90 ${at[Math.floor(at.length * 0.9)]}`,
    );
    expect(trips).toBeGreaterThanOrEqual(190);
    expect(med).toBeGreaterThanOrEqual(500);
    expect(med).toBeLessThan(10_000);
  });

  it('A/A: candidate identical to stable (0.4%), 1,000 rollouts x 50,000 requests: false trips <= 1%', () => {
    const { trips } = tripRate(1_000, 5_000, (seed) => simulateRateRollout(seed, 0.004, 0.004, 0.1, 50_000, refusalGuard));
    console.log(`[guards] A/A 0.4%=0.4% (+0.5pp guard): false trips ${trips}/1000`);
    expect(trips).toBeLessThanOrEqual(10);
  }, 60_000);

  it('boundary: candidate exactly at the threshold (0.4% -> 0.9%), 1,000 x 60,000 requests: trips <= 5%, far below a peeked z-test', () => {
    const { trips } = tripRate(1_000, 9_000, (seed) => simulateRateRollout(seed, 0.004, 0.009, 0.1, 60_000, refusalGuard));
    // Documented contrast: the textbook fixed-n one-sided z-test at 5% (Wald, unpooled variance,
    // same minSamples), looked at after every outcome as a dashboard would. Each look is a valid
    // 5% test; peeking 60,000 times is not.
    const naive: RateCheck = (nS, eS, nC, eC) => {
      if (nS < 500 || nC < 500) return false;
      const pS = eS / nS;
      const pC = eC / nC;
      if (!(pC - pS - 0.005 > 0)) return false; // exact shortcut, saves the sqrt
      const se = Math.sqrt((pS * (1 - pS)) / nS + (pC * (1 - pC)) / nC);
      return pC - pS - 0.005 > Z_95 * se;
    };
    const peeked = tripRate(1_000, 9_000, (seed) => simulateRateRollout(seed, 0.004, 0.009, 0.1, 60_000, naive)).trips;
    console.log(`[guards] boundary 0.4%->0.9% (+0.5pp guard): trips ${trips}/1000; naive peeked z-test: ${peeked}/1000`);
    expect(trips).toBeLessThanOrEqual(50);
    expect(peeked).toBeGreaterThan(trips);
    expect(peeked).toBeGreaterThanOrEqual(100); // roughly 20%: peeking a fixed-n test is not valid
  }, 60_000);

  it('equal rates with a zero threshold over a long horizon stay under alpha (the CS itself, not the margin)', () => {
    // The hardest null for the method: no threshold margin at all, 100,000 requests split 50/50.
    const zeroGuard: RateCheck = (nS, eS, nC, eC) => rateIncreaseTripped(nS, eS, nC, eC, 0, OPTS);
    const { trips } = tripRate(200, 20_000, (seed) => simulateRateRollout(seed, 0.05, 0.05, 0.5, 100_000, zeroGuard));
    console.log(`[guards] A/A 5%=5%, threshold 0, 50/50, 100,000 requests: trips ${trips}/200`);
    expect(trips).toBeLessThanOrEqual(20); // 10%: 5% + binomial noise of 200 rollouts
  }, 60_000);
});

describe('rate decrease guard, simulated rollouts', () => {
  const toolGuard: RateCheck = (nS, eS, nC, eC) => rateDecreaseTripped(nS, eS, nC, eC, 0.05, OPTS);

  it('tool_call 40% -> 27.6% (31% relative drop), maxDecrease 5pp: trips', () => {
    const { trips, at } = tripRate(200, 30_000, (seed) =>
      simulateRateRollout(seed, 0.4, 0.4 * 0.69, 0.1, 20_000, toolGuard),
    );
    console.log(`[guards] tool_call 40%->27.6% (-5pp guard): tripped ${trips}/200, median candidate samples ${median(at)}`);
    expect(trips).toBeGreaterThanOrEqual(195);
    expect(median(at)).toBeLessThan(2_000);
  });

  it('tool_call exactly 5pp lower (40% -> 35%): trips <= 5%', () => {
    const { trips } = tripRate(200, 31_000, (seed) => simulateRateRollout(seed, 0.4, 0.35, 0.1, 30_000, toolGuard));
    console.log(`[guards] tool_call 40%->35% (at the -5pp threshold): trips ${trips}/200`);
    expect(trips).toBeLessThanOrEqual(10);
  });
});

describe('mean change guard, simulated rollouts (output tokens, lognormal mean 300 sd 100)', () => {
  // Lognormal with mean 300 and sd 100, rounded to whole tokens; the candidate is the same
  // distribution scaled by `factor` (so its sd scales too).
  const SIGMA2 = Math.log(1 + (100 / 300) ** 2);
  const SIGMA = Math.sqrt(SIGMA2);
  const MU = Math.log(300) - SIGMA2 / 2;

  function simulateMeanRollout(seed: number, factor: number, maxRequests: number, maxChange: number): number {
    const rand = mulberry32(seed);
    let nS = 0;
    let sumS = 0;
    let sqS = 0;
    let nC = 0;
    let sumC = 0;
    let sqC = 0;
    let spare = Number.NaN;
    for (let i = 0; i < maxRequests; i++) {
      let z: number;
      if (Number.isNaN(spare)) {
        const r = Math.sqrt(-2 * Math.log(rand()));
        const th = 2 * Math.PI * rand();
        z = r * Math.cos(th);
        spare = r * Math.sin(th);
      } else {
        z = spare;
        spare = Number.NaN;
      }
      const tokens = Math.exp(MU + SIGMA * z);
      if (rand() < 0.1) {
        const x = Math.round(tokens * factor);
        nC++;
        sumC += x;
        sqC += x * x;
      } else {
        const x = Math.round(tokens);
        nS++;
        sumS += x;
        sqS += x * x;
      }
      if (meanChangeTripped(nS, sumS, sqS, nC, sumC, sqC, maxChange, OPTS)) return nC;
    }
    return -1;
  }

  it('an 18% drop trips a 10% guard; a 5% drop does not; exactly -10% stays under alpha', () => {
    const drop18 = tripRate(200, 40_000, (seed) => simulateMeanRollout(seed, 0.82, 20_000, 0.1));
    const drop5 = tripRate(200, 41_000, (seed) => simulateMeanRollout(seed, 0.95, 20_000, 0.1));
    const rise18 = tripRate(100, 42_000, (seed) => simulateMeanRollout(seed, 1.18, 20_000, 0.1));
    const at10 = tripRate(200, 43_000, (seed) => simulateMeanRollout(seed, 0.9, 20_000, 0.1));
    console.log(
      `[guards] output_tokens (±10% guard): -18% tripped ${drop18.trips}/200 (median candidate samples ${median(drop18.at)}), ` +
        `+18% ${rise18.trips}/100, -5% ${drop5.trips}/200, exactly -10% ${at10.trips}/200`,
    );
    expect(drop18.trips).toBeGreaterThanOrEqual(195);
    expect(rise18.trips).toBeGreaterThanOrEqual(97);
    expect(drop5.trips).toBeLessThanOrEqual(2);
    expect(at10.trips).toBeLessThanOrEqual(10);
  }, 60_000);
});
