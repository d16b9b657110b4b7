/**
 * Per-rollout guard bookkeeping: adds each outcome's signals to additive {@link Evidence} (per arm,
 * ramp phase and pseudo-cluster, pooled and per segment), judges the guards an outcome touched with
 * the stratified, cluster-robust, anytime-valid test of `./stratified.ts`, and latches the first
 * breach. The rollout's α is split over all its guards, sides and segment tests (`./alpha.ts`).
 * Pure: no I/O and no clock (the caller passes `now` in epoch milliseconds).
 *
 * @module
 */
import { ErrorCode, PromptError } from '../errors.js';
import { DEFAULT_ROLLOUT_ALPHA, planAlpha } from './alpha.js';
import { AGG, DEFAULT_CLUSTERS, Evidence, type EvidenceSnapshot } from './evidence.js';
import { DEFAULT_MIN_EVENTS, judgeStratified, stratifiedTripped, type StratifiedJudgement, type StratifiedOptions } from './stratified.js';
import { evidenceAtPhase, verdictOf, type GuardVerdict, type GuardVerdictRow } from './verdict.js';

export type { StratifiedJudgement as GuardJudgement, StratifiedReason as GuardReason } from './stratified.js';

/** A guard's threshold, in the release file's units (see {@link GuardSpec} in the registry model). */
export type { GuardSpec } from '../registry/types.js';
import type { GuardSpec } from '../registry/types.js';

/**
 * The signals of one LLM call. Built-in names: `refusal`, `tool_call`, `error` (booleans);
 * `output_tokens`, `input_tokens`, `latency_ms`, `cost` (numbers). Custom keys are declared in
 * `promptpin.yaml` (`signals:`). Missing signals are not counted; a value of the wrong type for a
 * guard is ignored by that guard.
 */
export interface GuardOutcome {
  readonly [signal: string]: boolean | number | string | undefined;
  /** Segment label used by `bySegment` guards (e.g. a locale or a plan). */
  readonly segment?: string;
}

/** Arm of a two-arm rollout. */
export type GuardArm = 'stable' | 'candidate';

/** Where an outcome comes from: the ramp phase in force when its unit was assigned, and its pseudo-cluster. */
export interface GuardUnit {
  /** Phase key: the candidate share in basis points (percent × 100) when the unit was resolved. */
  readonly phase: number;
  /** Pseudo-cluster of the unit (`clusterOf(unitId)`), 0 … clusters − 1. */
  readonly cluster: number;
}

/** Counts of one arm for a rate guard. */
export interface RateCounts {
  readonly kind: 'rate';
  readonly n: number;
  readonly events: number;
}

/** Sums of one arm for a mean guard. */
export interface MeanCounts {
  readonly kind: 'mean';
  readonly n: number;
  /** Sum of the raw values. */
  readonly sum: number;
  /** Arithmetic mean (NaN when empty). */
  readonly mean: number;
}

/** Counts of one arm. */
export type ArmCounts = RateCounts | MeanCounts;

/** A judgement plus, for `bySegment` guards, the segment it is about (absent: the pooled test). */
export type GuardEvidence = StratifiedJudgement & { readonly segment?: string };

/** A guard's verdict in one unit for people: pp for rates, % for means. */
export interface GuardReport {
  /** `pp` (rates) or `%` (means). */
  readonly unit: 'pp' | '%';
  /**
   * Observed value in `unit`, oriented like the guard (positive = worse for max_increase /
   * max_decrease; the signed relative change for max_change), rounded (0.01pp, 0.1%).
   */
  readonly observed: number;
  /** The confidence bounds of `observed`, same unit and rounding. */
  readonly interval: readonly [number, number];
  /** E.g. `refusal +0.87pp [+0.31, +1.43] > 0.5pp; n = 5,210 candidate / 46,890 stable`. */
  readonly text: string;
}

/** The first breach of a rollout, frozen. */
export interface GuardTrip extends GuardReport {
  readonly guard: GuardSpec;
  /** The arm that tripped (1 … k; always 1 for a two-arm rollout). */
  readonly arm: number;
  /** The guard's threshold as written (percentage points or percent). */
  readonly threshold: number;
  /** The statistical judgement, in the test's units (proportions, log ratios). */
  readonly evidence: GuardEvidence;
}

/** State of one segment of a `bySegment` guard. */
export interface GuardSegmentState {
  readonly segment: string;
  readonly stable: ArmCounts;
  readonly candidate: ArmCounts;
  readonly judgement: StratifiedJudgement;
}

/** State of one guard. */
export interface GuardState {
  readonly guard: GuardSpec;
  /** Counts of the stable arm (all phases and segments). */
  readonly stable: ArmCounts;
  /** Counts of the candidate arm (all phases and segments). */
  readonly candidate: ArmCounts;
  /** The deciding judgement: the pooled test, or a breaching / closest segment (named in `segment`). */
  readonly judgement: StratifiedJudgement;
  /** The pooled judgement, in people's units. */
  readonly report: GuardReport;
  readonly segment?: string;
  readonly segments?: readonly GuardSegmentState[];
  /** The one-sided level each pooled test of this guard runs at. */
  readonly alpha: number;
  /** True once `noDataAfter` outcomes were recorded and none carried this guard's signal. */
  readonly noData: boolean;
  /**
   * True when every test of the guard has excluded a regression beyond its threshold on the pooled
   * evidence: it may judge (enough samples and events) and its upper bound is below the threshold.
   * "Not tripped yet" is not "excluded" (progressive ramps advance only on excluded).
   */
  readonly excluded: boolean;
  /** The pooled evidence (additive sums) for export. */
  readonly evidenceState: EvidenceSnapshot;
  /** n-arm monitors only: each candidate arm's counts and pooled verdict against the control. */
  readonly arms?: readonly { readonly arm: number; readonly candidate: ArmCounts; readonly report: GuardReport; readonly judgement: StratifiedJudgement }[];
}

/** Frozen snapshot of a monitor. */
export interface GuardMonitorState {
  readonly tripped: GuardTrip | null;
  /** n-arm monitors: each arm's first breach (index 0 is always null: the control). */
  readonly trips?: readonly (GuardTrip | null)[];
  readonly guards: readonly GuardState[];
  /** Outcomes recorded in the window. */
  readonly outcomes: number;
}

/** Options of {@link GuardMonitor}. */
export interface GuardMonitorOptions {
  readonly guards: readonly GuardSpec[];
  /** Samples per arm (per segment for segment tests) before a guard may judge. */
  readonly minSamples: number;
  /** Rate guards: events of both arms together before judging. Default 10. */
  readonly minEvents?: number;
  readonly startedAt?: number;
  readonly windowMs?: number;
  /** The ROLLOUT's false-trip probability, split over all guards, sides and segments. Default 0.05. */
  readonly alpha?: number;
  /** Segment tests per `bySegment` guard (the rest pool into `(other)`). Default 10. */
  readonly maxSegments?: number;
  readonly tightestAt?: number;
  /** Pseudo-clusters. Default 64. */
  readonly clusters?: number;
  /** Outcomes after which a guard whose signal never appeared is flagged `noData`. Default 1,000. */
  readonly noDataAfter?: number;
  /**
   * Keep counting after the first breach (the trip is still latched and reported once). For
   * rollouts judged fleet-wide: the instance's evidence keeps flowing to the fleet judge.
   * @defaultValue false
   */
  readonly keepCounting?: boolean;
  /**
   * Candidates of an n-arm experiment (1 … 8). Each arm is judged against the control (arm 0) on
   * its own, at α split evenly over the arms (Bonferroni), and trips on its own. Default 1.
   */
  readonly arms?: number;
}

/** One guard's pooled or per-segment evidence, for export ({@link GuardMonitor.evidence}). */
export interface GuardEvidenceExport {
  /** Index of the guard in the rollout's `guards`. */
  readonly guard: number;
  readonly signal: string;
  readonly kind: 'rate' | 'mean';
  /** Absent for the pooled evidence; the segment label for a `bySegment` guard's segment cell. */
  readonly segment?: string;
  readonly evidence: Evidence;
}

export const NO_SEGMENT = '(none)';
export const OTHER_SEGMENT = '(other)';
export const DEFAULT_MAX_SEGMENTS = 10;
/** Default outcomes before a guard without any data is flagged. */
export const DEFAULT_NO_DATA_AFTER = 1_000;

interface Test {
  readonly side: 1 | -1;
  readonly delta: number;
}

interface CompiledGuard {
  readonly spec: GuardSpec;
  readonly rate: boolean;
  readonly tests: readonly Test[];
  readonly rawThreshold: number;
  readonly unit: 'pp' | '%';
  readonly opts: StratifiedOptions;
  readonly segOpts: StratifiedOptions;
  readonly pooled: Evidence;
  readonly cells: Map<string, Evidence> | null;
  seen: number;
}

function invalid(message: string): PromptError {
  return new PromptError(ErrorCode.INVALID_OPTIONS, message);
}

/** Whether a guard spec judges a rate (pp) or a mean (%). */
export function guardKind(g: GuardSpec): 'rate' | 'mean' {
  return g.maxChange !== undefined || g.unit === '%' ? 'mean' : 'rate';
}

function isThreshold(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f + 0; // + 0: no -0
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A judgement in people's units. */
function reportOf(g: CompiledGuard, j: StratifiedJudgement, side: 1 | -1): GuardReport {
  const signed = g.spec.maxChange !== undefined;
  let observed: number;
  let lo: number;
  let hi: number;
  if (g.rate) {
    observed = round(j.estimate * 100, 2);
    lo = round(j.lower * 100, 2);
    hi = round(j.upper * 100, 2);
  } else {
    // Estimate is side·θ with θ the log ratio; report the relative change in %.
    const rel = (x: number): number => (Math.exp(side * x) - 1) * 100;
    if (signed) {
      const a = rel(j.lower);
      const b = rel(j.upper);
      observed = round(rel(j.estimate), 1);
      lo = round(Math.min(a, b), 1);
      hi = round(Math.max(a, b), 1);
    } else {
      // Oriented: positive = worse (an increase for max_increase, a decrease for max_decrease).
      const o = (x: number): number => side * rel(x);
      observed = round(o(j.estimate), 1);
      lo = round(o(j.lower), 1);
      hi = round(o(j.upper), 1);
    }
  }
  const u = g.unit;
  const sign = (x: number): string => (Number.isFinite(x) ? (x > 0 ? `+${x}` : `${x}`) : x > 0 ? '+∞' : Number.isNaN(x) ? '?' : '−∞');
  // `observed` and its interval are oriented (positive = worse); the text says which way the signal
  // moved, so a max_decrease breach reads as a fall: `tool_call -9.38pp [-13.75, -5.01] < -5pp`.
  const down = side === -1 && !signed;
  const moved = (x: number): number => (down ? -x : x) + 0;
  const [from, to] = down ? [moved(hi), moved(lo)] : [lo, hi];
  const cmp = !j.tripped ? 'vs' : down ? '<' : '>';
  const text =
    Number.isNaN(j.estimate)
      ? `${g.spec.signal}: no data yet`
      : `${g.spec.signal} ${sign(moved(observed))}${u} [${sign(from)}, ${sign(to)}] ${cmp} ${down ? '-' : ''}${g.rawThreshold}${u}; n = ${fmtInt(j.candidateN)} candidate / ${fmtInt(j.stableN)} stable`;
  return Object.freeze({ unit: u, observed, interval: Object.freeze([lo, hi] as const), text });
}

function compileSpec(raw: GuardSpec, index: number): Omit<CompiledGuard, 'opts' | 'segOpts' | 'pooled' | 'cells' | 'seen'> & { bySegment: boolean } {
  const where = `guards[${index}]`;
  if (typeof raw !== 'object' || raw === null) throw invalid(`${where} must be an object`);
  const { signal, maxIncrease, maxDecrease, maxChange, bySegment, unit } = raw;
  if (typeof signal !== 'string' || signal.length === 0) throw invalid(`${where}.signal must be a non-empty string`);
  if (signal === 'segment') throw invalid(`${where}.signal cannot be "segment": that key holds the segment label`);
  const set = [maxIncrease, maxDecrease, maxChange].filter((v) => v !== undefined).length;
  if (set !== 1) throw invalid(`${where} (${signal}) must set exactly one of maxIncrease, maxDecrease, maxChange`);
  if (bySegment !== undefined && typeof bySegment !== 'boolean') throw invalid(`${where}.bySegment must be a boolean`);
  if (unit !== undefined && unit !== 'pp' && unit !== '%') throw invalid(`${where}.unit must be "pp" or "%"`);
  if (maxChange !== undefined && unit === 'pp') throw invalid(`${where} (${signal}) maxChange is a relative change in %, not pp`);
  const rawThreshold = (maxIncrease ?? maxDecrease ?? maxChange) as number;
  if (!isThreshold(rawThreshold)) throw invalid(`${where} (${signal}) threshold must be a finite number >= 0`);
  const spec: GuardSpec = Object.freeze({
    signal,
    ...(maxIncrease !== undefined ? { maxIncrease } : {}),
    ...(maxDecrease !== undefined ? { maxDecrease } : {}),
    ...(maxChange !== undefined ? { maxChange } : {}),
    ...(unit !== undefined ? { unit } : {}),
    ...(bySegment !== undefined ? { bySegment } : {}),
  });
  const rate = guardKind(spec) === 'rate';
  if (rate && rawThreshold > 100) throw invalid(`${where} (${signal}) rate threshold is in percentage points and must be <= 100`);
  const sides: (1 | -1)[] = maxChange !== undefined ? [1, -1] : maxIncrease !== undefined ? [1] : [-1];
  if (!rate && sides.includes(-1) && rawThreshold >= 100) {
    throw invalid(`${where} (${signal}) a decrease of a mean must be < 100%`);
  }
  const tests = sides.map((side): Test => {
    const m = rawThreshold / 100;
    const delta = rate ? m : side === 1 ? Math.log1p(m) : -Math.log1p(-m);
    return Object.freeze({ side, delta });
  });
  return { spec, rate, tests, rawThreshold, unit: rate ? 'pp' : '%', bySegment: bySegment === true };
}

/**
 * Counts a rollout's outcomes into additive evidence and judges its guards after every outcome
 * with an anytime-valid, ramp-aware, cluster-robust sequential test (see `docs/guards-method.md`).
 * The first breach latches: from then on the monitor counts nothing more and `record` returns null.
 *
 * The probability that ANY guard of the rollout trips falsely, over the whole window, however often
 * it is checked, is at most `alpha` (weighted Bonferroni over guards, sides and segment tests).
 *
 * @example
 * ```ts
 * const monitor = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 500 });
 * const trip = monitor.record('candidate', { refusal: false }, Date.now(), { phase: 1000, cluster: 17 });
 * ```
 */
export class GuardMonitor {
  readonly #guards: readonly CompiledGuard[];
  readonly #startedAt: number | undefined;
  readonly #windowMs: number | undefined;
  readonly #maxSegments: number;
  readonly #clusters: number;
  readonly #noDataAfter: number;
  #windowStart: number | undefined;
  #trip: GuardTrip | null = null;
  readonly #arms: number;
  readonly #trips: (GuardTrip | null)[];
  #outcomes = 0;
  #seq = 0;
  readonly #touched: (Evidence | null)[];
  readonly #keepCounting: boolean;

  /** @throws PromptError (`INVALID_OPTIONS`) for an invalid guard or option. */
  constructor(options: GuardMonitorOptions) {
    if (typeof options !== 'object' || options === null) throw invalid('GuardMonitor options must be an object');
    const { guards, minSamples, minEvents, startedAt, windowMs, alpha, maxSegments, tightestAt, clusters, noDataAfter, keepCounting, arms } = options;
    const nArms = arms ?? 1;
    if (!(Number.isInteger(nArms) && nArms >= 1 && nArms <= 8)) throw invalid('arms must be an integer from 1 to 8');
    this.#arms = nArms;
    this.#trips = new Array<GuardTrip | null>(nArms + 1).fill(null);
    if (!Array.isArray(guards)) throw invalid('guards must be an array');
    if (!(typeof minSamples === 'number' && Number.isFinite(minSamples) && minSamples >= 0)) throw invalid('minSamples must be a finite number >= 0');
    if (minEvents !== undefined && !(typeof minEvents === 'number' && Number.isFinite(minEvents) && minEvents >= 0)) throw invalid('minEvents must be a finite number >= 0');
    if (startedAt !== undefined && !(typeof startedAt === 'number' && Number.isFinite(startedAt))) throw invalid('startedAt must be a finite epoch-ms number');
    if (windowMs !== undefined && !(typeof windowMs === 'number' && windowMs > 0 && !Number.isNaN(windowMs))) throw invalid('windowMs must be a number > 0');
    if (alpha !== undefined && !(typeof alpha === 'number' && alpha > 0 && alpha < 1)) throw invalid('alpha must be in (0, 1)');
    const segs = maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (!(Number.isInteger(segs) && segs >= 1)) throw invalid('maxSegments must be an integer >= 1');
    if (tightestAt !== undefined && !(typeof tightestAt === 'number' && Number.isFinite(tightestAt) && tightestAt > 0)) throw invalid('tightestAt must be a finite number > 0');
    const k = clusters ?? DEFAULT_CLUSTERS;
    if (!(Number.isInteger(k) && k >= 2)) throw invalid('clusters must be an integer >= 2');
    const nd = noDataAfter ?? DEFAULT_NO_DATA_AFTER;
    if (!(Number.isInteger(nd) && nd >= 1)) throw invalid('noDataAfter must be an integer >= 1');
    const compiled = guards.map((g: GuardSpec, i) => compileSpec(g, i));
    const plan = planAlpha(
      compiled.map((c) => ({ twoSided: c.tests.length === 2, bySegment: c.bySegment })),
      alpha ?? DEFAULT_ROLLOUT_ALPHA,
      segs,
      nArms + 1,
    );
    this.#guards = compiled.map((c, i): CompiledGuard => {
      const a = plan[i]!;
      const base = { minSamples, minEvents: minEvents ?? DEFAULT_MIN_EVENTS, ...(tightestAt !== undefined ? { tightestAt } : {}) };
      const { bySegment, ...rest } = c;
      return {
        ...rest,
        opts: Object.freeze({ ...base, alpha: a.pooled }),
        segOpts: Object.freeze({ ...base, alpha: a.segment > 0 ? a.segment : a.pooled }),
        pooled: new Evidence(nArms + 1, k),
        cells: bySegment ? new Map() : null,
        seen: 0,
      };
    });
    this.#startedAt = startedAt;
    this.#windowMs = windowMs;
    this.#windowStart = startedAt;
    this.#maxSegments = segs;
    this.#clusters = k;
    this.#noDataAfter = nd;
    this.#touched = this.#guards.map(() => null);
    this.#keepCounting = keepCounting === true;
  }

  /**
   * Each guard's evidence (pooled, then each segment of a `bySegment` guard), live: for export.
   * The objects are the monitor's own; read them, never mutate them.
   */
  evidence(): GuardEvidenceExport[] {
    const out: GuardEvidenceExport[] = [];
    this.#guards.forEach((g, i) => {
      const kind = g.rate ? ('rate' as const) : ('mean' as const);
      out.push({ guard: i, signal: g.spec.signal, kind, evidence: g.pooled });
      if (g.cells !== null) for (const [segment, ev] of g.cells) out.push({ guard: i, signal: g.spec.signal, kind, segment, evidence: ev });
    });
    return out;
  }

  /**
   * Adds evidence counted elsewhere (another instance, the fleet's sums) into guard `guard`'s pooled
   * evidence, or into a segment's (labels past the segment limit pool into `(other)`, as outcomes
   * do). Afterwards {@link state} judges the sum: the fleet judge runs this same test on the
   * fleet's sums. Does not trip or latch anything.
   *
   * @throws RangeError when `guard` is out of range or the snapshot's shape differs (arms, clusters)
   */
  mergeEvidence(guard: number, snapshot: EvidenceSnapshot, segment?: string): void {
    const g = this.#guards[guard];
    if (g === undefined) throw new RangeError(`guard ${guard} does not exist (the rollout has ${this.#guards.length})`);
    if (segment === undefined) g.pooled.merge(snapshot);
    else if (g.cells !== null) this.#segment(g.cells, segment).merge(snapshot);
    else throw new RangeError(`guard ${guard} (${g.spec.signal}) is not judged by segment`);
  }

  /** The first breach, or null. */
  get tripped(): GuardTrip | null {
    return this.#trip;
  }

  /**
   * Counts one outcome and judges the guards whose signal it carried. Never throws: a bad arm, a
   * non-object outcome, an outcome outside the window or after the first trip is ignored.
   *
   * @param unit - the phase and pseudo-cluster of the outcome's unit. Without it the outcome goes
   * to phase 0 and a round-robin cluster (calls treated as independent).
   * @returns the breach this outcome caused (the first in guard order), else null
   */
  record(arm: GuardArm | number, outcome: GuardOutcome, now: number, unit?: GuardUnit): GuardTrip | null {
    const a = arm === 'candidate' ? 1 : arm === 'stable' ? 0 : typeof arm === 'number' && Number.isInteger(arm) && arm >= 0 && arm <= this.#arms ? arm : -1;
    if (a < 0) return null;
    // Two arms: the first breach latches everything. n arms: a tripped arm counts nothing more; the
    // control counts while any arm is still judged.
    if (!this.#keepCounting && (this.#arms === 1 ? this.#trip !== null : a > 0 ? this.#trips[a] !== null : this.#trips.every((t, i) => i === 0 || t !== null))) return null;
    if (typeof outcome !== 'object' || outcome === null) return null;
    if (!this.#inWindow(now)) return null;
    const phase = unit !== undefined && Number.isFinite(unit.phase) ? unit.phase : 0;
    const k = this.#clusters;
    const cluster = unit !== undefined && Number.isInteger(unit.cluster) && unit.cluster >= 0 ? unit.cluster % k : this.#seq++ % k;
    this.#outcomes++;
    const label = typeof outcome.segment === 'string' ? outcome.segment : NO_SEGMENT;
    const guards = this.#guards;
    const touched = this.#touched;
    let any = false;
    for (let i = 0; i < guards.length; i++) {
      const g = guards[i] as CompiledGuard;
      touched[i] = null;
      const v = outcome[g.spec.signal];
      let y: number;
      let raw: number;
      if (g.rate) {
        if (typeof v !== 'boolean') continue;
        y = raw = v ? 1 : 0;
      } else {
        if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) continue;
        raw = v;
        y = Math.log1p(v);
      }
      g.seen++;
      g.pooled.add(phase, a, cluster, y, raw);
      let seg: Evidence | null = null;
      if (g.cells !== null) {
        seg = this.#segment(g.cells, label);
        seg.add(phase, a, cluster, y, raw);
      }
      touched[i] = seg ?? g.pooled;
      any = true;
    }
    if (!any) return null;
    if (this.#arms === 1 && this.#trip !== null) {
      touched.fill(null);
      return null;
    }
    for (let i = 0; i < guards.length; i++) {
      const seg = touched[i];
      if (seg === null || seg === undefined) continue;
      touched[i] = null;
      const g = guards[i] as CompiledGuard;
      // A candidate outcome moves only its arm's comparison; a control outcome moves every arm's.
      for (let arm = a > 0 ? a : 1; arm <= (a > 0 ? a : this.#arms); arm++) {
        if (this.#trips[arm] !== null) continue;
        for (const t of g.tests) {
          let ev: Evidence | null = null;
          let opts = g.opts;
          if (stratifiedTripped(g.pooled, arm, g.rate, t.side, t.delta, g.opts)) ev = g.pooled;
          else if (seg !== g.pooled && stratifiedTripped(seg, arm, g.rate, t.side, t.delta, g.segOpts)) {
            ev = seg;
            opts = g.segOpts;
          }
          if (ev === null) continue;
          const j = judgeStratified(ev, arm, g.rate, t.side, t.delta, opts);
          const segment = ev === g.pooled ? undefined : this.#labelOf(g.cells!, ev);
          const evidence: GuardEvidence = Object.freeze(segment !== undefined ? { ...j, segment } : { ...j });
          const report = reportOf(g, j, t.side);
          const trip: GuardTrip = Object.freeze({
            guard: g.spec,
            arm,
            threshold: g.rawThreshold,
            evidence,
            ...report,
            text: `${report.text}${this.#arms > 1 ? ` (arm ${arm})` : ''}${segment !== undefined ? ` (segment ${segment})` : ''}`,
          });
          this.#trips[arm] = trip;
          this.#trip ??= trip;
          touched.fill(null);
          return trip;
        }
      }
    }
    return null;
  }

  /** A frozen snapshot of every guard. */
  state(): GuardMonitorState {
    const guards = this.#guards.map((g): GuardState => {
      const judgeAll = (ev: Evidence, opts: StratifiedOptions, arm = 1): { j: StratifiedJudgement; side: 1 | -1 } => {
        let best: { j: StratifiedJudgement; side: 1 | -1 } | undefined;
        for (const t of g.tests) {
          const j = judgeStratified(ev, arm, g.rate, t.side, t.delta, opts);
          if (best === undefined || marginOf(j) > marginOf(best.j)) best = { j, side: t.side };
        }
        return best!;
      };
      const pooled = judgeAll(g.pooled, g.opts);
      const excluded = g.tests.every((t) => {
        const j = judgeStratified(g.pooled, 1, g.rate, t.side, t.delta, g.opts);
        return j.reason === 'within-threshold' && j.upper < t.delta;
      });
      const base = {
        excluded,
        guard: g.spec,
        stable: countsOf(g, g.pooled, 0),
        candidate: countsOf(g, g.pooled, 1),
        report: reportOf(g, pooled.j, pooled.side),
        alpha: g.opts.alpha,
        noData: g.seen === 0 && this.#outcomes >= this.#noDataAfter,
        evidenceState: g.pooled.toJSON(),
        ...(this.#arms > 1
          ? {
              arms: Object.freeze(
                Array.from({ length: this.#arms }, (_, i) => {
                  const r = judgeAll(g.pooled, g.opts, i + 1);
                  return Object.freeze({ arm: i + 1, candidate: countsOf(g, g.pooled, i + 1), report: reportOf(g, r.j, r.side), judgement: r.j });
                }),
              ),
            }
          : {}),
      };
      if (g.cells === null) return Object.freeze({ ...base, judgement: pooled.j });
      const segments = [...g.cells.entries()].map(([segment, ev]): GuardSegmentState =>
        Object.freeze({ segment, stable: countsOf(g, ev, 0), candidate: countsOf(g, ev, 1), judgement: judgeAll(ev, g.segOpts).j }),
      );
      let worst: GuardSegmentState | undefined;
      for (const s of segments) if (worst === undefined || rank(s.judgement) > rank(worst.judgement)) worst = s;
      const segFields = { segments: Object.freeze(segments) };
      if (worst !== undefined && rank(worst.judgement) > rank(pooled.j)) {
        return Object.freeze({ ...base, ...segFields, judgement: worst.judgement, segment: worst.segment });
      }
      return Object.freeze({ ...base, ...segFields, judgement: pooled.j });
    });
    return Object.freeze({ tripped: this.#trip, ...(this.#arms > 1 ? { trips: Object.freeze([...this.#trips]) } : {}), guards: Object.freeze(guards), outcomes: this.#outcomes });
  }

  /**
   * Each guard's three-way verdict (`tripped`, `excluded`, `continue`; see `./verdict.ts`), for a
   * ramp's judge. With `phase` (a step's percent × 100), only the evidence gathered at that step
   * counts, so "excluded" means excluded at this step. A `bySegment` guard is excluded when its
   * pooled test and every segment that has reached `minSamples` exclude. The monitor's own tripping
   * is unchanged.
   */
  verdicts(phase?: number): readonly GuardVerdictRow[] {
    return Object.freeze(
      this.#guards.map((g): GuardVerdictRow => {
        const at = (ev: Evidence): Evidence => (phase === undefined ? ev : evidenceAtPhase(ev, phase));
        const judge = (ev: Evidence, opts: StratifiedOptions): StratifiedJudgement[] => g.tests.map((t) => judgeStratified(ev, 1, g.rate, t.side, t.delta, opts));
        const pooledEv = at(g.pooled);
        const pooled = judge(pooledEv, g.opts);
        let verdict: GuardVerdict = this.#trip !== null && this.#trip.guard === g.spec ? 'tripped' : verdictOf(pooled);
        if (verdict === 'excluded' && g.cells !== null) {
          for (const ev of g.cells.values()) {
            const js = judge(at(ev), g.segOpts);
            const v = verdictOf(js);
            if (v === 'tripped') verdict = 'tripped';
            else if (v === 'continue' && js.every((j) => j.reason !== 'insufficient-samples') && verdict === 'excluded') verdict = 'continue';
          }
        }
        return Object.freeze({ signal: g.spec.signal, verdict, nArm: pooledEv.count(1), nControl: pooledEv.count(0) });
      }),
    );
  }

  #inWindow(now: number): boolean {
    const started = this.#startedAt;
    const windowMs = this.#windowMs;
    if (started === undefined && windowMs === undefined) return true;
    if (typeof now !== 'number' || !Number.isFinite(now)) return false;
    if (started !== undefined && now < started) return false;
    if (windowMs === undefined) return true;
    if (this.#windowStart === undefined) this.#windowStart = now;
    return now <= this.#windowStart + windowMs;
  }

  #segment(cells: Map<string, Evidence>, label: string): Evidence {
    let ev = cells.get(label);
    if (ev !== undefined) return ev;
    const key = cells.size < this.#maxSegments - 1 ? label : OTHER_SEGMENT;
    ev = cells.get(key);
    if (ev === undefined) {
      ev = new Evidence(this.#arms + 1, this.#clusters);
      cells.set(key, ev);
    }
    return ev;
  }

  #labelOf(cells: Map<string, Evidence>, ev: Evidence): string {
    for (const [label, e] of cells) if (e === ev) return label;
    return OTHER_SEGMENT;
  }
}

/** How far a judgement is from breaching (> 0 means breached); −Infinity when undefined. */
function marginOf(j: StratifiedJudgement): number {
  const m = j.lower - j.threshold;
  return Number.isNaN(m) ? Number.NEGATIVE_INFINITY : m;
}

/** Tripped first, then judgeable, then by margin. */
function rank(j: StratifiedJudgement): number {
  if (j.tripped) return 1e12;
  const m = marginOf(j);
  const judgeable = j.reason === 'within-threshold' ? 1e6 : 0;
  return judgeable + (Number.isFinite(m) ? Math.max(-1e5, m) : -1e5);
}

function countsOf(g: CompiledGuard, ev: Evidence, arm: number): ArmCounts {
  let n = 0;
  let sum = 0;
  for (let h = 0; h < ev.phaseCount; h++) {
    const agg = ev.aggregates(h);
    n += agg[arm * AGG] as number;
    sum += agg[arm * AGG + 3] as number;
  }
  return g.rate ? Object.freeze({ kind: 'rate', n, events: sum }) : Object.freeze({ kind: 'mean', n, sum, mean: n > 0 ? sum / n : Number.NaN });
}
