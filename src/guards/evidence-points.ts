/**
 * Guard evidence as metric points and back: what a client exports (one cumulative counter point per
 * sum) and how the fleet judge rebuilds {@link Evidence} from the fleet's sums of those points.
 *
 * Per phase and arm the test needs, per pseudo-cluster, `n` and `Σy` (the cluster-robust variance
 * squares per-cluster sums, which do not add across instances unless kept per cluster), and only
 * the arm's totals of `Σy²` and `Σraw`. For a rate `y ∈ {0, 1}`, so `Σy² = Σraw = Σy`: they are
 * not exported. Series per (rollout, guard, segment, phase) and instance: `2 arms × 64 clusters × 2`
 * = 256 for a rate, + `2 arms × 2` = 260 for a mean (cells with n = 0 are not exported).
 *
 * Pure.
 *
 * @module
 */
import { sha256Hex } from '../internal/sha256.js';
import { formatGuard } from '../registry/release-model.js';
import type { Rollout } from '../registry/types.js';
import { Evidence, type EvidenceSnapshot } from './evidence.js';

/** One exported sum. */
export interface EvidencePoint {
  readonly arm: number;
  readonly phase: number;
  /** 0 … K − 1, or `'all'` for `sum_squares` and `raw`. */
  readonly cluster: number | 'all';
  readonly stat: 'n' | 'sum' | 'sum_squares' | 'raw';
  readonly value: number;
}

/** The points of one evidence (cells with no outcome are skipped: their sums are 0). */
export function evidencePoints(ev: Evidence | EvidenceSnapshot, kind: 'rate' | 'mean'): EvidencePoint[] {
  const snap = ev instanceof Evidence ? ev.toJSON() : ev;
  const out: EvidencePoint[] = [];
  const K = snap.clusters;
  for (const ph of snap.phases) {
    for (let arm = 0; arm < snap.arms; arm++) {
      let sq = 0;
      let raw = 0;
      let any = false;
      for (let k = 0; k < K; k++) {
        const c = (arm * K + k) * 4;
        const n = ph.cells[c] as number;
        if (n === 0) continue;
        any = true;
        out.push({ arm, phase: ph.key, cluster: k, stat: 'n', value: n });
        out.push({ arm, phase: ph.key, cluster: k, stat: 'sum', value: ph.cells[c + 1] as number });
        sq += ph.cells[c + 2] as number;
        raw += ph.cells[c + 3] as number;
      }
      if (any && kind === 'mean') {
        out.push({ arm, phase: ph.key, cluster: 'all', stat: 'sum_squares', value: sq });
        out.push({ arm, phase: ph.key, cluster: 'all', stat: 'raw', value: raw });
      }
    }
  }
  return out;
}

/**
 * Rebuilds an evidence snapshot from summed points (any order, repeated keys added). The totals of
 * `Σy²` and `Σraw` go into cluster 0's cell: every aggregate the test reads is then exactly the
 * one of the evidence that produced the points. Points of unknown shape are ignored and counted.
 */
export function snapshotFromPoints(points: Iterable<EvidencePoint>, kind: 'rate' | 'mean', clusters: number, arms = 2): { snapshot: EvidenceSnapshot; ignored: number } {
  const phases = new Map<number, number[]>();
  let ignored = 0;
  const size = arms * clusters * 4;
  for (const p of points) {
    const okArm = Number.isInteger(p.arm) && p.arm >= 0 && p.arm < arms;
    const okPhase = Number.isInteger(p.phase) && p.phase >= 0 && p.phase <= 10_000;
    const okValue = Number.isFinite(p.value) && p.value >= 0;
    if (!okArm || !okPhase || !okValue) {
      ignored++;
      continue;
    }
    let cells = phases.get(p.phase);
    if (cells === undefined) phases.set(p.phase, (cells = new Array<number>(size).fill(0)));
    if (p.stat === 'n' || p.stat === 'sum') {
      if (!(typeof p.cluster === 'number' && Number.isInteger(p.cluster) && p.cluster >= 0 && p.cluster < clusters)) {
        ignored++;
        continue;
      }
      const c = (p.arm * clusters + p.cluster) * 4;
      if (p.stat === 'n') cells[c] = (cells[c] as number) + p.value;
      else {
        cells[c + 1] = (cells[c + 1] as number) + p.value;
        if (kind === 'rate') {
          cells[c + 2] = (cells[c + 2] as number) + p.value;
          cells[c + 3] = (cells[c + 3] as number) + p.value;
        }
      }
    } else if (kind === 'mean' && (p.stat === 'sum_squares' || p.stat === 'raw')) {
      const c = p.arm * clusters * 4 + (p.stat === 'sum_squares' ? 2 : 3);
      cells[c] = (cells[c] as number) + p.value;
    } else ignored++;
  }
  const snapshot: EvidenceSnapshot = {
    arms,
    clusters,
    phases: [...phases.entries()].sort((a, b) => a[0] - b[0]).map(([key, cells]) => ({ key, cells })),
    dropped: 0,
  };
  return { snapshot, ignored };
}

/**
 * The id of a rollout's evidence (see `promptpin.guard.rollout`): `<prompt>@<candidate>:<12 hex>`.
 * Client and judge compute it from the same release, so the judge reads exactly this rollout's
 * evidence.
 */
export function rolloutEvidenceId(environment: string, prompt: string, stable: number, rollout: Pick<Rollout, 'candidate' | 'salt' | 'started' | 'guards' | 'minSamples' | 'windowMs'>): string {
  const judged = JSON.stringify([environment, prompt, stable, rollout.candidate, rollout.salt, rollout.started ?? null, rollout.guards.map((g) => `${formatGuard(g)}${g.bySegment ? '/segment' : ''}`), rollout.minSamples, rollout.windowMs ?? null]);
  return `${prompt}@${rollout.candidate}:${sha256Hex(judged).slice(0, 12)}`;
}
