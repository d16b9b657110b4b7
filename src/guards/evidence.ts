/**
 * Guard evidence as additive sufficient statistics: per arm (arm 0 is the control), per ramp
 * phase (a period with one fixed assignment split) and per pseudo-cluster (units hashed into a
 * fixed number K of clusters). Every stored number is a sum over outcomes, so the evidence of two
 * instances added cell by cell is exactly the evidence of one instance that saw both streams
 * ({@link Evidence.merge}); the fleet judge builds on this. The state is bounded: arms × phases ×
 * K × 4 numbers, whatever the number of users.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */
import { murmur3_32 } from '../resolve/murmur3.js';

/** Default number of pseudo-clusters units are hashed into. */
export const DEFAULT_CLUSTERS = 64;
/**
 * murmur3 seed of the unit → pseudo-cluster hash. Distinct from the bucketing seed (0, over
 * `salt:unitId`), so a unit's cluster is independent of its arm.
 */
export const CLUSTER_SEED = 0x2545f491;
/** Most distinct phases (splits) one evidence keeps; outcomes of further phases are dropped (and counted). */
export const MAX_PHASES = 32;

/** The pseudo-cluster of a unit: `murmur3_32(unitId, CLUSTER_SEED) % clusters`. */
export function clusterOf(unitId: string, clusters: number = DEFAULT_CLUSTERS): number {
  return murmur3_32(unitId, CLUSTER_SEED) % clusters;
}

/** Fields per cell: n, Σy, Σy², Σraw (y = 0/1 for a rate, log1p(x) for a mean; raw = x). */
const F = 4;
/**
 * Derived aggregates per (phase, arm), kept incrementally for O(phases) judging:
 * n, Σy, Σy², Σraw, A = Σ_k (Σy)_k², B = Σ_k (Σy)_k·n_k, C = Σ_k n_k².
 * @internal
 */
export const AGG = 7;
/** Offsets into an aggregate row. @internal */
export const AggField = { n: 0, sum: 1, sumSquares: 2, raw: 3, a: 4, b: 5, c: 6 } as const;

/** JSON form of {@link Evidence}: plain sums, mergeable by addition. */
export interface EvidenceSnapshot {
  readonly arms: number;
  readonly clusters: number;
  /** One entry per phase: its key and arms × clusters × 4 sums (n, Σy, Σy², Σraw), arm-major. */
  readonly phases: readonly { readonly key: number; readonly cells: readonly number[] }[];
  /** Outcomes dropped because more than {@link MAX_PHASES} phases appeared. */
  readonly dropped: number;
}

/**
 * Additive evidence of one guarded signal (one segment) of a rollout.
 *
 * @example
 * ```ts
 * const ev = new Evidence(2);                        // control + one candidate
 * ev.add(1000, 1, clusterOf(userId), refused ? 1 : 0);   // phase 1000 = a 10.00% split
 * ```
 */
export class Evidence {
  /** Number of arms; arm 0 is the control. */
  readonly arms: number;
  /** Number of pseudo-clusters. */
  readonly clusters: number;
  readonly #keys: number[] = [];
  readonly #index = new Map<number, number>();
  readonly #cells: Float64Array[] = [];
  readonly #agg: Float64Array[] = [];
  #dropped = 0;

  /** @throws RangeError unless arms >= 2 and clusters >= 2 are integers. */
  constructor(arms = 2, clusters: number = DEFAULT_CLUSTERS) {
    if (!(Number.isInteger(arms) && arms >= 2)) throw new RangeError(`arms must be an integer >= 2, got ${arms}`);
    if (!(Number.isInteger(clusters) && clusters >= 2)) throw new RangeError(`clusters must be an integer >= 2, got ${clusters}`);
    this.arms = arms;
    this.clusters = clusters;
  }

  /** Number of phases seen. */
  get phaseCount(): number {
    return this.#keys.length;
  }

  /** Outcomes dropped for lack of phase slots. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Key of phase `i` (order of first appearance). */
  phaseKey(i: number): number {
    return this.#keys[i] as number;
  }

  /** Aggregates of phase `i`: arms × {@link AGG} numbers, arm-major. Read-only by contract. @internal */
  aggregates(i: number): Float64Array {
    return this.#agg[i] as Float64Array;
  }

  #phase(key: number): number {
    const i = this.#index.get(key);
    if (i !== undefined) return i;
    if (this.#keys.length >= MAX_PHASES) return -1;
    this.#keys.push(key);
    this.#cells.push(new Float64Array(this.arms * this.clusters * F));
    this.#agg.push(new Float64Array(this.arms * AGG));
    this.#index.set(key, this.#keys.length - 1);
    return this.#keys.length - 1;
  }

  /**
   * Adds one outcome. O(1), allocation-free once the phase exists.
   *
   * @param phase - the phase key (any integer naming the split in force when the unit was assigned)
   * @param arm - 0 (control) … arms − 1
   * @param cluster - 0 … clusters − 1 (see {@link clusterOf})
   * @param y - the value the test uses: 0/1 for a rate, log1p(x) for a mean
   * @param raw - the value as observed (for reports); defaults to `y`
   * @returns false when the outcome was not counted (bad arm/cluster/value, or no phase slot left)
   */
  add(phase: number, arm: number, cluster: number, y: number, raw: number = y): boolean {
    if (!(arm >= 0 && arm < this.arms && Number.isInteger(arm))) return false;
    if (!(cluster >= 0 && cluster < this.clusters && Number.isInteger(cluster))) return false;
    if (!Number.isFinite(y) || !Number.isFinite(raw)) return false;
    const p = this.#phase(phase);
    if (p < 0) {
      this.#dropped++;
      return false;
    }
    const cells = this.#cells[p] as Float64Array;
    const agg = this.#agg[p] as Float64Array;
    const c = (arm * this.clusters + cluster) * F;
    const nk = cells[c] as number;
    const sk = cells[c + 1] as number;
    cells[c] = nk + 1;
    cells[c + 1] = sk + y;
    cells[c + 2] = (cells[c + 2] as number) + y * y;
    cells[c + 3] = (cells[c + 3] as number) + raw;
    const g = arm * AGG;
    agg[g] = (agg[g] as number) + 1;
    agg[g + 1] = (agg[g + 1] as number) + y;
    agg[g + 2] = (agg[g + 2] as number) + y * y;
    agg[g + 3] = (agg[g + 3] as number) + raw;
    agg[g + 4] = (agg[g + 4] as number) + 2 * sk * y + y * y;
    agg[g + 5] = (agg[g + 5] as number) + sk + nk * y + y;
    agg[g + 6] = (agg[g + 6] as number) + 2 * nk + 1;
    return true;
  }

  /**
   * Adds another evidence's sums into this one (same arms and clusters; phases matched by key).
   * `a.merge(b)` afterwards equals one evidence that saw both streams.
   *
   * @throws RangeError when arms or clusters differ
   */
  merge(other: Evidence | EvidenceSnapshot): this {
    const snap = other instanceof Evidence ? other.toJSON() : other;
    if (snap.arms !== this.arms || snap.clusters !== this.clusters) {
      throw new RangeError(`cannot merge evidence of ${snap.arms} arms × ${snap.clusters} clusters into ${this.arms} × ${this.clusters}`);
    }
    const size = this.arms * this.clusters * F;
    for (const ph of snap.phases) {
      if (ph.cells.length !== size) throw new RangeError(`phase ${ph.key} has ${ph.cells.length} sums, expected ${size}`);
      const p = this.#phase(ph.key);
      if (p < 0) {
        for (let i = 0; i < size; i += F) this.#dropped += ph.cells[i] as number;
        continue;
      }
      const cells = this.#cells[p] as Float64Array;
      for (let i = 0; i < size; i++) cells[i] = (cells[i] as number) + (ph.cells[i] as number);
      this.#recompute(p);
    }
    this.#dropped += snap.dropped;
    return this;
  }

  #recompute(p: number): void {
    const cells = this.#cells[p] as Float64Array;
    const agg = this.#agg[p] as Float64Array;
    agg.fill(0);
    for (let arm = 0; arm < this.arms; arm++) {
      const g = arm * AGG;
      for (let k = 0; k < this.clusters; k++) {
        const c = (arm * this.clusters + k) * F;
        const n = cells[c] as number;
        const s = cells[c + 1] as number;
        agg[g] = (agg[g] as number) + n;
        agg[g + 1] = (agg[g + 1] as number) + s;
        agg[g + 2] = (agg[g + 2] as number) + (cells[c + 2] as number);
        agg[g + 3] = (agg[g + 3] as number) + (cells[c + 3] as number);
        agg[g + 4] = (agg[g + 4] as number) + s * s;
        agg[g + 5] = (agg[g + 5] as number) + s * n;
        agg[g + 6] = (agg[g + 6] as number) + n * n;
      }
    }
  }

  /** Outcomes of `arm` over every phase. */
  count(arm: number): number {
    let n = 0;
    for (const agg of this.#agg) n += agg[arm * AGG] as number;
    return n;
  }

  /** Plain, frozen sums (for export, transport and {@link merge}). */
  toJSON(): EvidenceSnapshot {
    return Object.freeze({
      arms: this.arms,
      clusters: this.clusters,
      phases: Object.freeze(this.#keys.map((key, i) => Object.freeze({ key, cells: Object.freeze(Array.from(this.#cells[i] as Float64Array)) }))),
      dropped: this.#dropped,
    });
  }

  /** Rebuilds evidence from {@link toJSON} output. @throws RangeError on a malformed snapshot */
  static fromJSON(snap: EvidenceSnapshot): Evidence {
    return new Evidence(snap.arms, snap.clusters).merge(snap);
  }
}
