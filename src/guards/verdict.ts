/**
 * Three-way guard verdicts for progressive ramps (issue 13): besides "tripped" (a regression beyond
 * the threshold is shown), the same anytime-valid confidence sequence can show the opposite, that a
 * regression beyond the threshold is RULED OUT: its upper bound (oriented so that positive is
 * worse) is below the threshold. That is `excluded`; anything else is `continue`.
 *
 * The exclusion claim is the mirror one-sided test at the guard's own level, so it is just as valid
 * under continuous peeking. For rates the variance is computed at the rates that sit exactly on the
 * threshold, which is the boundary of both nulls ("worse by δ" and "not worse by δ"). Additive:
 * tripping is untouched (see `stratified.ts`).
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */
import { Evidence } from './evidence.js';
import type { StratifiedJudgement } from './stratified.js';

/** A guard's verdict at one moment (the evidence log's `verdict`). */
export type GuardVerdict = 'continue' | 'tripped' | 'excluded';

/** One guard's verdict with the evidence count behind it (what `rampDecision` reads). */
export interface GuardVerdictRow {
  readonly signal: string;
  readonly verdict: GuardVerdict;
  /** Samples of the candidate arm behind the verdict. */
  readonly nArm: number;
  /** Samples of the control arm behind the verdict. */
  readonly nControl: number;
}

/** Whether one one-sided judgement rules out a regression beyond its threshold. */
export function excludes(j: StratifiedJudgement): boolean {
  return j.reason === 'within-threshold' && j.upper < j.threshold;
}

/**
 * Combines the one-sided judgements of one guard (one for max_increase / max_decrease, two for
 * max_change): tripped when any side tripped, excluded when every side excludes, else continue.
 */
export function verdictOf(judgements: readonly StratifiedJudgement[]): GuardVerdict {
  if (judgements.some((j) => j.tripped)) return 'tripped';
  return judgements.length > 0 && judgements.every(excludes) ? 'excluded' : 'continue';
}

/**
 * The evidence of one ramp phase only (phase key = the candidate share in basis points, percent ×
 * 100, when units were assigned): what "excluded at this step" is judged on. Empty evidence when
 * the phase was never seen.
 */
export function evidenceAtPhase(ev: Evidence, phase: number): Evidence {
  const snap = ev.toJSON();
  return Evidence.fromJSON({ ...snap, phases: snap.phases.filter((p) => p.key === phase), dropped: 0 });
}

/** The phase key of a ramp step: percent × 100 (basis points), as the client assigns it. */
export function phaseOfPercent(percent: number): number {
  return Math.round(percent * 100);
}
