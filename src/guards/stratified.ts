/**
 * The production guard test: an anytime-valid one-sided test of "arm a is worse than the control
 * by more than δ", computed from {@link Evidence} and valid under the conditions of production:
 *
 * - **Ramp-aware.** Arms are compared only within a phase (one split). The phases' differences are
 *   combined as a stratified difference with sample-size weights `w_h = n_a·n_0/(n_a+n_0)`, so a
 *   baseline that moves between phases (a ramp from 10% to 50% at night) cancels out.
 * - **Cluster-robust.** Calls of one unit are correlated. The variance is multiplied by a design
 *   effect `deff = max(1, Σ_h w_h²·V_sandwich,h / Σ_h w_h²·V_iid,h)`, the ratio of the
 *   cluster-robust (sandwich, over K pseudo-clusters per arm and phase) to the independent-calls
 *   variance, pooled over arms and phases.
 * - **Valid at small counts.** For rates the variance is computed under the null, at the rates
 *   closest to the pooled rate that sit exactly on the threshold (`p_a − p_0 = δ`), with a floor
 *   of 0.5/n: it does not collapse when an arm has zero events. A rate test also needs
 *   `minEvents` events (both arms together) before it may judge, besides `minSamples` per arm.
 * - **Skew-robust means.** Mean guards compare `log1p(x)`: the estimand is the ratio of geometric
 *   means of `1 + x`, which for a multiplicative change is the change of the mean itself.
 * - **Anytime-valid.** The standardized estimate is compared with the one-sided normal-mixture
 *   boundary ({@link mixtureBoundary}) at "time" `t = Σ_h w_h`, as in the asymptotic confidence
 *   sequences of Waudby-Smith et al.
 *
 * Pure, O(phases) per judgement, allocation-free on the `*Lower` paths.
 *
 * @module
 */
import { AGG, type Evidence } from './evidence.js';
import { mixtureBoundary } from './sequential.js';

/** Options of one one-sided test. */
export interface StratifiedOptions {
  /** One-sided level of this test (already split over guards, segments, sides and arms). */
  readonly alpha: number;
  /** Samples required in each arm (over the phases where both arms have data). */
  readonly minSamples: number;
  /** Rates only: events required in both arms together. Default {@link DEFAULT_MIN_EVENTS}. */
  readonly minEvents?: number;
  /** Effective samples at which the boundary is tightest. Default 3,000. */
  readonly tightestAt?: number;
  /**
   * Ablations, for the operating table only: `'plugin'` uses the unpooled plug-in (Wald) rate
   * variance instead of the variance under the null; `clusterRobust: false` sets deff = 1.
   * @internal
   */
  readonly variance?: 'null' | 'plugin';
  /** @internal see {@link StratifiedOptions.variance} */
  readonly clusterRobust?: boolean;
}

/** Default events (both arms together) before a rate test may judge. */
export const DEFAULT_MIN_EVENTS = 10;
/** Default effective samples at which the boundary is tightest. */
export const DEFAULT_TIGHTEST_AT_STRATIFIED = 3_000;

/** Why a test did or did not trip. */
export type StratifiedReason = 'insufficient-samples' | 'insufficient-events' | 'within-threshold' | 'breach';

/**
 * One judgement, frozen. `estimate`, `lower`, `upper` and `threshold` are in the test's own
 * units, oriented so that positive is worse: proportions for rates (`sign·(p_a − p_0)`), log
 * ratios for means (`sign·(mean log1p(x_a) − mean log1p(x_0))`).
 */
export interface StratifiedJudgement {
  readonly tripped: boolean;
  readonly reason: StratifiedReason;
  readonly estimate: number;
  /** `estimate − b·SE`: the test trips when it is above `threshold`. */
  readonly lower: number;
  /** `estimate + b·SE`, the mirror bound. */
  readonly upper: number;
  readonly threshold: number;
  /** Samples of the control arm in the phases compared. */
  readonly stableN: number;
  /** Samples of the tested arm in the phases compared. */
  readonly candidateN: number;
  /** Events of both arms (rates), else 0. */
  readonly events: number;
  /** The design effect applied to the variance (>= 1). */
  readonly designEffect: number;
  /** Phases where both arms had data. */
  readonly phases: number;
  /** Raw means per arm over the compared phases (rates: the rates; means: the arithmetic means). */
  readonly stableMean: number;
  readonly candidateMean: number;
}

function mixtureRho(a: number, tightestAt: number): number {
  const l = -2 * Math.log(2 * a);
  return tightestAt / (l + Math.log(1 + l));
}

// Scratch outputs of the core (allocation-free hot path).
let outEst = Number.NaN;
let outSe = Number.NaN;
let outT = 0;
let outNa = 0;
let outN0 = 0;
let outEvents = 0;
let outDeff = 1;
let outPhases = 0;
let outRawA = 0;
let outRaw0 = 0;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Sandwich (cluster-robust) variance of one arm's mean, from the aggregates at offset g. */
function sandwich(agg: Float64Array, g: number, mean: number, kFactor: number): number {
  const n = agg[g] as number;
  const r = (agg[g + 4] as number) - 2 * mean * (agg[g + 5] as number) + mean * mean * (agg[g + 6] as number);
  return r > 0 ? (kFactor * r) / (n * n) : 0;
}

/**
 * Core: fills the scratch outputs for arm `arm` vs arm 0 with orientation `sign`, threshold
 * `delta`. `rate` selects the rate variance (under the null) or the mean variance.
 */
function core(ev: Evidence, arm: number, rate: boolean, sign: number, delta: number, opts: StratifiedOptions): void {
  const kFactor = ev.clusters / (ev.clusters - 1);
  const plugin = opts.variance === 'plugin';
  const robust = opts.clusterRobust !== false;
  let W = 0;
  let WD = 0;
  let vNull = 0;
  let vIid = 0;
  let vSand = 0;
  let na = 0;
  let n0 = 0;
  let events = 0;
  let rawA = 0;
  let raw0 = 0;
  let phases = 0;
  const ga = arm * AGG;
  for (let h = 0; h < ev.phaseCount; h++) {
    const agg = ev.aggregates(h);
    const nA = agg[ga] as number;
    const nC = agg[0] as number;
    if (nA === 0 || nC === 0) continue;
    phases++;
    const sA = agg[ga + 1] as number;
    const sC = agg[1] as number;
    const mA = sA / nA;
    const mC = sC / nC;
    const w = (nA * nC) / (nA + nC);
    W += w;
    WD += w * sign * (mA - mC);
    na += nA;
    n0 += nC;
    rawA += agg[ga + 3] as number;
    raw0 += agg[3] as number;
    let iid: number;
    let nul: number;
    if (rate) {
      events += sA + sC;
      iid = (mA * (1 - mA)) / nA + (mC * (1 - mC)) / nC;
      if (plugin) nul = iid;
      else {
        const N = nA + nC;
        const pbar = (sA + sC) / N;
        const eps = 0.5 / N;
        const qa = clamp(pbar + (sign * delta * nC) / N, eps, 1 - eps);
        const q0 = clamp(pbar - (sign * delta * nA) / N, eps, 1 - eps);
        nul = (qa * (1 - qa)) / nA + (q0 * (1 - q0)) / nC;
      }
    } else {
      const varA = nA > 1 ? ((agg[ga + 2] as number) - sA * mA) / (nA - 1) : 0;
      const varC = nC > 1 ? ((agg[2] as number) - sC * mC) / (nC - 1) : 0;
      iid = (varA > 0 ? varA : 0) / nA + (varC > 0 ? varC : 0) / nC;
      nul = iid;
    }
    const w2 = w * w;
    vNull += w2 * nul;
    vIid += w2 * iid;
    if (robust) vSand += w2 * (sandwich(agg, ga, mA, kFactor) + sandwich(agg, 0, mC, kFactor));
  }
  outT = W;
  outNa = na;
  outN0 = n0;
  outEvents = events;
  outPhases = phases;
  outRawA = na > 0 ? rawA / na : Number.NaN;
  outRaw0 = n0 > 0 ? raw0 / n0 : Number.NaN;
  if (W === 0) {
    outEst = Number.NaN;
    outSe = Number.NaN;
    outDeff = 1;
    return;
  }
  outEst = WD / W;
  const deff = robust && vIid > 0 && vSand > vIid ? vSand / vIid : 1;
  outDeff = deff;
  const v = (deff * vNull) / (W * W);
  outSe = Math.sqrt(v > 1e-300 ? v : 1e-300);
}

/** The stratified estimate alone (one pass over the phases). */
function estimateOf(ev: Evidence, arm: number, sign: number): number {
  let W = 0;
  let WD = 0;
  const ga = arm * AGG;
  for (let h = 0; h < ev.phaseCount; h++) {
    const agg = ev.aggregates(h);
    const nA = agg[ga] as number;
    const nC = agg[0] as number;
    if (nA === 0 || nC === 0) continue;
    const w = (nA * nC) / (nA + nC);
    W += w;
    WD += w * sign * ((agg[ga + 1] as number) / nA - (agg[1] as number) / nC);
  }
  return W > 0 ? WD / W : Number.NaN;
}

function gate(rate: boolean, opts: StratifiedOptions): 'insufficient-samples' | 'insufficient-events' | null {
  const min = opts.minSamples < 1 ? 1 : opts.minSamples;
  if (outNa < min || outN0 < min || (!rate && (outNa < 2 || outN0 < 2))) return 'insufficient-samples';
  if (rate && outEvents < (opts.minEvents ?? DEFAULT_MIN_EVENTS)) return 'insufficient-events';
  return null;
}

function boundary(opts: StratifiedOptions): number {
  return mixtureBoundary(outT, opts.alpha, mixtureRho(opts.alpha, opts.tightestAt ?? DEFAULT_TIGHTEST_AT_STRATIFIED));
}

/**
 * Allocation-free decision: true when the test trips. `rate` selects the rate test (values 0/1);
 * otherwise values are log1p-transformed means and `delta` is a log ratio.
 */
export function stratifiedTripped(ev: Evidence, arm: number, rate: boolean, sign: 1 | -1, delta: number, opts: StratifiedOptions): boolean {
  // Exact shortcut first (the bound is never above the estimate): one cheap pass, no variance.
  if (!(estimateOf(ev, arm, sign) > delta)) return false;
  core(ev, arm, rate, sign, delta, opts);
  // Exact shortcut: the bound is never above the estimate.
  if (!(outEst > delta)) return false;
  if (gate(rate, opts) !== null) return false;
  return outEst - boundary(opts) * outSe > delta;
}

/** The full, frozen judgement behind {@link stratifiedTripped}. */
export function judgeStratified(ev: Evidence, arm: number, rate: boolean, sign: 1 | -1, delta: number, opts: StratifiedOptions): StratifiedJudgement {
  core(ev, arm, rate, sign, delta, opts);
  let lower = Number.NEGATIVE_INFINITY;
  let upper = Number.POSITIVE_INFINITY;
  if (outT > 0) {
    const half = boundary(opts) * outSe;
    lower = outEst - half;
    upper = outEst + half;
    if (rate) {
      lower = clamp(lower, -1, 1);
      upper = clamp(upper, -1, 1);
    }
  }
  const g = gate(rate, opts);
  const reason: StratifiedReason = g ?? (lower > delta ? 'breach' : 'within-threshold');
  return Object.freeze({
    tripped: reason === 'breach',
    reason,
    estimate: outEst,
    lower,
    upper,
    threshold: delta,
    stableN: outN0,
    candidateN: outNa,
    events: outEvents,
    designEffect: outDeff,
    phases: outPhases,
    stableMean: outRaw0,
    candidateMean: outRawA,
  });
}
