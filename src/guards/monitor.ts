/**
 * Per-rollout guard bookkeeping: counts each outcome's signals per arm (and per segment), judges the
 * guards an outcome touched with the anytime-valid tests of `./sequential.ts`, and latches the
 * first breach. Pure: no I/O and no clock (the caller passes `now` in epoch milliseconds).
 *
 * @module
 */
import { ErrorCode, PromptError } from '../errors.js';
import {
  DEFAULT_ALPHA,
  judgeMeanChange,
  judgeRateDecrease,
  judgeRateIncrease,
  meanChangeTripped,
  rateDecreaseTripped,
  rateIncreaseTripped,
  type GuardJudgement,
  type SequentialTestOptions,
} from './sequential.js';

export type { GuardJudgement, GuardReason } from './sequential.js';

/** A guard's threshold, in the release file's units (see {@link GuardSpec} in the registry model). */
export type { GuardSpec } from '../registry/types.js';
import type { GuardSpec } from '../registry/types.js';

/**
 * The signals of one LLM call. Built-in names: `refusal`, `tool_call`, `error` (booleans);
 * `output_tokens`, `input_tokens`, `latency_ms`, `cost` (numbers). Any custom key is allowed.
 * Missing signals are not counted; a value of the wrong type for a guard is ignored by that guard.
 */
export interface GuardOutcome {
  readonly [signal: string]: boolean | number | string | undefined;
  /** Segment label used by `bySegment` guards (e.g. a locale or a plan). */
  readonly segment?: string;
}

/** Arm of a rollout. */
export type GuardArm = 'stable' | 'candidate';

/** Counts of one arm for a rate guard. */
export interface RateCounts {
  readonly kind: 'rate';
  /** Outcomes that carried the signal as a boolean. */
  readonly n: number;
  /** Those where it was `true`. */
  readonly events: number;
}

/** Running sums of one arm for a mean guard. */
export interface MeanCounts {
  readonly kind: 'mean';
  /** Outcomes that carried the signal as a finite number. */
  readonly n: number;
  /** Sum of the values. */
  readonly sum: number;
  /** Sum of the squared values. */
  readonly sumSquares: number;
}

/** Counts of one arm. */
export type ArmCounts = RateCounts | MeanCounts;

/** A judgement plus, for `bySegment` guards, the segment it is about. */
export type GuardEvidence = GuardJudgement & { readonly segment?: string };

/** The first breach of a rollout, frozen. */
export interface GuardTrip {
  /** The guard that breached (a frozen copy of the spec given to the monitor). */
  readonly guard: GuardSpec;
  /**
   * Observed value in the guard's own unit: percentage points of `candidate − stable` (maxIncrease)
   * or `stable − candidate` (maxDecrease); percent relative change of the mean (maxChange, signed).
   */
  readonly observed: number;
  /** The guard's threshold as written (percentage points or percent). */
  readonly threshold: number;
  /** The statistical judgement (proportions / fractions, see `GuardJudgement`). */
  readonly evidence: GuardEvidence;
}

/** State of one segment of a `bySegment` guard. */
export interface GuardSegmentState {
  readonly segment: string;
  readonly stable: ArmCounts;
  readonly candidate: ArmCounts;
  /** Judgement of this segment at the per-segment level α / maxSegments. */
  readonly judgement: GuardJudgement;
}

/** State of one guard. */
export interface GuardState {
  readonly guard: GuardSpec;
  /** Counts of the stable arm (all segments pooled for a `bySegment` guard). */
  readonly stable: ArmCounts;
  /** Counts of the candidate arm (all segments pooled for a `bySegment` guard). */
  readonly candidate: ArmCounts;
  /**
   * The guard's deciding judgement: for a plain guard, on the counts above; for a `bySegment`
   * guard, that of the breaching segment, else of the segment closest to breaching (named in
   * `segment`), else an `insufficient-samples` judgement when no segment has data.
   */
  readonly judgement: GuardJudgement;
  /** For `bySegment` guards: the segment `judgement` is about. */
  readonly segment?: string;
  /** For `bySegment` guards: every segment, in order of first appearance. */
  readonly segments?: readonly GuardSegmentState[];
}

/** Frozen snapshot of a monitor. */
export interface GuardMonitorState {
  /** The first breach, or null. */
  readonly tripped: GuardTrip | null;
  /** One entry per guard, in the order given. */
  readonly guards: readonly GuardState[];
}

/** Options of {@link GuardMonitor}. */
export interface GuardMonitorOptions {
  /** The rollout's guards. */
  readonly guards: readonly GuardSpec[];
  /** Samples per arm (per segment for `bySegment` guards) before a guard may judge. */
  readonly minSamples: number;
  /** Epoch ms the rollout started; outcomes before it are ignored. */
  readonly startedAt?: number;
  /**
   * Length of the judging window in ms; outcomes after `startedAt + windowMs` are ignored. Without
   * `startedAt` the window starts at the first recorded outcome.
   */
  readonly windowMs?: number;
  /** False-trip probability of each guard over the whole window. Default 0.05. */
  readonly alpha?: number;
  /** Most segment tests per `bySegment` guard (the rest pool into `(other)`). Default 10. */
  readonly maxSegments?: number;
  /** Mixture tuning passed to the sequential tests (see `SequentialTestOptions.tightestAt`). */
  readonly tightestAt?: number;
}

/** Segment of outcomes without a `segment` label. */
export const NO_SEGMENT = '(none)';
/** Segment that pools the labels beyond `maxSegments − 1` distinct ones. */
export const OTHER_SEGMENT = '(other)';
/** Default number of segment tests per `bySegment` guard. */
export const DEFAULT_MAX_SEGMENTS = 10;

type Kind = 'increase' | 'decrease' | 'change';

interface Acc {
  n: number;
  events: number;
  sum: number;
  sumSquares: number;
}

interface Cell {
  readonly segment: string;
  readonly stable: Acc;
  readonly candidate: Acc;
}

interface CompiledGuard {
  readonly spec: GuardSpec;
  readonly kind: Kind;
  /** As a proportion (rates) or a fraction (means). */
  readonly threshold: number;
  /** As written (pp or percent). */
  readonly rawThreshold: number;
  /** Options of each test: α split over segments for `bySegment`. */
  readonly opts: SequentialTestOptions;
  readonly pooled: Cell;
  /** Per-segment cells for `bySegment` guards, else null. */
  readonly cells: Map<string, Cell> | null;
}

function invalid(message: string): PromptError {
  return new PromptError(ErrorCode.INVALID_OPTIONS, message);
}

function newCell(segment: string): Cell {
  return {
    segment,
    stable: { n: 0, events: 0, sum: 0, sumSquares: 0 },
    candidate: { n: 0, events: 0, sum: 0, sumSquares: 0 },
  };
}

function isThreshold(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function compileSpec(raw: GuardSpec, index: number, base: SequentialTestOptions, maxSegments: number): CompiledGuard {
  const where = `guards[${index}]`;
  if (typeof raw !== 'object' || raw === null) throw invalid(`${where} must be an object`);
  const { signal, maxIncrease, maxDecrease, maxChange, bySegment } = raw;
  if (typeof signal !== 'string' || signal.length === 0) throw invalid(`${where}.signal must be a non-empty string`);
  if (signal === 'segment') throw invalid(`${where}.signal cannot be "segment": that key holds the segment label`);
  const set = [maxIncrease, maxDecrease, maxChange].filter((v) => v !== undefined).length;
  if (set !== 1) {
    throw invalid(`${where} (${signal}) must set exactly one of maxIncrease, maxDecrease, maxChange`);
  }
  if (bySegment !== undefined && typeof bySegment !== 'boolean') throw invalid(`${where}.bySegment must be a boolean`);
  let kind: Kind;
  let rawThreshold: number;
  if (maxIncrease !== undefined) {
    kind = 'increase';
    rawThreshold = maxIncrease;
  } else if (maxDecrease !== undefined) {
    kind = 'decrease';
    rawThreshold = maxDecrease;
  } else {
    kind = 'change';
    rawThreshold = maxChange as number;
  }
  if (!isThreshold(rawThreshold)) throw invalid(`${where} (${signal}) threshold must be a finite number >= 0`);
  if (kind !== 'change' && rawThreshold > 100) {
    throw invalid(`${where} (${signal}) rate threshold is in percentage points and must be <= 100`);
  }
  const spec: GuardSpec = Object.freeze({
    signal,
    ...(maxIncrease !== undefined ? { maxIncrease } : {}),
    ...(maxDecrease !== undefined ? { maxDecrease } : {}),
    ...(maxChange !== undefined ? { maxChange } : {}),
    ...(bySegment !== undefined ? { bySegment } : {}),
  });
  const alpha = base.alpha ?? DEFAULT_ALPHA;
  const opts: SequentialTestOptions = Object.freeze({ ...base, alpha: bySegment === true ? alpha / maxSegments : alpha });
  return {
    spec,
    kind,
    threshold: rawThreshold / 100,
    rawThreshold,
    opts,
    pooled: newCell(NO_SEGMENT),
    cells: bySegment === true ? new Map() : null,
  };
}

function add(acc: Acc, kind: Kind, value: boolean | number): void {
  acc.n += 1;
  if (kind === 'change') {
    const x = value as number;
    acc.sum += x;
    acc.sumSquares += x * x;
  } else if (value === true) {
    acc.events += 1;
  }
}

function tripped(g: CompiledGuard, c: Cell): boolean {
  const s = c.stable;
  const k = c.candidate;
  switch (g.kind) {
    case 'increase':
      return rateIncreaseTripped(s.n, s.events, k.n, k.events, g.threshold, g.opts);
    case 'decrease':
      return rateDecreaseTripped(s.n, s.events, k.n, k.events, g.threshold, g.opts);
    case 'change':
      return meanChangeTripped(s.n, s.sum, s.sumSquares, k.n, k.sum, k.sumSquares, g.threshold, g.opts);
  }
}

function judge(g: CompiledGuard, c: Cell): GuardJudgement {
  switch (g.kind) {
    case 'increase':
      return judgeRateIncrease(c.stable, c.candidate, g.threshold, g.opts);
    case 'decrease':
      return judgeRateDecrease(c.stable, c.candidate, g.threshold, g.opts);
    case 'change':
      return judgeMeanChange(c.stable, c.candidate, g.threshold, g.opts);
  }
}

/** How far a judgement is from breaching (> 0 means breached); -Infinity when undefined. */
function margin(g: CompiledGuard, j: GuardJudgement): number {
  const m = g.kind === 'change' ? Math.max(j.lower - j.threshold, -j.threshold - j.upper) : j.lower - j.threshold;
  return Number.isNaN(m) ? Number.NEGATIVE_INFINITY : m;
}

function counts(g: CompiledGuard, acc: Acc): ArmCounts {
  return g.kind === 'change'
    ? Object.freeze({ kind: 'mean', n: acc.n, sum: acc.sum, sumSquares: acc.sumSquares })
    : Object.freeze({ kind: 'rate', n: acc.n, events: acc.events });
}

/**
 * Counts a rollout's outcomes per arm and judges its guards after every outcome with an
 * anytime-valid sequential test (see `docs/guards-method.md`). The first breach latches: from then
 * on the monitor counts nothing more and `record` returns null.
 *
 * Each guard has false-trip probability at most `alpha` over the whole window however often it is
 * checked (a `bySegment` guard too: its α is split over its segments). With G guards the chance
 * that at least one trips falsely is at most G·α.
 *
 * @example
 * ```ts
 * const monitor = new GuardMonitor({
 *   guards: [{ signal: 'refusal', maxIncrease: 0.5 }, { signal: 'output_tokens', maxChange: 25 }],
 *   minSamples: 500,
 *   startedAt: Date.parse('2026-11-20T15:00:00Z'),
 *   windowMs: 24 * 3600_000,
 * });
 * const trip = monitor.record('candidate', { refusal: false, output_tokens: 312 }, Date.now());
 * if (trip) rollback(trip);
 * ```
 */
export class GuardMonitor {
  readonly #guards: readonly CompiledGuard[];
  readonly #startedAt: number | undefined;
  readonly #windowMs: number | undefined;
  readonly #maxSegments: number;
  #windowStart: number | undefined;
  #trip: GuardTrip | null = null;
  /** Scratch: cell touched by the current outcome, per guard (reused, no allocation per record). */
  readonly #touched: (Cell | null)[];

  /**
   * @throws PromptError (`INVALID_OPTIONS`) when a guard does not set exactly one valid threshold,
   * or when minSamples, startedAt, windowMs, alpha or maxSegments is invalid.
   */
  constructor(options: GuardMonitorOptions) {
    if (typeof options !== 'object' || options === null) throw invalid('GuardMonitor options must be an object');
    const { guards, minSamples, startedAt, windowMs, alpha, maxSegments, tightestAt } = options;
    if (!Array.isArray(guards)) throw invalid('guards must be an array');
    if (!(typeof minSamples === 'number' && Number.isFinite(minSamples) && minSamples >= 0)) {
      throw invalid('minSamples must be a finite number >= 0');
    }
    if (startedAt !== undefined && !(typeof startedAt === 'number' && Number.isFinite(startedAt))) {
      throw invalid('startedAt must be a finite epoch-ms number');
    }
    if (windowMs !== undefined && !(typeof windowMs === 'number' && windowMs > 0 && !Number.isNaN(windowMs))) {
      throw invalid('windowMs must be a number > 0');
    }
    if (alpha !== undefined && !(typeof alpha === 'number' && alpha > 0 && alpha < 1)) {
      throw invalid('alpha must be in (0, 1)');
    }
    const segs = maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (!(Number.isInteger(segs) && segs >= 1)) throw invalid('maxSegments must be an integer >= 1');
    if (tightestAt !== undefined && !(typeof tightestAt === 'number' && Number.isFinite(tightestAt) && tightestAt > 0)) {
      throw invalid('tightestAt must be a finite number > 0');
    }
    const base: SequentialTestOptions = {
      minSamples,
      alpha: alpha ?? DEFAULT_ALPHA,
      ...(tightestAt !== undefined ? { tightestAt } : {}),
    };
    this.#guards = guards.map((g, i) => compileSpec(g, i, base, segs));
    this.#startedAt = startedAt;
    this.#windowMs = windowMs;
    this.#windowStart = startedAt;
    this.#maxSegments = segs;
    this.#touched = this.#guards.map(() => null);
  }

  /** The first breach, or null. */
  get tripped(): GuardTrip | null {
    return this.#trip;
  }

  /**
   * Counts one outcome for `arm` and judges the guards whose signal it carried (with the right
   * type). Never throws: an unknown arm, a non-object outcome, an outcome outside
   * `[startedAt, startedAt + windowMs]` (when given) or any outcome after the first trip is ignored.
   *
   * @param arm - which version served the call
   * @param outcome - the call's signals (and optional `segment`)
   * @param now - the outcome's time in epoch ms (only used for the window)
   * @returns the breach this outcome caused (the first in guard order), else null
   */
  record(arm: GuardArm, outcome: GuardOutcome, now: number): GuardTrip | null {
    if (this.#trip !== null) return null;
    if (arm !== 'stable' && arm !== 'candidate') return null;
    if (typeof outcome !== 'object' || outcome === null) return null;
    if (!this.#inWindow(now)) return null;
    const label = typeof outcome.segment === 'string' ? outcome.segment : NO_SEGMENT;
    const guards = this.#guards;
    const touched = this.#touched;
    let any = false;
    for (let i = 0; i < guards.length; i++) {
      const g = guards[i] as CompiledGuard;
      touched[i] = null;
      const v = outcome[g.spec.signal];
      if (g.kind === 'change' ? !(typeof v === 'number' && Number.isFinite(v)) : typeof v !== 'boolean') continue;
      add(g.pooled[arm], g.kind, v as boolean | number);
      let cell = g.pooled;
      if (g.cells !== null) {
        cell = this.#segmentCell(g.cells, label);
        add(cell[arm], g.kind, v as boolean | number);
      }
      touched[i] = cell;
      any = true;
    }
    if (!any) return null;
    for (let i = 0; i < guards.length; i++) {
      const cell = touched[i];
      if (cell === null || cell === undefined) continue;
      touched[i] = null;
      const g = guards[i] as CompiledGuard;
      // Allocation-free decision first; the frozen judgement is built only for a breach.
      if (!tripped(g, cell)) continue;
      const j = judge(g, cell);
      if (!j.tripped) continue;
      const evidence: GuardEvidence = Object.freeze(g.cells !== null ? { ...j, segment: cell.segment } : { ...j });
      this.#trip = Object.freeze({
        guard: g.spec,
        observed: j.estimate * 100,
        threshold: g.rawThreshold,
        evidence,
      });
      touched.fill(null);
      return this.#trip;
    }
    return null;
  }

  /** A frozen snapshot of the counts and current judgement of every guard. */
  state(): GuardMonitorState {
    const guards = this.#guards.map((g): GuardState => {
      const stable = counts(g, g.pooled.stable);
      const candidate = counts(g, g.pooled.candidate);
      if (g.cells === null) {
        return Object.freeze({ guard: g.spec, stable, candidate, judgement: judge(g, g.pooled) });
      }
      const segments = [...g.cells.values()].map(
        (c): GuardSegmentState =>
          Object.freeze({
            segment: c.segment,
            stable: counts(g, c.stable),
            candidate: counts(g, c.candidate),
            judgement: judge(g, c),
          }),
      );
      let worst: GuardSegmentState | undefined;
      for (const s of segments) {
        if (worst === undefined || (s.judgement.tripped && !worst.judgement.tripped)) {
          worst = s;
        } else if (s.judgement.tripped === worst.judgement.tripped && margin(g, s.judgement) > margin(g, worst.judgement)) {
          worst = s;
        }
      }
      const base = { guard: g.spec, stable, candidate, segments: Object.freeze(segments) };
      return Object.freeze(
        worst === undefined
          ? { ...base, judgement: judge(g, newCell(NO_SEGMENT)) }
          : { ...base, judgement: worst.judgement, segment: worst.segment },
      );
    });
    return Object.freeze({ tripped: this.#trip, guards: Object.freeze(guards) });
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

  #segmentCell(cells: Map<string, Cell>, label: string): Cell {
    let cell = cells.get(label);
    if (cell !== undefined) return cell;
    const key = cells.size < this.#maxSegments - 1 ? label : OTHER_SEGMENT;
    cell = cells.get(key);
    if (cell === undefined) {
      cell = newCell(key);
      cells.set(key, cell);
    }
    return cell;
  }
}
