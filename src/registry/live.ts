import { LRUCache } from 'lru-cache';
import { ErrorCode, RegistryError, type RegistryIssue } from '../errors.js';
import { canonicalJson, LIMITS, parseJsonSafely } from '../internal/safe-data.js';
import { sha256Hex } from '../internal/sha256.js';
import { environmentsToJson, registryError, versionToJson } from './compiled.js';
import { nameProblem } from './names.js';
import { validateReleases } from './release-model.js';
import type { PromptEntry, PromptVersion, Registry, Release } from './types.js';
import { buildVersion } from './version.js';
import { parseVersionKey, versionNumberProblem } from './version-numbers.js';

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
const validated = new LRUCache<string, PromptVersion>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (_v, key) => Math.max(1, key.length * 2) });

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
    const raw = (doc['prompts'] as Record<string, unknown>)[name];
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
      const body = (raw['live'] as Record<string, unknown>)[key];
      if (!isRecord(body) || typeof body['template'] !== 'string') {
        issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version: n, field: `${at}.live.${n}`, message: `a version needs a template; ${rebuild}` });
        continue;
      }
      const cacheKey = `${name}\u0000${n}\u0000${JSON.stringify(body)}`;
      const cached = validated.get(cacheKey);
      if (cached !== undefined) {
        versions.set(n, cached);
        continue;
      }
      const { hash, template, ...front } = body;
      const built = buildVersion(front, template as string, { name, version: n, file });
      if (!built.ok) {
        issues.push(...built.issues);
        continue;
      }
      if (built.version.hash !== hash || hash !== hashes[n - 1]) {
        issues.push({ code: ErrorCode.VERSION_IMMUTABLE, file, prompt: name, version: n, field: `${at}.live.${n}.hash`, message: `the stated hash does not match the content (${built.version.hash.slice(0, 19)}): the index was edited or corrupted; ${rebuild}` });
        continue;
      }
      versions.set(n, built.version);
      validated.set(cacheKey, built.version);
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
  const built = buildVersion(front, template as string, { name, version, file });
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
