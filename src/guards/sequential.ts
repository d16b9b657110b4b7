/**
 * Pure statistics of rollout guards: anytime-valid comparisons of a candidate arm against a stable
 * arm that may be re-checked after every single outcome (continuous peeking) without inflating the
 * false-trip rate.
 *
 * Method (see docs/guards-method.md for the derivation, the parameters and the measured figures):
 * an asymptotic confidence sequence built from the one-sided normal-mixture boundary of Howard,
 * Ramdas, McAuliffe & Sekhon (Ann. Statist. 2021), applied to the standardized difference of the
 * two arms with plug-in variances, as in the asymptotic confidence sequences of Waudby-Smith,
 * Arbour, Sinha, Kennedy & Ramdas ("Time-uniform central limit theory and asymptotic confidence
 * sequences", Ann. Statist. 2024). For a one-sided level `a` and "time" `t` the boundary multiplier is
 *
 *     b(t) = sqrt( 2 (1 + ρ/t) · ln( sqrt(1 + t/ρ) / (2a) + 1 ) )
 *
 * and a bound is `estimate ± b(t) · SE`. `t` is the effective sample size
 * `nStable·nCandidate / (nStable + nCandidate)` and ρ is fixed in advance from
 * {@link SequentialTestOptions.tightestAt}.
 *
 * Everything here is pure (no I/O, no clock), O(1) per call and allocation-free on the hot paths
 * ({@link rateIncreaseTripped}, {@link rateDecreaseTripped}, {@link meanChangeTripped}).
 *
 * @module
 */

/** Counts of one arm for a boolean signal (a rate). */
export interface RateArm {
  /** Number of outcomes that carried the signal. */
  readonly n: number;
  /** Number of those outcomes where the signal was `true`. */
  readonly events: number;
}

/** Running sums of one arm for a numeric signal (a mean). */
export interface MeanArm {
  /** Number of outcomes that carried the signal. */
  readonly n: number;
  /** Sum of the values. */
  readonly sum: number;
  /** Sum of the squared values. */
  readonly sumSquares: number;
}

/** Options shared by every sequential judgement. */
export interface SequentialTestOptions {
  /**
   * Probability, over the whole (unbounded) monitoring period, that the guard trips although the
   * candidate is not worse than the threshold. Default {@link DEFAULT_ALPHA} (0.05). For rate guards
   * this is the level of the one-sided test; for the two-sided mean guard it is split α/2 per side.
   */
  readonly alpha?: number;
  /**
   * Samples required in EACH arm before a guard may judge. Default {@link DEFAULT_MIN_SAMPLES} (500).
   * Below it the judgement is `insufficient-samples` (the normal approximation behind the
   * confidence sequence is poor for a handful of rare events).
   */
  readonly minSamples?: number;
  /**
   * Tuning of the normal mixture: the effective sample size `nS·nC/(nS+nC)` at which the confidence
   * sequence is tightest. It only moves where the boundary is tightest, never the validity.
   * Default {@link DEFAULT_TIGHTEST_AT} (3,000: about 3,300 candidate samples of a 10% rollout).
   */
  readonly tightestAt?: number;
}

/** Why a guard did or did not trip. */
export type GuardReason = 'insufficient-samples' | 'within-threshold' | 'breach';

/**
 * Result of one judgement, frozen.
 *
 * Units: for the rate guards `estimate`, `lower`, `upper` and `threshold` are proportions of the
 * guard's direction (`p_c − p_s` for an increase guard, `p_s − p_c` for a decrease guard, so a
 * positive value is always "worse"); for the mean guard they are relative changes
 * `mean_c / mean_s − 1` (signed) and `threshold` is `maxChange`.
 */
export interface GuardJudgement {
  /** `true` iff `reason === 'breach'`. */
  readonly tripped: boolean;
  /** `insufficient-samples` before `minSamples` per arm, else `breach` or `within-threshold`. */
  readonly reason: GuardReason;
  /** Observed value of the guarded quantity (NaN when it is undefined, e.g. an empty arm). */
  readonly estimate: number;
  /**
   * Lower bound of the confidence sequence. Rate guards: a one-sided level-α bound (so
   * `[lower, upper]` is a 1−2α confidence sequence); mean guard: one side of a 1−α sequence.
   */
  readonly lower: number;
  /** Upper bound of the confidence sequence (see {@link GuardJudgement.lower}). */
  readonly upper: number;
  /** The threshold in the same unit as `estimate`. */
  readonly threshold: number;
  /** Samples in the stable arm. */
  readonly stableN: number;
  /** Samples in the candidate arm. */
  readonly candidateN: number;
}

/** Default overall false-trip probability of a guard. */
export const DEFAULT_ALPHA = 0.05;
/** Default number of samples per arm before a guard may judge. */
export const DEFAULT_MIN_SAMPLES = 500;
/** Default effective sample size at which the confidence sequence is tightest. */
export const DEFAULT_TIGHTEST_AT = 3_000;

// ---------------------------------------------------------------------------------------------
// Boundary
// ---------------------------------------------------------------------------------------------

/**
 * Mixture precision ρ (in samples) that makes the one-sided boundary at level `a` tightest near
 * `tightestAt`: ρ = t* / (−2 ln(2a) + ln(1 − 2 ln(2a))) (the closed-form optimizer of
 * Waudby-Smith et al., with 2a in place of α because a one-sided mixture at level a is close to the
 * two-sided one at 2a).
 */
function mixtureRho(a: number, tightestAt: number): number {
  const l = -2 * Math.log(2 * a);
  return tightestAt / (l + Math.log(1 + l));
}

/**
 * One-sided normal-mixture boundary multiplier at one-sided level `a`, "time" `t` (effective
 * samples) and mixture precision `rho`:
 * `b = sqrt(2 (1 + rho/t) ln(sqrt(1 + t/rho) / (2a) + 1))`.
 *
 * A standardized statistic `Z_t = (estimate_t − θ) / SE_t` crosses `b(t)` at some time with
 * probability at most `a` (asymptotically; exact for Gaussian increments with known variance).
 *
 * @param t - effective sample size, > 0
 * @param a - one-sided level in (0, 0.5)
 * @param rho - mixture precision in samples, > 0
 */
export function mixtureBoundary(t: number, a: number, rho: number): number {
  return Math.sqrt(2 * (1 + rho / t) * Math.log(Math.sqrt(1 + t / rho) / (2 * a) + 1));
}

/** Effective sample size of a two-arm comparison: nS·nC/(nS+nC). */
function effectiveN(nS: number, nC: number): number {
  return (nS * nC) / (nS + nC);
}

// Resolved options, memoized on their values so the hot paths do no logarithm for ρ and no
// allocation. Purely an optimization: results depend only on the arguments.
let memoAlpha = Number.NaN;
let memoTightestAt = Number.NaN;
let memoRhoRate = 0; // ρ for one-sided level α
let memoRhoMean = 0; // ρ for one-sided level α/2

function checkOptions(alpha: number, minSamples: number, tightestAt: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(minSamples >= 0 && Number.isFinite(minSamples))) {
    throw new RangeError(`minSamples must be a finite number >= 0, got ${minSamples}`);
  }
  if (!(tightestAt > 0 && Number.isFinite(tightestAt))) {
    throw new RangeError(`tightestAt must be a finite number > 0, got ${tightestAt}`);
  }
  if (alpha !== memoAlpha || tightestAt !== memoTightestAt) {
    memoRhoRate = mixtureRho(alpha, tightestAt);
    memoRhoMean = mixtureRho(alpha / 2, tightestAt);
    memoAlpha = alpha;
    memoTightestAt = tightestAt;
  }
}

function checkThreshold(name: string, value: number): void {
  if (!(value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
}

function checkRateArm(label: string, n: number, events: number): void {
  if (!(n >= 0 && Number.isFinite(n) && events >= 0 && events <= n)) {
    throw new RangeError(`${label} arm must have 0 <= events <= n (finite), got n=${n}, events=${events}`);
  }
}

function checkMeanArm(label: string, n: number, sum: number, sumSquares: number): void {
  if (!(n >= 0 && Number.isFinite(n) && Number.isFinite(sum) && Number.isFinite(sumSquares))) {
    throw new RangeError(`${label} arm must have finite n >= 0, sum and sumSquares`);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

// ---------------------------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------------------------

/** Standard error of p̂_c − p̂_s with unpooled plug-in (Wald) variances. Arms must be non-empty. */
function rateSe(nS: number, eS: number, nC: number, eC: number): number {
  const pS = eS / nS;
  const pC = eC / nC;
  return Math.sqrt((pS * (1 - pS)) / nS + (pC * (1 - pC)) / nC);
}

/**
 * Lower confidence-sequence bound of `sign · (p_c − p_s)` (sign +1: increase, −1: decrease).
 * Arms must be non-empty.
 */
function rateLower(sign: number, nS: number, eS: number, nC: number, eC: number, rho: number, alpha: number): number {
  const est = sign * (eC / nC - eS / nS);
  return est - mixtureBoundary(effectiveN(nS, nC), alpha, rho) * rateSe(nS, eS, nC, eC);
}

function rateTripped(
  sign: number,
  nS: number,
  eS: number,
  nC: number,
  eC: number,
  threshold: number,
  opts: SequentialTestOptions | undefined,
): boolean {
  const alpha = opts?.alpha ?? DEFAULT_ALPHA;
  const minSamples = opts?.minSamples ?? DEFAULT_MIN_SAMPLES;
  checkOptions(alpha, minSamples, opts?.tightestAt ?? DEFAULT_TIGHTEST_AT);
  checkRateArm('stable', nS, eS);
  checkRateArm('candidate', nC, eC);
  const min = minSamples < 1 ? 1 : minSamples;
  if (nS < min || nC < min) return false;
  // Exact shortcut (the bound is never above the estimate): skips the log/sqrt most of the time.
  if (!(sign * (eC / nC - eS / nS) > threshold)) return false;
  return rateLower(sign, nS, eS, nC, eC, memoRhoRate, alpha) > threshold;
}

function judgeRate(
  sign: number,
  stable: RateArm,
  candidate: RateArm,
  threshold: number,
  opts: SequentialTestOptions | undefined,
): GuardJudgement {
  const alpha = opts?.alpha ?? DEFAULT_ALPHA;
  const minSamples = opts?.minSamples ?? DEFAULT_MIN_SAMPLES;
  checkOptions(alpha, minSamples, opts?.tightestAt ?? DEFAULT_TIGHTEST_AT);
  const nS = stable.n;
  const eS = stable.events;
  const nC = candidate.n;
  const eC = candidate.events;
  checkRateArm('stable', nS, eS);
  checkRateArm('candidate', nC, eC);
  let estimate = Number.NaN;
  let lower = -1;
  let upper = 1;
  if (nS > 0 && nC > 0) {
    estimate = sign * (eC / nC - eS / nS);
    const half = mixtureBoundary(effectiveN(nS, nC), alpha, memoRhoRate) * rateSe(nS, eS, nC, eC);
    lower = clamp(estimate - half, -1, 1);
    upper = clamp(estimate + half, -1, 1);
  }
  const min = minSamples < 1 ? 1 : minSamples;
  const reason: GuardReason =
    nS < min || nC < min ? 'insufficient-samples' : lower > threshold ? 'breach' : 'within-threshold';
  return Object.freeze({
    tripped: reason === 'breach',
    reason,
    estimate,
    lower,
    upper,
    threshold,
    stableN: nS,
    candidateN: nC,
  });
}

/**
 * Judges whether the candidate's rate exceeds the stable rate by more than `maxIncrease`:
 * trips when the anytime-valid lower bound of `p_c − p_s` is above `maxIncrease`.
 *
 * @param stable - counts of the stable arm
 * @param candidate - counts of the candidate arm
 * @param maxIncrease - allowed increase as a PROPORTION (0.005 = 0.5 percentage points), >= 0
 * @param opts - alpha (one-sided, default 0.05), minSamples per arm (default 500), tightestAt
 * @returns a frozen judgement in units of `p_c − p_s`
 * @throws RangeError on invalid options, threshold or counts
 */
export function judgeRateIncrease(
  stable: RateArm,
  candidate: RateArm,
  maxIncrease: number,
  opts?: SequentialTestOptions,
): GuardJudgement {
  checkThreshold('maxIncrease', maxIncrease);
  return judgeRate(1, stable, candidate, maxIncrease, opts);
}

/**
 * Judges whether the candidate's rate is below the stable rate by more than `maxDecrease`:
 * trips when the anytime-valid lower bound of `p_s − p_c` is above `maxDecrease`.
 *
 * @param stable - counts of the stable arm
 * @param candidate - counts of the candidate arm
 * @param maxDecrease - allowed decrease as a PROPORTION (0.05 = 5 percentage points), >= 0
 * @param opts - alpha (one-sided, default 0.05), minSamples per arm (default 500), tightestAt
 * @returns a frozen judgement in units of `p_s − p_c` (positive = candidate lower)
 * @throws RangeError on invalid options, threshold or counts
 */
export function judgeRateDecrease(
  stable: RateArm,
  candidate: RateArm,
  maxDecrease: number,
  opts?: SequentialTestOptions,
): GuardJudgement {
  checkThreshold('maxDecrease', maxDecrease);
  return judgeRate(-1, stable, candidate, maxDecrease, opts);
}

/**
 * Allocation-free equivalent of `judgeRateIncrease(...).tripped`, for hot loops and simulations.
 * Same arguments as {@link judgeRateIncrease} with the arms spread into numbers.
 */
export function rateIncreaseTripped(
  stableN: number,
  stableEvents: number,
  candidateN: number,
  candidateEvents: number,
  maxIncrease: number,
  opts?: SequentialTestOptions,
): boolean {
  checkThreshold('maxIncrease', maxIncrease);
  return rateTripped(1, stableN, stableEvents, candidateN, candidateEvents, maxIncrease, opts);
}

/**
 * Allocation-free equivalent of `judgeRateDecrease(...).tripped`, for hot loops and simulations.
 * Same arguments as {@link judgeRateDecrease} with the arms spread into numbers.
 */
export function rateDecreaseTripped(
  stableN: number,
  stableEvents: number,
  candidateN: number,
  candidateEvents: number,
  maxDecrease: number,
  opts?: SequentialTestOptions,
): boolean {
  checkThreshold('maxDecrease', maxDecrease);
  return rateTripped(-1, stableN, stableEvents, candidateN, candidateEvents, maxDecrease, opts);
}

// ---------------------------------------------------------------------------------------------
// Means
// ---------------------------------------------------------------------------------------------

/** Unbiased sample variance from running sums (clamped at 0 against rounding). n >= 2. */
function sampleVariance(n: number, sum: number, sumSquares: number): number {
  const v = (sumSquares - (sum * sum) / n) / (n - 1);
  return v > 0 ? v : 0;
}

/**
 * Decision of the mean guard from running sums. Linear (Fieller) form, no ratio approximation:
 * "increase beyond m" is established when the lower bound of `x̄_c − (1+m)·x̄_s` is > 0,
 * "decrease beyond m" when the upper bound of `x̄_c − (1−m)·x̄_s` is < 0, each at one-sided
 * level α/2. Requires a positive stable mean that the sequence separates from 0 (else the
 * Fieller set is unbounded); under that condition it is equivalent to the Fieller bounds of
 * {@link judgeMeanChange} lying outside [1−m, 1+m].
 */
function meanTrippedCore(
  nS: number,
  sumS: number,
  sqS: number,
  nC: number,
  sumC: number,
  sqC: number,
  m: number,
  b: number,
): boolean {
  const xs = sumS / nS;
  if (!(xs > 0)) return false;
  const xc = sumC / nC;
  // Exact shortcut: the point estimate of the ratio must itself lie outside [1−m, 1+m].
  if (xc <= (1 + m) * xs && xc >= (1 - m) * xs) return false;
  const vs = sampleVariance(nS, sumS, sqS) / nS;
  // Stable mean not resolvably positive: the Fieller set is unbounded, the ratio is not identified.
  if (!(xs * xs - b * b * vs > 0)) return false;
  const vc = sampleVariance(nC, sumC, sqC) / nC;
  const hi = 1 + m;
  if (xc - hi * xs - b * Math.sqrt(vc + hi * hi * vs) > 0) return true;
  const lo = 1 - m;
  return xc - lo * xs + b * Math.sqrt(vc + lo * lo * vs) < 0;
}

/**
 * Allocation-free equivalent of `judgeMeanChange(...).tripped`, for hot loops and simulations.
 * Same arguments as {@link judgeMeanChange} with the arms spread into numbers.
 */
export function meanChangeTripped(
  stableN: number,
  stableSum: number,
  stableSumSquares: number,
  candidateN: number,
  candidateSum: number,
  candidateSumSquares: number,
  maxChange: number,
  opts?: SequentialTestOptions,
): boolean {
  checkThreshold('maxChange', maxChange);
  const alpha = opts?.alpha ?? DEFAULT_ALPHA;
  const minSamples = opts?.minSamples ?? DEFAULT_MIN_SAMPLES;
  checkOptions(alpha, minSamples, opts?.tightestAt ?? DEFAULT_TIGHTEST_AT);
  checkMeanArm('stable', stableN, stableSum, stableSumSquares);
  checkMeanArm('candidate', candidateN, candidateSum, candidateSumSquares);
  const min = minSamples < 2 ? 2 : minSamples;
  if (stableN < min || candidateN < min) return false;
  const b = mixtureBoundary(effectiveN(stableN, candidateN), alpha / 2, memoRhoMean);
  return meanTrippedCore(
    stableN,
    stableSum,
    stableSumSquares,
    candidateN,
    candidateSum,
    candidateSumSquares,
    maxChange,
    b,
  );
}

/**
 * Judges whether the mean of a positive numeric signal changed by more than `maxChange` in
 * either direction: trips when the anytime-valid (1−α) confidence sequence for
 * `R − 1 = mean_c / mean_s − 1` lies entirely outside `[−maxChange, +maxChange]`.
 *
 * The sequence for the ratio R is Fieller's: the set of R with
 * `|x̄_c − R·x̄_s| <= b · sqrt(v_c + R²·v_s)` (v = sample variance / n), b the one-sided boundary at
 * α/2; so each side is a linear, exactly-centred contrast and no delta-method approximation is
 * involved. When the stable mean is not positive, or not resolvably different from 0 (the Fieller
 * set is unbounded), the relative change is not identified: the guard does not trip, `estimate` is
 * NaN when `x̄_s <= 0`, and the bounds are ±Infinity.
 *
 * @param stable - running sums of the stable arm
 * @param candidate - running sums of the candidate arm
 * @param maxChange - allowed relative change as a FRACTION (0.10 = 10%), >= 0
 * @param opts - alpha (two-sided, default 0.05), minSamples per arm (default 500, at least 2), tightestAt
 * @returns a frozen judgement in units of relative change
 * @throws RangeError on invalid options, threshold or sums
 */
export function judgeMeanChange(
  stable: MeanArm,
  candidate: MeanArm,
  maxChange: number,
  opts?: SequentialTestOptions,
): GuardJudgement {
  checkThreshold('maxChange', maxChange);
  const alpha = opts?.alpha ?? DEFAULT_ALPHA;
  const minSamples = opts?.minSamples ?? DEFAULT_MIN_SAMPLES;
  checkOptions(alpha, minSamples, opts?.tightestAt ?? DEFAULT_TIGHTEST_AT);
  const nS = stable.n;
  const nC = candidate.n;
  checkMeanArm('stable', nS, stable.sum, stable.sumSquares);
  checkMeanArm('candidate', nC, candidate.sum, candidate.sumSquares);
  let estimate = Number.NaN;
  let lower = Number.NEGATIVE_INFINITY;
  let upper = Number.POSITIVE_INFINITY;
  if (nS > 0 && nC > 0) {
    const xs = stable.sum / nS;
    const xc = candidate.sum / nC;
    if (xs > 0) estimate = xc / xs - 1;
    if (xs > 0 && nS >= 2 && nC >= 2) {
      const b = mixtureBoundary(effectiveN(nS, nC), alpha / 2, memoRhoMean);
      const vs = sampleVariance(nS, stable.sum, stable.sumSquares) / nS;
      const vc = sampleVariance(nC, candidate.sum, candidate.sumSquares) / nC;
      // Fieller: A R² − 2 x̄c x̄s R + (x̄c² − b² vc) <= 0 with A = x̄s² − b² vs.
      const b2 = b * b;
      const a = xs * xs - b2 * vs;
      if (a > 0) {
        const disc = b2 * (vc * a + vs * xc * xc);
        const root = Math.sqrt(disc > 0 ? disc : 0);
        lower = (xc * xs - root) / a - 1;
        upper = (xc * xs + root) / a - 1;
      }
    }
  }
  const min = minSamples < 2 ? 2 : minSamples;
  let reason: GuardReason;
  if (nS < min || nC < min) reason = 'insufficient-samples';
  else reason = lower > maxChange || upper < -maxChange ? 'breach' : 'within-threshold';
  return Object.freeze({
    tripped: reason === 'breach',
    reason,
    estimate,
    lower,
    upper,
    threshold: maxChange,
    stableN: nS,
    candidateN: nC,
  });
}
