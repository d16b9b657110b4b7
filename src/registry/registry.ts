import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { ErrorCode, RegistryError, type RegistryIssue } from '../errors.js';
import { canonicalJson, zodIssuesAt } from '../internal/safe-data.js';
import { parseLock, LOCK_FILE, type Lock } from './lock.js';
import { nameProblem } from './names.js';
import { buildVersion, parsePromptFile } from './prompt-file.js';
import { parseReleaseFile, RELEASE_FILE, validateReleases } from './release.js';
import type { PromptEntry, PromptVersion, Registry, Release } from './types.js';
import { formatRuns, maxVersion, parseVersionKey, versionGaps, versionNumberProblem, versionRuns } from './version-numbers.js';

/** The compiled-registry format version this build reads and writes. */
export const REGISTRY_SCHEMA_VERSION = 1;

/** The raw text of a prompts folder, as read by a source (paths are `/`-separated, relative). */
export interface FolderFiles {
  /** Every `*.prompt` file: `support-agent/3.prompt`, `billing/refund-agent/1.prompt`. */
  readonly promptFiles: readonly { readonly path: string; readonly text: string }[];
  /** `promptpin.yaml`, when present. */
  readonly releaseText?: string;
  /** `promptpin.lock`, when present. */
  readonly lockText?: string;
}

/** Everything learned from a folder: the registry when valid, every problem, and unlocked versions. */
export interface FolderCheck {
  readonly registry: Registry | null;
  readonly issues: readonly RegistryIssue[];
  readonly lock: Lock;
  /** Versions present in the folder but not yet recorded in the lock (not released). */
  readonly unlocked: readonly { readonly name: string; readonly version: number; readonly hash: string }[];
  /** Every parsed version, even when the registry as a whole is invalid. */
  readonly versions: readonly PromptVersion[];
}

const PROMPT_PATH = /^(.+)\/([1-9]\d*)\.prompt$/;

/**
 * Parsed `.prompt` files by path and exact text (bounded by size): a reload after one file changed
 * parses that file, not the folder. Versions are frozen, so sharing them is safe.
 */
const parsedFiles = new LRUCache<string, ReturnType<typeof parsePromptFile>>({
  maxSize: 32 * 1024 * 1024,
  sizeCalculation: (_v, key) => Math.max(1, key.length * 2),
});

function parseCached(text: string, name: string, version: number, path: string): ReturnType<typeof parsePromptFile> {
  const key = `${path}\u0000${text}`;
  let parsed = parsedFiles.get(key);
  if (parsed === undefined) {
    parsed = parsePromptFile(text, name, version, path);
    parsedFiles.set(key, parsed);
  }
  return parsed;
}

/** Validates a whole folder and reports every problem (used by loading and `promptpin check`). */
export function checkFolder(files: FolderFiles): FolderCheck {
  const issues: RegistryIssue[] = [];
  const byName = new Map<string, Map<number, PromptVersion>>();
  const versions: PromptVersion[] = [];
  const seenFiles = new Map<string, Set<number>>();
  for (const { path, text } of files.promptFiles) {
    const m = PROMPT_PATH.exec(path);
    if (!m) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file: path, message: 'prompt files are named <prompt-name>/<version>.prompt, with versions 1, 2, 3, …' });
      continue;
    }
    const name = m[1]!;
    const version = parseVersionKey(m[2]!);
    const bad = nameProblem(name);
    if (bad) {
      issues.push({ code: ErrorCode.INVALID_NAME, file: path, message: `"${name}" is not a valid prompt name: ${bad}` });
      continue;
    }
    const tooLarge = versionNumberProblem(version);
    if (tooLarge) {
      // Never treated as "the latest version": a typo must not make v4…v99999999 "missing".
      issues.push({ code: ErrorCode.INVALID_CONFIG, file: path, prompt: name, message: `${tooLarge}: a version file is named after the next number (1, 2, 3, …); rename or remove this file` });
      continue;
    }
    if (!seenFiles.has(name)) seenFiles.set(name, new Set());
    seenFiles.get(name)!.add(version);
    const parsed = parseCached(text, name, version, path);
    if (!parsed.ok) {
      issues.push(...parsed.issues);
      continue;
    }
    versions.push(parsed.version);
    if (!byName.has(name)) byName.set(name, new Map());
    byName.get(name)!.set(version, parsed.version);
  }
  for (const [name, nums] of seenFiles) {
    // One issue per prompt, whatever the numbers: work and message size follow the file count.
    const sorted = [...nums].sort((a, b) => a - b);
    const gaps = versionGaps(sorted);
    const first = gaps[0];
    if (first === undefined) continue;
    const max = sorted[sorted.length - 1]!;
    issues.push({
      code: ErrorCode.INVALID_CONFIG,
      file: `${name}/${first[0]}.prompt`,
      prompt: name,
      version: first[0],
      message: `versions are sequential: ${name} has v${max} but no ${formatRuns(gaps)} (present: ${formatRuns(versionRuns(sorted))}); every version stays in the folder, never delete one`,
    });
  }

  let lock: Lock = new Map();
  if (files.lockText !== undefined) {
    const parsedLock = parseLock(files.lockText);
    issues.push(...parsedLock.issues);
    lock = parsedLock.lock;
  }
  const unlocked: { name: string; version: number; hash: string }[] = [];
  for (const [name, locked] of lock) {
    const missing: number[] = [];
    const present = byName.get(name);
    const next = present ? maxVersion(present.keys()) + 1 : 1;
    for (const [v, hash] of locked) {
      const current = present?.get(v);
      if (!current) {
        if (!seenFiles.get(name)?.has(v)) missing.push(v);
        continue;
      }
      if (current.hash !== hash) {
        issues.push({
          code: ErrorCode.VERSION_IMMUTABLE,
          file: `${name}/${v}.prompt`,
          prompt: name,
          version: v,
          message: `${name} v${v} was edited in place (locked ${short(hash)}, file now ${short(current.hash)}): restore v${v} from git and publish the change as v${next} (promptpin publish ${name})`,
        });
      }
    }
    if (missing.length > 0) {
      // One issue per prompt: a lock listing 50,000 versions of a deleted folder is one problem.
      const runs = versionRuns(missing.sort((a, b) => a - b));
      const v = missing[0]!;
      const what = missing.length === 1 ? `${name} v${v} is released (recorded in ${LOCK_FILE}) but its file is missing` : `${name} ${formatRuns(runs)} are released (recorded in ${LOCK_FILE}) but their files are missing`;
      issues.push({ code: ErrorCode.VERSION_IMMUTABLE, file: `${name}/${v}.prompt`, prompt: name, version: v, message: `${what}: released versions stay runnable; restore ${missing.length === 1 ? 'it' : 'them'} from git` });
    }
  }
  for (const v of versions) {
    if (!lock.get(v.name)?.has(v.version)) unlocked.push({ name: v.name, version: v.version, hash: v.hash });
  }

  const prompts = new Map<string, PromptEntry>();
  for (const [name, map] of byName) prompts.set(name, Object.freeze({ name, versions: map }));
  let environments = new Map<string, Map<string, Release>>();
  if (files.releaseText !== undefined) {
    const rel = parseReleaseFile(files.releaseText, prompts, RELEASE_FILE);
    issues.push(...rel.issues);
    environments = rel.environments;
    if (files.lockText !== undefined) {
      // With a lock, only released (locked) versions may go live: what serves is immutable.
      for (const [env, releases] of environments) {
        for (const [name, release] of releases) {
          const live = new Set([release.stable, ...(release.rollout ? [release.rollout.candidate] : []), ...release.overrides.values()]);
          for (const v of [...live].sort((a, b) => a - b)) {
            if (byName.get(name)?.has(v) && !lock.get(name)?.has(v)) {
              issues.push({
                code: ErrorCode.INVALID_CONFIG,
                file: RELEASE_FILE,
                prompt: name,
                version: v,
                field: `environments.${env}.${name}`,
                message: `${name} v${v} is live in ${env} but not recorded in ${LOCK_FILE}: lock it first (promptpin lock, or promptpin publish), so every live version is immutable`,
              });
            }
          }
        }
      }
    }
  }
  const registry = issues.length === 0 ? buildRegistry(prompts, environments) : null;
  return { registry, issues, lock, unlocked, versions };
}

function short(hash: string): string {
  return hash.slice(0, 19);
}

/** Compiles a folder into a registry, or throws a {@link RegistryError} listing every problem. */
export function compileFolder(files: FolderFiles): Registry {
  const result = checkFolder(files);
  if (!result.registry) throw registryError(result.issues);
  return result.registry;
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
  const revision = `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
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
  revision: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  prompts: z.record(
    z.string(),
    z.strictObject({ versions: z.record(z.string().regex(/^[1-9]\d*$/), z.looseObject({ hash: z.string(), template: z.string() })) }),
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
  const result = CompiledSchema.safeParse(value);
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
