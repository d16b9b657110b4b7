import type { Registry, Release } from '../registry/types.js';
import { armOf, armRanges, bucketOf, candidateThreshold } from './bucket.js';
import { firstMatchingRule, whenMatches, type UnitAttributes } from './match.js';

/** Why a unit got its version: the order of resolution, first match wins. */
export type ResolutionReason = 'pinned' | 'override' | 'rule' | 'rollout' | 'rolled_back' | 'stable';

/** A unit as `get` receives it: an id, or an id with attributes for targeting rules. */
export type UnitInput = string | number | { readonly id?: string | number | null; readonly attributes?: UnitAttributes } | null | undefined;

/** The outcome of {@link resolveVersion}: a version and why. */
export interface Resolution {
  readonly name: string;
  readonly version: number;
  /** The slice a span reports (`prompt.slice`); `rule:<name|index>` when a targeting rule served. */
  readonly slice: 'pinned' | 'override' | 'candidate' | 'stable' | `rule:${string}`;
  readonly reason: ResolutionReason;
  /** The unit's bucket (0–9999) when a rollout was consulted, else null. */
  readonly bucket: number | null;
  /** n-arm experiments only: the unit's arm (0 = the stable control, 1 … k = `candidates[k − 1]`), else null. */
  readonly arm?: number | null;
}

/** Options of {@link resolveVersion}. */
export interface ResolveOptions {
  /** Serve exactly this version (`get(name, unit, { version })`). */
  readonly version?: number;
  /** The rollout's guard tripped: serve stable to everyone (`on_breach: rollback`). */
  readonly rolledBack?: boolean;
  /** n-arm experiments: the arms (1 … k) whose guard tripped with `on_breach: rollback`; their units get stable. */
  readonly rolledBackArms?: ReadonlySet<number>;
}

/** The id and attributes of a {@link UnitInput}. */
export function unitParts(unit: UnitInput): { id: string | undefined; attributes: UnitAttributes | undefined } {
  if (unit === undefined || unit === null) return { id: undefined, attributes: undefined };
  if (typeof unit === 'object') {
    const raw = unit.id;
    const attributes = typeof unit.attributes === 'object' && unit.attributes !== null ? unit.attributes : undefined;
    return { id: raw === undefined || raw === null ? undefined : typeof raw === 'string' ? raw : String(raw), attributes };
  }
  return { id: typeof unit === 'string' ? unit : String(unit), attributes: undefined };
}

/**
 * The version a unit gets for one release. The full order, first match wins (docs/bucketing.md,
 * "Resolution order"):
 *
 * 1. `version` option → `pinned`;
 * 2. the unit id's override (`overrides:`) → `override`;
 * 3. the first targeting rule (`rules:`) whose `when` the unit's attributes satisfy → slice
 *    `rule:<name|index>` (rules are not guarded and ignore the rollout);
 * 4. a rollout whose `when:` scope the unit does not satisfy → stable (no bucket);
 * 5. the rollout: the unit's bucket `murmur3(salt + ":" + id) % 10000` below
 *    `round(percent × 100)` (classic), or inside arm k's range (`candidates:`, see `armRanges`)
 *    → `candidate`, unless the guard rolled it (or that arm) back → stable, `rolled_back`;
 * 6. stable.
 *
 * Without a unit id, steps 2 and 5 are skipped (rules still apply to the attributes). Pure: no
 * clock, no I/O; `PromptClient.get` decides the same way, and ports to other languages can test
 * against it.
 */
export function resolveRelease(name: string, release: Release, unit: UnitInput, options: ResolveOptions = {}): Resolution {
  if (options.version !== undefined) return { name, version: options.version, slice: 'pinned', reason: 'pinned', bucket: null };
  const { id, attributes } = unitParts(unit);
  const stable = { name, version: release.stable, slice: 'stable', reason: 'stable', bucket: null } as const;
  if (id !== undefined) {
    const override = release.overrides.get(id);
    if (override !== undefined) return { name, version: override, slice: 'override', reason: 'override', bucket: null };
  }
  if (release.rules !== undefined) {
    const i = firstMatchingRule(release.rules, attributes);
    if (i >= 0) return { name, version: release.rules[i]!.version, slice: release.rules[i]!.slice, reason: 'rule', bucket: null };
  }
  const rollout = release.rollout;
  if (id === undefined || rollout === undefined || rollout.percent <= 0) return stable;
  if (rollout.when !== undefined && !whenMatches(rollout.when, attributes)) return stable;
  const bucket = bucketOf(rollout.salt, id);
  if (rollout.arms !== undefined) {
    const arm = armOf(armRanges(rollout.arms.map((a) => a.percent)), bucket);
    if (arm === 0) return { ...stable, bucket, arm };
    if (options.rolledBack === true || options.rolledBackArms?.has(arm) === true) return { ...stable, reason: 'rolled_back', bucket, arm };
    return { name, version: rollout.arms[arm - 1]!.version, slice: 'candidate', reason: 'rollout', bucket, arm };
  }
  if (bucket < candidateThreshold(rollout.percent)) {
    if (options.rolledBack === true) return { ...stable, reason: 'rolled_back', bucket };
    return { name, version: rollout.candidate, slice: 'candidate', reason: 'rollout', bucket };
  }
  return { ...stable, bucket };
}

/**
 * {@link resolveRelease} over a registry: the release of `name` in `environment`, or null when the
 * prompt has none there (the client throws PROMPT_NOT_FOUND / PROMPT_NOT_RELEASED).
 */
export function resolveVersion(registry: Registry, environment: string, name: string, unit?: UnitInput, options: ResolveOptions = {}): Resolution | null {
  const release = registry.environments.get(environment)?.get(name);
  if (!registry.prompts.has(name)) return null;
  if (options.version !== undefined) return { name, version: options.version, slice: 'pinned', reason: 'pinned', bucket: null };
  if (release === undefined) return null;
  return resolveRelease(name, release, unit, options);
}
