import type { Registry, Release } from '../registry/types.js';
import { bucketOf, candidateThreshold } from './bucket.js';

/** Why a unit got its version: the order of resolution, first match wins. */
export type ResolutionReason = 'pinned' | 'override' | 'rollout' | 'rolled_back' | 'stable';

/** The outcome of {@link resolveVersion}: a version and why. */
export interface Resolution {
  readonly name: string;
  readonly version: number;
  /** The slice a span reports (`prompt.slice`). */
  readonly slice: 'pinned' | 'override' | 'candidate' | 'stable';
  readonly reason: ResolutionReason;
  /** The unit's bucket (0–9999) when a rollout was consulted, else null. */
  readonly bucket: number | null;
}

/** Options of {@link resolveVersion}. */
export interface ResolveOptions {
  /** Serve exactly this version (`get(name, unit, { version })`). */
  readonly version?: number;
  /** The rollout's guard tripped: serve stable to everyone (`on_breach: rollback`). */
  readonly rolledBack?: boolean;
}

/**
 * The version a unit gets for one release: pin → the unit's override → the rollout (the unit's
 * bucket `murmur3(salt + ":" + unit) % 10000` below `round(percent × 100)`, unless the guard
 * rolled it back) → stable. Pure: no clock, no I/O; `PromptClient.get` decides the same way, and
 * ports to other languages can test against it (docs/bucketing.md).
 */
export function resolveRelease(name: string, release: Release, unitId: string | number | null | undefined, options: ResolveOptions = {}): Resolution {
  if (options.version !== undefined) return { name, version: options.version, slice: 'pinned', reason: 'pinned', bucket: null };
  if (unitId !== undefined && unitId !== null) {
    const id = typeof unitId === 'string' ? unitId : String(unitId);
    const override = release.overrides.get(id);
    if (override !== undefined) return { name, version: override, slice: 'override', reason: 'override', bucket: null };
    const rollout = release.rollout;
    if (rollout !== undefined && rollout.percent > 0) {
      const bucket = bucketOf(rollout.salt, id);
      if (bucket < candidateThreshold(rollout.percent)) {
        if (options.rolledBack === true) return { name, version: release.stable, slice: 'stable', reason: 'rolled_back', bucket };
        return { name, version: rollout.candidate, slice: 'candidate', reason: 'rollout', bucket };
      }
      return { name, version: release.stable, slice: 'stable', reason: 'stable', bucket };
    }
  }
  return { name, version: release.stable, slice: 'stable', reason: 'stable', bucket: null };
}

/**
 * {@link resolveRelease} over a registry: the release of `name` in `environment`, or null when the
 * prompt has none there (the client throws PROMPT_NOT_FOUND / PROMPT_NOT_RELEASED).
 */
export function resolveVersion(registry: Registry, environment: string, name: string, unitId?: string | number | null, options: ResolveOptions = {}): Resolution | null {
  const release = registry.environments.get(environment)?.get(name);
  if (!registry.prompts.has(name)) return null;
  if (options.version !== undefined) return { name, version: options.version, slice: 'pinned', reason: 'pinned', bucket: null };
  if (release === undefined) return null;
  return resolveRelease(name, release, unitId, options);
}
