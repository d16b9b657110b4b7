import { describe, expect, it } from 'vitest';
import { ErrorCode, isPromptError } from '../../src/errors.js';
import {
  GuardMonitor,
  NO_SEGMENT,
  OTHER_SEGMENT,
  type GuardArm,
  type GuardMonitorOptions,
  type GuardOutcome,
  type GuardSpec,
  type GuardTrip,
} from '../../src/guards/monitor.js';
import { mulberry32 } from '../support/random.js';

const REFUSAL: GuardSpec = { signal: 'refusal', maxIncrease: 0.5 };
const TOOL_CALL: GuardSpec = { signal: 'tool_call', maxDecrease: 5 };
const TOKENS: GuardSpec = { signal: 'output_tokens', maxChange: 25 };

/** Records `count` copies of an outcome; returns the trips returned (non-null) on the way. */
function feed(m: GuardMonitor, arm: GuardArm, count: number, outcome: (i: number) => GuardOutcome, now = 0): GuardTrip[] {
  const trips: GuardTrip[] = [];
  for (let i = 0; i < count; i++) {
    const t = m.record(arm, outcome(i), now);
    if (t !== null) trips.push(t);
  }
  return trips;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPromptError(err) ? err.code : `not a PromptError: ${String(err)}`;
  }
  return undefined;
}

describe('GuardMonitor: judging and trips', () => {
  it('trips exactly when both arms reach minSamples, with thresholds in the spec units', () => {
    const m = new GuardMonitor({ guards: [REFUSAL], minSamples: 500 });
    // Candidate is terrible from the start (20% refusals) but stable has only 499 samples.
    expect(feed(m, 'stable', 499, () => ({ refusal: false }))).toEqual([]);
    expect(feed(m, 'candidate', 2000, (i) => ({ refusal: i % 5 === 0 }))).toEqual([]);
    expect(m.state().guards[0]?.judgement.reason).toBe('insufficient-samples');
    // The 500th stable outcome makes the guard judgeable, and it breaches at once.
    const trip = m.record('stable', { refusal: false }, 0);
    expect(trip).not.toBeNull();
    const t = trip as GuardTrip;
    expect(t.guard).toEqual(REFUSAL);
    expect(t.threshold).toBe(0.5); // percentage points, as written
    expect(t.observed).toBeCloseTo(20, 10); // 20% − 0% = 20pp
    expect(t.evidence).toMatchObject({ tripped: true, reason: 'breach', threshold: 0.005, stableN: 500, candidateN: 2000 });
    expect(t.evidence.lower).toBeGreaterThan(0.005);
    expect('segment' in t.evidence).toBe(false);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.evidence)).toBe(true);
    expect(Object.isFrozen(t.guard)).toBe(true);
    expect(m.tripped).toBe(t);
  });

  it('respects the minSamples given to the monitor', () => {
    const m = new GuardMonitor({ guards: [REFUSAL], minSamples: 50 });
    feed(m, 'stable', 50, () => ({ refusal: false }));
    const trips = feed(m, 'candidate', 50, () => ({ refusal: true }));
    expect(trips).toHaveLength(1);
    expect(trips[0]?.evidence.candidateN).toBe(50);
  });

  it('stays tripped: later outcomes return null and are not counted', () => {
    // No collapse at tiny counts: 10 events vs 0 in 10 + 10 samples is not evidence (the old
    // plug-in variance was 0 there and tripped); 100 vs 0 in 100 + 100 is.
    const tiny = new GuardMonitor({ guards: [REFUSAL, TOKENS], minSamples: 10 });
    feed(tiny, 'stable', 10, () => ({ refusal: false, output_tokens: 300 }));
    expect(feed(tiny, 'candidate', 10, () => ({ refusal: true, output_tokens: 300 }))).toEqual([]);
    const m = new GuardMonitor({ guards: [REFUSAL, TOKENS], minSamples: 100 });
    feed(m, 'stable', 100, () => ({ refusal: false, output_tokens: 300 }));
    const trips = feed(m, 'candidate', 100, () => ({ refusal: true, output_tokens: 300 }));
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ unit: 'pp', observed: 100 });
    const before = m.state();
    expect(before.tripped).toBe(trips[0]);
    expect(feed(m, 'candidate', 100, () => ({ refusal: true, output_tokens: 10 }))).toEqual([]);
    expect(feed(m, 'stable', 100, () => ({ refusal: false, output_tokens: 300 }))).toEqual([]);
    const after = m.state();
    expect(after.tripped).toBe(trips[0]);
    expect(after.guards).toEqual(before.guards);
  });

  it('returns the first breach in guard order when one outcome breaches several guards', () => {
    const m = new GuardMonitor({ guards: [TOOL_CALL, REFUSAL], minSamples: 100 });
    feed(m, 'stable', 100, () => ({ refusal: false, tool_call: true }));
    const trips = feed(m, 'candidate', 100, () => ({ refusal: true, tool_call: false }));
    expect(trips).toHaveLength(1);
    expect(trips[0]?.guard.signal).toBe('tool_call');
    expect(trips[0]?.observed).toBeCloseTo(100, 10); // 100% − 0%: a decrease of 100pp
    // People read the text the way the signal moved: a fall, below the (negative) threshold.
    expect(trips[0]?.text).toMatch(/^tool_call -100pp \[-\d+(\.\d+)?, -\d+(\.\d+)?\] < -\d+(\.\d+)?pp; n = 100 candidate \/ 100 stable$/);
    // The other guard would have breached too (its counts include the last outcome).
    const refusal = m.state().guards[1];
    expect(refusal?.judgement.tripped).toBe(true);
    expect(refusal?.candidate).toEqual({ kind: 'rate', n: 100, events: 100 });
  });

  it('judges a mean guard two-sided in percent, on the log scale (ratio of geometric means of 1 + x)', () => {
    const up = new GuardMonitor({ guards: [TOKENS], minSamples: 100 });
    feed(up, 'stable', 200, (i) => ({ output_tokens: 280 + (i % 41) }));
    const trips = feed(up, 'candidate', 200, (i) => ({ output_tokens: 400 + (i % 41) }));
    expect(trips).toHaveLength(1);
    expect(trips[0]?.threshold).toBe(25);
    expect(trips[0]?.unit).toBe('%');
    const n = trips[0]!.evidence.candidateN;
    const logMean = (base: number, count: number): number => {
      let s = 0;
      for (let i = 0; i < count; i++) s += Math.log1p(base + (i % 41));
      return s / count;
    };
    const expected = (Math.exp(logMean(400, n) - logMean(280, 200)) - 1) * 100;
    expect(trips[0]?.observed).toBeCloseTo(expected, 0);
    expect(trips[0]?.evidence.threshold).toBe(Math.log1p(0.25));
    expect(trips[0]?.text).toMatch(/^output_tokens \+\d+(\.\d)?% \[\+\d+(\.\d)?, \+\d+(\.\d)?\] > 25%; n = \d+ candidate \/ 200 stable$/);
    const small = new GuardMonitor({ guards: [TOKENS], minSamples: 100 });
    feed(small, 'stable', 2000, (i) => ({ output_tokens: 280 + (i % 41) }));
    expect(feed(small, 'candidate', 2000, (i) => ({ output_tokens: 250 + (i % 41) }))).toEqual([]);
    expect(small.state().guards[0]?.judgement.reason).toBe('within-threshold');
  });
});

describe('GuardMonitor: window', () => {
  const counts = (m: GuardMonitor): number => {
    const g = m.state().guards[0];
    return (g?.stable.n ?? 0) + (g?.candidate.n ?? 0);
  };

  it('counts only outcomes in [startedAt, startedAt + windowMs]', () => {
    const m = new GuardMonitor({ guards: [REFUSAL], minSamples: 1, startedAt: 1_000, windowMs: 100 });
    m.record('stable', { refusal: false }, 999);
    expect(counts(m)).toBe(0);
    m.record('stable', { refusal: false }, 1_000);
    m.record('candidate', { refusal: false }, 1_100);
    expect(counts(m)).toBe(2);
    m.record('stable', { refusal: false }, 1_101);
    m.record('stable', { refusal: false }, Number.NaN);
    expect(counts(m)).toBe(2);
  });

  it('outside the window even breaching data cannot trip', () => {
    const m = new GuardMonitor({ guards: [REFUSAL], minSamples: 10, startedAt: 0, windowMs: 1_000 });
    feed(m, 'stable', 10, () => ({ refusal: false }), 500);
    expect(feed(m, 'candidate', 100, () => ({ refusal: true }), 2_000)).toEqual([]);
    expect(m.tripped).toBeNull();
  });

  it('startedAt alone only drops earlier outcomes; windowMs alone starts at the first outcome', () => {
    const a = new GuardMonitor({ guards: [REFUSAL], minSamples: 1, startedAt: 1_000 });
    a.record('stable', { refusal: false }, 999);
    a.record('stable', { refusal: false }, 1e15);
    expect(counts(a)).toBe(1);
    const b = new GuardMonitor({ guards: [REFUSAL], minSamples: 1, windowMs: 100 });
    b.record('stable', { refusal: false }, 5_000);
    b.record('stable', { refusal: false }, 5_100);
    b.record('stable', { refusal: false }, 5_101);
    expect(counts(b)).toBe(2);
    const c = new GuardMonitor({ guards: [REFUSAL], minSamples: 1 });
    c.record('stable', { refusal: false }, Number.NaN);
    expect(counts(c)).toBe(1); // no window: time is not used at all
  });
});

describe('GuardMonitor: malformed input is ignored, never thrown', () => {
  it('ignores wrong-typed and missing signals per guard', () => {
    const m = new GuardMonitor({ guards: [REFUSAL, TOKENS], minSamples: 1 });
    const junk: GuardOutcome[] = [
      { refusal: 1, output_tokens: true },
      { refusal: 'yes', output_tokens: '300' },
      { output_tokens: Number.NaN },
      { output_tokens: Number.POSITIVE_INFINITY },
      { something_else: true },
      {},
    ];
    for (const o of junk) expect(m.record('candidate', o, 0)).toBeNull();
    const [r, t] = m.state().guards;
    expect(r?.candidate).toEqual({ kind: 'rate', n: 0, events: 0 });
    expect(t?.candidate).toEqual({ kind: 'mean', n: 0, sum: 0, mean: Number.NaN });
    // A valid signal next to a wrong-typed one is still counted for its own guard.
    m.record('candidate', { refusal: true, output_tokens: false }, 0);
    expect(m.state().guards[0]?.candidate).toEqual({ kind: 'rate', n: 1, events: 1 });
    expect(m.state().guards[1]?.candidate.n).toBe(0);
  });

  it('ignores a bad arm or a non-object outcome', () => {
    const m = new GuardMonitor({ guards: [REFUSAL], minSamples: 1 });
    expect(m.record('canary' as GuardArm, { refusal: true }, 0)).toBeNull();
    expect(m.record('candidate', null as unknown as GuardOutcome, 0)).toBeNull();
    expect(m.record('candidate', 'refusal' as unknown as GuardOutcome, 0)).toBeNull();
    expect(m.state().guards[0]?.candidate.n).toBe(0);
  });
});

describe('GuardMonitor: bySegment', () => {
  const SEG_REFUSAL: GuardSpec = { signal: 'refusal', maxIncrease: 0.5, bySegment: true };

  it('judges the pooled test at alpha / 2 and each segment at alpha / (2 · maxSegments), and trips on the breaching segment', () => {
    const m = new GuardMonitor({ guards: [SEG_REFUSAL], minSamples: 500, alpha: 0.05 });
    // "en": healthy and large; "de": candidate refuses 10% of the time; no label -> "(none)".
    feed(m, 'stable', 5_000, (i) => ({ refusal: i % 250 === 0, segment: 'en' }));
    feed(m, 'candidate', 5_000, (i) => ({ refusal: i % 250 === 0, segment: 'en' }));
    feed(m, 'stable', 600, () => ({ refusal: false }));
    feed(m, 'stable', 600, (i) => ({ refusal: i % 250 === 0, segment: 'de' }));
    const trips = feed(m, 'candidate', 600, (i) => ({ refusal: i % 10 === 0, segment: 'de' }));
    expect(trips).toHaveLength(1);
    const t = trips[0] as GuardTrip;
    expect(t.evidence.segment).toBe('de');
    expect(t.text).toMatch(/\(segment de\)$/);
    expect(t.evidence.lower).toBeGreaterThan(0.005);
    const seg = m.state().guards[0]?.segments?.find((s) => s.segment === 'de');
    expect(seg?.stable).toEqual({ kind: 'rate', n: 600, events: 3 });
    const state = m.state().guards[0];
    expect(state?.alpha).toBe(0.025); // the pooled test keeps half of the guard's α
    // The pooled test (every segment) did not trip: the regression is concentrated in "de".
    expect(state?.report.observed).toBeLessThan(state!.report.interval[1]);
    expect(state?.segments?.map((s) => s.segment)).toEqual(['en', NO_SEGMENT, 'de']);
    expect(state?.segment).toBe('de');
    expect(state?.judgement.tripped).toBe(true);
    // Pooled counts cover every segment.
    expect(state?.stable.n).toBe(5_000 + 600 + 600);
  });

  it('pools segments beyond maxSegments - 1 into "(other)"', () => {
    const m = new GuardMonitor({ guards: [SEG_REFUSAL], minSamples: 1, maxSegments: 3 });
    for (const segment of ['a', 'b', 'c', 'd', 'a', 'c']) m.record('stable', { refusal: false, segment }, 0);
    const segs = m.state().guards[0]?.segments ?? [];
    expect(segs.map((s) => [s.segment, s.stable.n])).toEqual([
      ['a', 2],
      ['b', 1],
      [OTHER_SEGMENT, 3],
    ]);
  });

  it('a guard with no data yet reports insufficient-samples', () => {
    const m = new GuardMonitor({ guards: [SEG_REFUSAL], minSamples: 1 });
    const g = m.state().guards[0];
    expect(g?.segments).toEqual([]);
    expect(g?.judgement.reason).toBe('insufficient-samples');
    expect(g && 'segment' in g).toBe(false);
  });
});

describe('GuardMonitor: state()', () => {
  it('is a deeply frozen snapshot that does not move with later outcomes', () => {
    const m = new GuardMonitor({ guards: [REFUSAL, TOKENS, { ...TOOL_CALL, bySegment: true }], minSamples: 5 });
    m.record('stable', { refusal: false, output_tokens: 300, tool_call: true, segment: 'x' }, 0);
    const s = m.state();
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.guards)).toBe(true);
    for (const g of s.guards) {
      expect(Object.isFrozen(g)).toBe(true);
      expect(Object.isFrozen(g.guard)).toBe(true);
      expect(Object.isFrozen(g.stable)).toBe(true);
      expect(Object.isFrozen(g.candidate)).toBe(true);
      expect(Object.isFrozen(g.judgement)).toBe(true);
    }
    const seg = s.guards[2];
    expect(Object.isFrozen(seg?.segments)).toBe(true);
    expect(Object.isFrozen(seg?.segments?.[0])).toBe(true);
    // Rates in proportions; means as log ratios (log 1.25 for a 25% change).
    expect(s.guards.map((g) => g.judgement.threshold)).toEqual([0.005, Math.log1p(0.25), 0.05]);
    m.record('stable', { refusal: true, output_tokens: 1, tool_call: false, segment: 'x' }, 0);
    expect(s.guards[0]?.stable).toEqual({ kind: 'rate', n: 1, events: 0 });
    expect(m.state().guards[0]?.stable).toEqual({ kind: 'rate', n: 2, events: 1 });
    expect(s.tripped).toBeNull();
  });
});

describe('GuardMonitor: configuration errors', () => {
  const make = (o: Partial<GuardMonitorOptions>) => () => new GuardMonitor({ guards: [REFUSAL], minSamples: 500, ...o });

  it('throws INVALID_OPTIONS for a guard without exactly one valid threshold', () => {
    expect(codeOf(make({ guards: [{ signal: 'refusal' }] }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ guards: [{ signal: 'refusal', maxIncrease: 1, maxDecrease: 1 }] }))).toBe(
      ErrorCode.INVALID_OPTIONS,
    );
    expect(codeOf(make({ guards: [{ signal: 'refusal', maxIncrease: -1 }] }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ guards: [{ signal: 'refusal', maxIncrease: 101 }] }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ guards: [{ signal: 'x', maxChange: Number.NaN }] }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ guards: [{ signal: '', maxChange: 10 }] }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ guards: [{ signal: 'segment', maxChange: 10 }] }))).toBe(ErrorCode.INVALID_OPTIONS);
  });

  it('throws INVALID_OPTIONS for bad monitor options', () => {
    expect(codeOf(make({ minSamples: -1 }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ alpha: 1 }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ windowMs: 0 }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ startedAt: Number.NaN }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({ maxSegments: 0 }))).toBe(ErrorCode.INVALID_OPTIONS);
    expect(codeOf(make({}))).toBeUndefined();
    expect(codeOf(make({ guards: [] }))).toBeUndefined();
  });
});

describe('GuardMonitor: simulated rollouts end to end (10% to candidate, three guards)', () => {
  /**
   * Runs a rollout through the monitor: refusal (p), tool_call (40%) and output_tokens (~N(300, 100)
   * via a sum of uniforms) on every outcome; only the refusal rate differs between arms.
   */
  function rollout(seed: number, pStable: number, pCandidate: number, requests: number): GuardTrip | null {
    const rand = mulberry32(seed);
    const m = new GuardMonitor({
      guards: [REFUSAL, TOOL_CALL, TOKENS],
      minSamples: 500,
      startedAt: 0,
      windowMs: 24 * 3_600_000,
    });
    for (let i = 0; i < requests; i++) {
      const candidate = rand() < 0.1;
      const tokens = 300 + 100 * (rand() + rand() + rand() + rand() + rand() + rand() - 3) * Math.SQRT2;
      const trip = m.record(
        candidate ? 'candidate' : 'stable',
        { refusal: rand() < (candidate ? pCandidate : pStable), tool_call: rand() < 0.4, output_tokens: tokens },
        i * 100, // 10 requests a second: 200,000 requests fit in the 24h window
      );
      if (trip !== null) return trip;
    }
    return null;
  }

  it('the seed regression trips the refusal guard; an A/A rollout trips nothing', () => {
    const trips = Array.from({ length: 20 }, (_, k) => rollout(100 + k, 0.004, 0.013, 200_000));
    const tripped = trips.filter((t): t is GuardTrip => t !== null);
    expect(tripped.length).toBeGreaterThanOrEqual(18);
    for (const t of tripped) expect(t.guard.signal).toBe('refusal');
    const aa = Array.from({ length: 20 }, (_, k) => rollout(200 + k, 0.004, 0.004, 50_000));
    console.log(
      `[guards] GuardMonitor end to end: seed regression tripped ${tripped.length}/20 ` +
        `(median candidate samples ${tripped.map((t) => t.evidence.candidateN).sort((a, b) => a - b)[tripped.length >> 1]}), ` +
        `A/A tripped ${aa.filter((t) => t !== null).length}/20`,
    );
    expect(aa.filter((t) => t !== null)).toEqual([]);
  }, 30_000);
});
