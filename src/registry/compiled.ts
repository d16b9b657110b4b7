import { LRUCache } from 'lru-cache';
import * as z from 'zod/mini';
import { ErrorCode, RegistryError, type RegistryIssue } from '../errors.js';
import { canonicalJson, LIMITS, parseJsonSafely, safeParse, zodIssuesAt } from '../internal/safe-data.js';
import { sha256Hex } from '../internal/sha256.js';
import { nameProblem } from './names.js';
import { RELEASE_FILE, validateReleases } from './release-model.js';
import { rulesToJson, whenToJson } from './targeting.js';
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
    // Snippet pins enter the revision only when present: registries without snippets keep theirs.
    for (const [n, v] of entry.versions) versions[String(n)] = { hash: v.hash, author: v.author, message: v.message, examples: v.examples, ...(v.snippets ? { snippets: v.snippets } : {}) };
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
      versions[String(n)] = versionToJson(v, true);
    }
    prompts[name] = { versions };
  }
  const environments = environmentsToJson(registry.environments);
  return { schemaVersion: 1, revision: registry.revision, prompts, environments };
}

/**
 * One version as compiled-registry JSON; without `meta`, only what the content hash covers (the
 * content-addressed `versions/<hash>.json` files of a compiled index).
 * @internal
 */
export function versionToJson(v: PromptVersion, meta: boolean): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(v.variables)) {
    variables[k] = {
      type: spec.type,
      ...(spec.values ? { enum: spec.values } : {}),
      ...(spec.optional && spec.default === undefined ? { optional: true } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.max !== undefined ? { max: spec.max } : {}),
    };
  }
  return {
    hash: v.hash,
    model: v.model,
    ...(v.provider !== undefined ? { provider: v.provider } : {}),
    operation: v.operation,
    params: { ...v.params },
    variables,
    template: v.template,
    ...(v.tools !== undefined ? { tools: v.tools } : {}),
    ...(v.outputSchema !== undefined ? { output_schema: v.outputSchema } : {}),
    ...(v.snippets !== undefined ? { snippets: { ...v.snippets } } : {}),
    ...(meta && v.author !== undefined ? { author: v.author } : {}),
    ...(meta && v.message !== undefined ? { message: v.message } : {}),
    ...(meta && v.examples !== undefined ? { examples: v.examples } : {}),
  };
}

/** Releases as compiled-registry JSON (sorted). @internal */
export function environmentsToJson(envs: ReadonlyMap<string, ReadonlyMap<string, Release>>): CompiledRegistry['environments'] {
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
                // The n-arm form is written as candidates: (exactly one form), the classic one as before.
                ...(r.arms ? { candidates: r.arms.map((a) => ({ version: a.version, percent: a.percent })) } : { candidate: r.candidate, percent: r.percent }),
                ...(r.when ? { when: whenToJson(r.when) } : {}),
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
        ...(rel.rules ? { rules: rulesToJson(rel.rules) } : {}),
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
  if (sv === INDEX_SCHEMA_VERSION) return parseCompiledIndex(value, file);
  if (sv !== REGISTRY_SCHEMA_VERSION) {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, field: 'schemaVersion', message: `schemaVersion ${JSON.stringify(sv)} is not supported (this promptpin reads ${REGISTRY_SCHEMA_VERSION} and ${INDEX_SCHEMA_VERSION}): rebuild with a matching \`promptpin build\` or upgrade promptpin` }]);
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

// "Start from what is live": registries whose archived versions (live in no release) are known by
// their locked hash only and loaded on demand. Runtime code: no YAML, no file system.

/** The compiled-index format (`promptpin build -o dir/`): live versions inline, archived by hash. */
export const INDEX_SCHEMA_VERSION = 2;

/** The index file's name inside a `promptpin build -o dir/` output. */
export const INDEX_FILE = 'registry.json';

/** The folder of content-addressed archived versions beside the index. */
export const VERSIONS_DIR = 'versions';

const HASH = /^sha256:[0-9a-f]{64}$/;

/** Every version a release points at (stable, candidate, overrides), per prompt, over every environment. */
export function liveVersions(environments: ReadonlyMap<string, ReadonlyMap<string, Release>>): Map<string, Set<number>> {
  const live = new Map<string, Set<number>>();
  for (const releases of environments.values()) {
    for (const [name, release] of releases) {
      let set = live.get(name);
      if (set === undefined) live.set(name, (set = new Set()));
      set.add(release.stable);
      if (release.rollout) set.add(release.rollout.candidate);
      for (const v of release.overrides.values()) set.add(v);
    }
  }
  return live;
}

/** Where a version of `name` lives in a compiled index: `versions/<64 hex>.json`. */
export function versionFilePath(hash: string): string {
  return `${VERSIONS_DIR}/${hash.slice('sha256:'.length)}.json`;
}

/**
 * Freezes a registry whose entries may list archived versions, with a revision (v2) computed from
 * every version's hash, the metadata of live versions and every release: equal for a prompts folder
 * and the index built from it, and cheap (no archived file is read).
 */
export function buildLiveRegistry(prompts: ReadonlyMap<string, PromptEntry>, environments: ReadonlyMap<string, ReadonlyMap<string, Release>>): Registry {
  const live = liveVersions(environments);
  const summary: Record<string, unknown> = {};
  for (const [name, entry] of prompts) {
    const max = Math.max(0, ...entry.versions.keys(), ...(entry.archived?.keys() ?? []));
    const hashes: string[] = [];
    for (let n = 1; n <= max; n++) hashes.push(entry.versions.get(n)?.hash ?? entry.archived?.get(n) ?? '');
    const meta: Record<string, unknown> = {};
    for (const n of live.get(name) ?? []) {
      const v = entry.versions.get(n);
      if (v) meta[String(n)] = { author: v.author, message: v.message, examples: v.examples };
    }
    summary[name] = { hashes, live: meta };
  }
  const canonical = canonicalJson({ revisionVersion: 2, prompts: summary, environments: environmentsToJson(environments) });
  return Object.freeze({ schemaVersion: 1 as const, revision: `sha256:${sha256Hex(canonical)}`, prompts, environments });
}

/** The compiled index document (`promptpin build -o dir/`) and its archived version files. */
export interface CompiledIndexOutput {
  readonly index: Record<string, unknown>;
  /** `versions/<hex>.json` path → file text (content-addressed, immutable). */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * Splits a fully loaded registry into a compiled index (releases, every hash, live versions inline)
 * and one content-addressed file per archived version (what the hash covers, no metadata).
 */
export function registryToIndex(registry: Registry): CompiledIndexOutput {
  const live = liveVersions(registry.environments);
  const prompts: Record<string, unknown> = {};
  const files = new Map<string, string>();
  const entries = new Map<string, PromptEntry>();
  for (const name of [...registry.prompts.keys()].sort()) {
    const entry = registry.prompts.get(name)!;
    const nums = [...entry.versions.keys()].sort((a, b) => a - b);
    const inline: Record<string, unknown> = {};
    const keep = new Map<number, PromptVersion>();
    const archived = new Map<number, string>();
    for (const n of nums) {
      const v = entry.versions.get(n)!;
      if (live.get(name)?.has(n)) {
        inline[String(n)] = versionToJson(v, true);
        keep.set(n, v);
      } else {
        archived.set(n, v.hash);
        files.set(versionFilePath(v.hash), `${JSON.stringify(versionToJson(v, false))}\n`);
      }
    }
    prompts[name] = { hashes: nums.map((n) => entry.versions.get(n)!.hash), live: inline };
    entries.set(name, Object.freeze({ name, versions: keep, archived }));
  }
  const revision = buildLiveRegistry(entries, registry.environments).revision;
  return { index: { schemaVersion: INDEX_SCHEMA_VERSION, revision, prompts, environments: environmentsToJson(registry.environments) }, files };
}

/** Live versions already validated from indexes, by name, version and raw JSON (bounded by size). */
const validatedLive = new LRUCache<string, PromptVersion>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (_v, key) => Math.max(1, key.length * 2) });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a compiled index (schemaVersion 2): every hash, every inline (live) version (template,
 * variables, content hash), every release and the revision. Archived versions are listed by hash
 * (see {@link PromptEntry.archived}); the source loads them on demand.
 *
 * @throws {RegistryError} INVALID_CONFIG or VERSION_IMMUTABLE, listing every problem.
 */
export function parseCompiledIndex(value: unknown, file: string): Registry {
  const issues: RegistryIssue[] = [];
  const doc = value as Record<string, unknown>;
  const rebuild = 'rebuild it with `promptpin build -o dir/`';
  if (typeof doc['revision'] !== 'string' || !HASH.test(doc['revision'])) issues.push({ code: ErrorCode.INVALID_CONFIG, file, field: 'revision', message: `revision must look like sha256:<64 hex>; ${rebuild}` });
  if (!isRecord(doc['prompts'])) {
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, field: 'prompts', message: `prompts must be an object; ${rebuild}` });
    throw registryError(issues);
  }
  const prompts = new Map<string, PromptEntry>();
  for (const name of Object.keys(doc['prompts'])) {
    const at = `prompts.${name}`;
    const bad = nameProblem(name);
    if (bad) {
      issues.push({ code: ErrorCode.INVALID_NAME, file, prompt: name, field: at, message: `"${name}" is not a valid prompt name: ${bad}` });
      continue;
    }
    const raw = (doc['prompts'])[name];
    if (!isRecord(raw) || !Array.isArray(raw['hashes']) || !isRecord(raw['live'])) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: at, message: `a prompt of a compiled index is { hashes: [...], live: {...} }; ${rebuild}` });
      continue;
    }
    const hashes = raw['hashes'] as unknown[];
    const badHash = hashes.findIndex((h) => typeof h !== 'string' || !HASH.test(h));
    if (badHash >= 0 || hashes.length === 0) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: `${at}.hashes`, message: `${hashes.length === 0 ? 'no versions' : `hash ${badHash + 1} is not sha256:<64 hex>`}; ${rebuild}` });
      continue;
    }
    const versions = new Map<number, PromptVersion>();
    const archived = new Map<number, string>();
    for (const key of Object.keys(raw['live'])) {
      const n = parseVersionKey(key);
      const problem = versionNumberProblem(n) ?? (n > hashes.length ? `version ${n} is not among the ${hashes.length} hashes` : null);
      if (problem) {
        issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: `${at}.live.${key.slice(0, 24)}`, message: `${problem}; ${rebuild}` });
        continue;
      }
      const body = (raw['live'])[key];
      if (!isRecord(body) || typeof body['template'] !== 'string') {
        issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version: n, field: `${at}.live.${n}`, message: `a version needs a template; ${rebuild}` });
        continue;
      }
      const cacheKey = `${name}\u0000${n}\u0000${JSON.stringify(body)}`;
      const cached = validatedLive.get(cacheKey);
      if (cached !== undefined) {
        versions.set(n, cached);
        continue;
      }
      const { hash, template, ...front } = body;
      const built = buildVersion(front, template, { name, version: n, file });
      if (!built.ok) {
        issues.push(...built.issues);
        continue;
      }
      if (built.version.hash !== hash || hash !== hashes[n - 1]) {
        issues.push({ code: ErrorCode.VERSION_IMMUTABLE, file, prompt: name, version: n, field: `${at}.live.${n}.hash`, message: `the stated hash does not match the content (${built.version.hash.slice(0, 19)}): the index was edited or corrupted; ${rebuild}` });
        continue;
      }
      versions.set(n, built.version);
      validatedLive.set(cacheKey, built.version);
    }
    hashes.forEach((h, i) => {
      if (!versions.has(i + 1)) archived.set(i + 1, h as string);
    });
    prompts.set(name, Object.freeze({ name, versions, archived }));
  }
  if (issues.length) throw registryError(issues);
  // Releases are checked against every known version; each live one must then be inline.
  const known = new Map<string, PromptEntry>();
  for (const [name, entry] of prompts) known.set(name, { name, versions: knownVersions(entry) });
  const rel = validateReleases({ environments: doc['environments'] ?? {} }, known, file);
  issues.push(...rel.issues);
  for (const [name, nums] of liveVersions(rel.environments)) {
    for (const n of nums) {
      if (prompts.get(name)?.archived?.has(n)) issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version: n, message: `${name} v${n} is live but not inline in the index; ${rebuild}` });
    }
  }
  if (issues.length) throw registryError(issues);
  const registry = buildLiveRegistry(prompts, rel.environments);
  if (registry.revision !== doc['revision']) {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, field: 'revision', message: `revision ${String(doc['revision']).slice(0, 19)} does not match the content (${registry.revision.slice(0, 19)}): the index was edited or corrupted; ${rebuild}` }]);
  }
  return registry;
}

const PLACEHOLDER = Object.freeze({}) as PromptVersion;

/**
 * A version map that knows every version number of `entry` (loaded and archived), for release
 * validation, which only asks `has` and `keys`. @internal
 */
export function knownVersions(entry: PromptEntry): ReadonlyMap<number, PromptVersion> {
  if (!entry.archived || entry.archived.size === 0) return entry.versions;
  const all = new Map<number, PromptVersion>(entry.versions);
  for (const n of entry.archived.keys()) all.set(n, PLACEHOLDER);
  return all;
}

/**
 * Parses and verifies one archived version file (`versions/<hex>.json`, or a `.prompt` file
 * already parsed by the caller) against the hash the registry holds for it.
 *
 * @throws {RegistryError} VERSION_IMMUTABLE when it does not match; INVALID_CONFIG when invalid.
 */
export function parseVersionFile(text: string, name: string, version: number, hash: string, file: string): PromptVersion {
  let value: unknown;
  try {
    value = parseJsonSafely(text, LIMITS.promptFileChars * 2);
  } catch (err) {
    throw new RegistryError(ErrorCode.INVALID_CONFIG, [{ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version, message: `not a version file: ${(err as Error).message}; rebuild the index with \`promptpin build -o dir/\`` }], { cause: err });
  }
  if (!isRecord(value) || typeof value['template'] !== 'string') {
    throw registryError([{ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version, message: 'not a version file (no template); rebuild the index with `promptpin build -o dir/`' }]);
  }
  const { hash: _stated, template, ...front } = value;
  const built = buildVersion(front, template, { name, version, file });
  if (!built.ok) throw registryError(built.issues);
  return checkArchived(built.version, hash, file);
}

/** `version` when its content hash is `hash`, else a VERSION_IMMUTABLE error. @internal */
export function checkArchived(version: PromptVersion, hash: string, file: string): PromptVersion {
  if (version.hash === hash) return version;
  throw registryError([
    {
      code: ErrorCode.VERSION_IMMUTABLE,
      file,
      prompt: version.name,
      version: version.version,
      message: `${version.name} v${version.version} does not match its locked hash (locked ${hash.slice(0, 19)}, content ${version.hash.slice(0, 19)}): it was edited in place or corrupted; restore it from git (or rebuild the index)`,
    },
  ]);
}

/** The error for an archived version whose file is gone. @internal */
export function missingArchived(name: string, version: number, file: string): RegistryError {
  return registryError([
    { code: ErrorCode.VERSION_IMMUTABLE, file, prompt: name, version, message: `${name} v${version} is released (its hash is locked) but its file is missing: released versions stay runnable; restore it from git (or rebuild the index)` },
  ]);
}
