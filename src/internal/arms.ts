/** The bucket arithmetic of the bucketing contract (docs/bucketing.md), shared by the resolver and the release model's validation. */
import { percentProblem } from './percent.js';

/**
 * Number of buckets: one bucket is one basis point (0.01%) of traffic. Buckets are `0 … 9999`.
 */
export const BUCKET_COUNT = 10000;

/**
 * The number of buckets on the candidate for a rollout at `percent`: `Math.round(percent * 100)`.
 * A unit is on the candidate when `bucket < candidateThreshold(percent)`.
 *
 * `percent` is a number from 0 to 100 with up to two decimals (basis points); rounding to the
 * nearest basis point absorbs binary floating-point error (`33.33 * 100 === 3332.9999999999995`
 * gives 3333). Because the threshold only grows with `percent`, ramping up never moves a candidate
 * unit back to stable, and `0` puts nobody on the candidate while `100` puts everybody.
 *
 * @throws {RangeError} when `percent` is not a number from 0 to 100 with at most two decimals
 * (the message is {@link percentProblem}'s, the one every reader of a percent gives).
 * @returns an integer in `[0, BUCKET_COUNT]`.
 */
export function candidateThreshold(percent: number): number {
  const problem = percentProblem(percent);
  if (problem !== null) throw new RangeError(problem);
  return Math.round(percent * 100);
}

export const MAX_ARMS = 8;

/** One candidate's range of buckets in an n-arm experiment: `start <= bucket < end`. */
export interface ArmRange {
  /** First bucket of the arm's lane: `floor((arm − 1) × 10000 / k)`. Fixed while percents change. */
  readonly start: number;
  /** One past the arm's last bucket: `start + round(percent × 100)`. */
  readonly end: number;
  /** Buckets the lane can hold: `floor(arm × 10000 / k) − start` (its percent cap × 100). */
  readonly capacity: number;
}

/**
 * The bucket ranges of an n-arm experiment (HASH_VERSION 1, docs/bucketing.md "Experiments with n
 * arms"). The bucket space is cut into `k` fixed lanes laid end to end, lane `j` (1-based) being
 * `[floor((j−1)·10000/k), floor(j·10000/k))`; arm `j` takes the first `round(percent_j × 100)`
 * buckets of its own lane. Units outside every arm's range are the control (the stable version).
 *
 * NB: lanes, not plain cumulative ranges: with cumulative ranges, growing arm 1 would shift arm 2's
 * range and move its units. Here each arm starts at a fixed bucket, so ramping any arm up only adds
 * units to it (sticky). With one candidate the lane is the whole space and this is exactly the
 * two-arm rule `bucket < round(percent × 100)`.
 *
 * @throws {RangeError} when there are no percents, more than {@link MAX_ARMS}, a percent is outside
 * `[0, 100]`, or an arm's buckets exceed its lane (at most `100 / k` percent each).
 */
export function armRanges(percents: readonly number[]): readonly ArmRange[] {
  const k = percents.length;
  if (k < 1 || k > MAX_ARMS) throw new RangeError(`an experiment has 1 to ${MAX_ARMS} candidates, got ${k}`);
  return Object.freeze(
    percents.map((p, i) => {
      const start = Math.floor((i * BUCKET_COUNT) / k);
      const capacity = Math.floor(((i + 1) * BUCKET_COUNT) / k) - start;
      const width = candidateThreshold(p);
      if (width > capacity) throw new RangeError(`arm ${i + 1} at ${p}% exceeds its lane of ${capacity / 100}% (with ${k} candidates each arm may take at most ${capacity / 100}%)`);
      return Object.freeze({ start, end: start + width, capacity });
    }),
  );
}

