/**
 * How a rollout's α is spent over its tests (weighted Bonferroni), so that the probability that
 * ANY guard of the rollout trips falsely, at any time, is at most α:
 *
 * - α is split evenly over the guards and over the candidate arms: `α_g = α / (guards · (arms − 1))`;
 * - a two-sided guard (`max_change`) spends `α_g / 2` per side;
 * - a `bySegment` guard keeps its pooled test and adds one test per segment: the pooled test
 *   gets half of the guard's level, the segment tests share the other half (`/ maxSegments` each).
 *   A regression spread over every segment is then caught by the pooled test at a level only 2×
 *   smaller, and one concentrated in a segment by that segment's test.
 *
 * Pure.
 *
 * @module
 */

/** The α of one guard's tests (one-sided levels, per side). */
export interface GuardAlpha {
  /** Level of the pooled test, per side. */
  readonly pooled: number;
  /** Level of each segment test, per side (0 when the guard is not `bySegment`). */
  readonly segment: number;
}

/** Default false-trip probability of a whole rollout (all its guards, segments and sides). */
export const DEFAULT_ROLLOUT_ALPHA = 0.05;

/**
 * Splits a rollout's α over its guards (see the module comment).
 *
 * @param guards - per guard: two-sided (max_change) or not, and bySegment or not
 * @param alpha - the rollout's α in (0, 1)
 * @param maxSegments - segment tests per bySegment guard, >= 1
 * @param arms - arms including the control, >= 2
 */
export function planAlpha(
  guards: readonly { readonly twoSided: boolean; readonly bySegment: boolean }[],
  alpha: number = DEFAULT_ROLLOUT_ALPHA,
  maxSegments = 10,
  arms = 2,
): GuardAlpha[] {
  const g = Math.max(1, guards.length) * Math.max(1, arms - 1);
  return guards.map((spec) => {
    const perSide = alpha / g / (spec.twoSided ? 2 : 1);
    return Object.freeze(spec.bySegment ? { pooled: perSide / 2, segment: perSide / 2 / maxSegments } : { pooled: perSide, segment: 0 });
  });
}
