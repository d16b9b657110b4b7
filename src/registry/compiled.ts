import { LRUCache } from 'lru-cache';
import * as z from 'zod/mini';
import { ErrorCode, RegistryError, type RegistryIssue } from '../errors.js';
import { canonicalJson, LIMITS, parseJsonSafely, safeParse, zodIssuesAt } from '../internal/safe-data.js';
import { sha256Hex } from '../internal/sha256.js';
import { nameProblem } from './names.js';
import { RELEASE_FILE, validateReleases } from './release-model.js';
import type { PromptEntry, PromptVersion, Registry, Release } from './types.js';
import { buildVersion } from './version.js';
import { formatRuns, parseVersionKey, versionGaps, versionNumberProblem, versionRuns } from './version-numbers.js';

// The compiled registry (what `promptpin build` writes and every client reads): validation,
// serialization and the revision. Runtime code: no YAML, no file system.

/** The compiled-registry format version this build reads and writes. */
export const REGISTRY_SCHEMA_VERSION = 1;

function short(hash: string): string {
  return hash.slice(0, 19);
}

/** Builds the error for a list of issues (code of the first issue). */
export function registryError(issues: readonly RegistryIssue[]): RegistryError {
  return new RegistryError(issues[0]?.code ?? ErrorCode.INVALID_CONFIG, issues);
}

/**
 * Freezes prompts and releases into a registry and computes its revision: `sha256:` of the
 * canonical JSON of every version's content hash and metadata (author, message, examples) plus
 * every release. Templates are covered through their content hashes, so equal content gives an
 * equal revision without re-serializing every template.
 */
export function buildRegistry(prompts: ReadonlyMap<string, PromptEntry>, environments: ReadonlyMap<string, ReadonlyMap<string, Release>>): Registry {
  const summary: Record<string, Record<string, unknown>> = {};
  for (const [name, entry] of prompts) {
    const versions: Record<string, unknown> = {};
    for (const [n, v] of entry.versions) versions[String(n)] = { hash: v.hash, author: v.author, message: v.message, examples: v.examples };
    summary[name] = versions;
  }
  const draft = { schemaVersion: 1 as const, revision: '', prompts, environments };
  const canonical = canonicalJson({ revisionVersion: 1, prompts: summary, environments: environmentsToJson(environments) });
  const revision = `sha256:${sha256Hex(canonical)}`;
  return Object.freeze({ ...draft, revision });
}

/** The compiled registry document (`promptpin build`), as plain JSON data. */
export interface CompiledRegistry {
  readonly schemaVersion: 1;
  readonly revision: string;
  readonly prompts: Record<string, { readonly versions: Record<string, Record<string, unknown>> }>;
  readonly environments: Record<string, Record<string, Record<string, unknown>>>;
}

/** Serializes a registry to the compiled-registry JSON document. */
export function registryToJson(registry: Registry): CompiledRegistry {
  const prompts: CompiledRegistry['prompts'] = {};
  for (const name of [...registry.prompts.keys()].sort()) {
    const entry = registry.prompts.get(name)!;
    const versions: Record<string, Record<string, unknown>> = {};
    for (const [n, v] of [...entry.versions].sort((a, b) => a[0] - b[0])) {
      const variables: Record<string, unknown> = {};
      for (const [k, spec] of Object.entries(v.variables)) {
        variables[k] = {
          type: spec.type,
          ...(spec.values ? { enum: spec.values } : {}),
          ...(spec.optional && spec.default === undefined ? { optional: true } : {}),
          ...(spec.default !== undefined ? { default: spec.default } : {}),
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        };
      }
      versions[String(n)] = {
        hash: v.hash,
        model: v.model,
        ...(v.provider !== undefined ? { provider: v.provider } : {}),
        operation: v.operation,
        params: { ...v.params },
        variables,
        template: v.template,
        ...(v.author !== undefined ? { author: v.author } : {}),
        ...(v.message !== undefined ? { message: v.message } : {}),
        ...(v.examples !== undefined ? { examples: v.examples } : {}),
      };
    }
    prompts[name] = { versions };
  }
  const environments = environmentsToJson(registry.environments);
  return { schemaVersion: 1, revision: registry.revision, prompts, environments };
}

function environmentsToJson(envs: ReadonlyMap<string, ReadonlyMap<string, Release>>): CompiledRegistry['environments'] {
  const environments: CompiledRegistry['environments'] = {};
  for (const env of [...envs.keys()].sort()) {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, rel] of [...envs.get(env)!].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const r = rel.rollout;
      out[name] = {
        stable: rel.stable,
        ...(r
          ? {
              rollout: {
                candidate: r.candidate,
                percent: r.percent,
                salt: r.salt,
                ...(r.started !== undefined ? { started: r.started } : {}),
                ...(r.author !== undefined ? { author: r.author } : {}),
                expected: r.expected,
                guards: r.guards.map((g) => ({
                  signal: g.signal,
                  ...(g.maxIncrease !== undefined ? { max_increase: g.maxIncrease } : {}),
                  ...(g.maxDecrease !== undefined ? { max_decrease: g.maxDecrease } : {}),
                  ...(g.maxChange !== undefined ? { max_change: g.maxChange } : {}),
                  ...(g.bySegment ? { by_segment: true } : {}),
                })),
                min_samples: r.minSamples,
                ...(r.windowMs !== undefined ? { window: `${r.windowMs}ms` } : {}),
                on_breach: r.onBreach,
                ...(r.steps !== undefined ? { steps: [...r.steps], min_samples_per_step: r.minSamplesPerStep } : {}),
              },
            }
          : {}),
        ...(rel.overrides.size ? { overrides: Object.fromEntries(rel.overrides) } : {}),
      };
    }
    environments[env] = out;
  }
  return environments;
}

/** Versions already validated from compiled registries, by name, version and hash (bounded by size). */
const validatedVersions = new LRUCache<string, { readonly raw: string; readonly version: PromptVersion }>({
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: (entry) => Math.max(1, entry.raw.length * 2),
});

const CompiledSchema = z.object({
  schemaVersion: z.number(),
  revision: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
  prompts: z.record(
    z.string(),
    z.strictObject({ versions: z.record(z.string().check(z.regex(/^[1-9]\d*$/)), z.looseObject({ hash: z.string(), template: z.string() })) }),
  ),
  environments: z.unknown(),
});

/**
 * Validates a compiled registry document (already JSON-parsed) whole: schema version, every version
 * (template, variables, content hash), every release, and the revision.
 *
 * @throws {RegistryError} INVALID_CONFIG or VERSION_IMMUTABLE, listing every problem.
 */
export function parseCompiledRegistry(value: unknown, file: string = 'registry.json'): Registry {
  const issues: RegistryIssue[] = [];
  const sv = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, message: 'a compiled registry is a JSON object; build one with `promptpin build`' }]);
  }
  if (sv !== REGISTRY_SCHEMA_VERSION) {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, field: 'schemaVersion', message: `schemaVersion ${JSON.stringify(sv)} is not supported (this promptpin reads ${REGISTRY_SCHEMA_VERSION}): rebuild with a matching \`promptpin build\` or upgrade promptpin` }]);
  }
  const rawPrompts = (value as { prompts?: unknown }).prompts;
  if (typeof rawPrompts === 'object' && rawPrompts !== null) {
    // Checked before zod, which silently drops a "__proto__" key.
    for (const name of Object.keys(rawPrompts)) {
      const bad = nameProblem(name);
      if (bad) issues.push({ code: ErrorCode.INVALID_NAME, file, prompt: name, field: `prompts.${name}`, message: `"${name}" is not a valid prompt name: ${bad}` });
    }
    if (issues.length) throw registryError(issues);
  }
  const result = safeParse(CompiledSchema, value);
  if (!result.success) {
    throw registryError(zodIssuesAt(result.error, { file }));
  }
  const prompts = new Map<string, PromptEntry>();
  for (const [name, entry] of Object.entries(result.data.prompts)) {
    const bad = nameProblem(name);
    if (bad) {
      issues.push({ code: ErrorCode.INVALID_NAME, file, prompt: name, field: `prompts.${name}`, message: `"${name}" is not a valid prompt name: ${bad}` });
      continue;
    }
    const versions = new Map<number, PromptVersion>();
    const nums: number[] = [];
    for (const key of Object.keys(entry.versions)) {
      const n = parseVersionKey(key);
      const bad = versionNumberProblem(n);
      if (bad) issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: `prompts.${name}.versions.${key.length > 24 ? `${key.slice(0, 24)}…` : key}`, message: `${bad}; rebuild the registry with \`promptpin build\`` });
      else nums.push(n);
    }
    nums.sort((a, b) => a - b);
    const gaps = versionGaps(nums);
    if (gaps.length > 0) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version: gaps[0]![0], message: `versions are sequential: ${name} is missing ${formatRuns(gaps)} (present: ${formatRuns(versionRuns(nums))}); rebuild the registry with \`promptpin build\`` });
    }
    for (const n of nums) {
      const raw = entry.versions[String(n)]!;
      // A version byte-identical to one already validated is reused: a release-only flip of a
      // large registry then costs little more than JSON.parse.
      const cacheKey = `${name}\u0000${n}\u0000${raw.hash}`;
      const rawText = JSON.stringify(raw);
      const cached = validatedVersions.get(cacheKey);
      if (cached !== undefined && cached.raw === rawText) {
        versions.set(n, cached.version);
        continue;
      }
      const { hash, template, ...front } = raw;
      const built = buildVersion(front, template, { name, version: n, file });
      if (!built.ok) {
        issues.push(...built.issues);
        continue;
      }
      if (built.version.hash !== hash) {
        issues.push({ code: ErrorCode.VERSION_IMMUTABLE, file, prompt: name, version: n, field: `prompts.${name}.versions.${n}.hash`, message: `stated hash ${short(hash)} does not match the content (${short(built.version.hash)}): the registry was edited or corrupted; rebuild it with \`promptpin build\`` });
        continue;
      }
      versions.set(n, built.version);
      validatedVersions.set(cacheKey, { raw: rawText, version: built.version });
    }
    prompts.set(name, Object.freeze({ name, versions }));
  }
  const rel = validateReleases({ environments: result.data.environments ?? {} }, prompts, file);
  issues.push(...rel.issues);
  if (issues.length) throw registryError(issues);
  const registry = buildRegistry(prompts, rel.environments);
  if (registry.revision !== result.data.revision) {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, field: 'revision', message: `revision ${short(result.data.revision)} does not match the content (${short(registry.revision)}): the registry was edited or corrupted; rebuild it with \`promptpin build\`` }]);
  }
  return registry;
}

/**
 * The rule a reload must pass before it replaces a serving registry: the new registry keeps at
 * least one of the releases the serving one has in `environment`. An empty, comment-only or
 * missing `promptpin.yaml` (what an editor, `cp` or `git checkout` exposes for a moment) parses as
 * "no releases"; swapping it in would make every `get` throw PROMPT_NOT_RELEASED.
 *
 * Pure: the client calls it with its last good registry. A first load has no previous registry and
 * is never refused by it. To remove every release on purpose, restart the clients (or remove them
 * in two steps: keep one release while the others go, then the last).
 *
 * @returns null when `next` may replace `prev`, else the issue (code RELEASES_REMOVED).
 */
export function releaseRegressionProblem(prev: Registry, next: Registry, environment: string): RegistryIssue | null {
  const before = prev.environments.get(environment);
  if (before === undefined || before.size === 0) return null;
  const after = next.environments.get(environment);
  if (after !== undefined) for (const name of before.keys()) if (after.has(name)) return null;
  const names = [...before.keys()].sort();
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, … (${names.length - 5} more)` : names.join(', ');
  const now = after === undefined || after.size === 0 ? `none in "${environment}"` : `only ${after.size} other prompt${after.size === 1 ? '' : 's'} in "${environment}"`;
  return {
    code: ErrorCode.RELEASES_REMOVED,
    field: `environments.${environment}`,
    message: `the new registry releases none of the ${names.length} prompt${names.length === 1 ? '' : 's'} released in "${environment}" now (${shown}); it has ${now}. An empty, comment-only or missing ${RELEASE_FILE} (a file being written, a checkout in progress) reads as "no releases", so the reload was refused and the last good registry keeps serving. Fix ${RELEASE_FILE} and reload; to remove every release on purpose, restart the client`,
  };
}

/** Parses compiled-registry JSON text, naming `where` in errors. @throws {RegistryError} */
export function parseRegistryText(text: string, where: string): Registry {
  let value: unknown;
  try {
    value = parseJsonSafely(text, LIMITS.registryChars);
  } catch (err) {
    throw new RegistryError(ErrorCode.INVALID_CONFIG, [{ code: ErrorCode.INVALID_CONFIG, file: where, message: `not a valid compiled registry: ${(err as Error).message}; rebuild it with \`promptpin build\`` }], { cause: err });
  }
  return parseCompiledRegistry(value, where);
}
