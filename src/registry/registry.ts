import { LRUCache } from 'lru-cache';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { parseLock, LOCK_FILE, type Lock } from './lock.js';
import { nameProblem } from './names.js';
import { parsePromptFile } from './prompt-file.js';
import { includedSnippets, type SnippetLookup } from './snippets.js';
import { parseSnippetFiles } from './snippet-file.js';
import { buildRegistry, registryError } from './compiled.js';
import { parseReleaseFile, RELEASE_FILE } from './release.js';
import type { PromptEntry, PromptVersion, Registry, Release } from './types.js';
import { formatRuns, maxVersion, parseVersionKey, versionGaps, versionNumberProblem, versionRuns } from './version-numbers.js';

export { buildRegistry, parseCompiledRegistry, parseRegistryText, registryError, registryToJson, releaseRegressionProblem, REGISTRY_SCHEMA_VERSION, type CompiledRegistry } from './compiled.js';

/** The raw text of a prompts folder, as read by a source (paths are `/`-separated, relative). */
export interface FolderFiles {
  /** Every `*.prompt` file: `support-agent/3.prompt`, `billing/refund-agent/1.prompt`. */
  readonly promptFiles: readonly { readonly path: string; readonly text: string }[];
  /** `promptpin.yaml`, when present. */
  readonly releaseText?: string;
  /** `promptpin.lock`, when present. */
  readonly lockText?: string;
}

/**
 * The {@link FolderFiles} of a prompts folder given as `{ relative path: text }` (in-memory
 * `{ files }` data): `*.prompt` files, `promptpin.yaml` and `promptpin.lock`; other paths are
 * ignored. Own properties only.
 */
export function folderFilesOf(files: Readonly<Record<string, string>>): FolderFiles {
  const promptFiles: { path: string; text: string }[] = [];
  let releaseText: string | undefined;
  let lockText: string | undefined;
  for (const [path, text] of Object.entries(files)) {
    if (path === RELEASE_FILE) releaseText = text;
    else if (path === LOCK_FILE) lockText = text;
    else if (path.endsWith('.prompt')) promptFiles.push({ path, text });
  }
  return { promptFiles, ...(releaseText !== undefined ? { releaseText } : {}), ...(lockText !== undefined ? { lockText } : {}) };
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
  /** The folder's snippets (`_snippets/<name>/<N>.prompt`). */
  readonly snippets: SnippetLookup;
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

function parseCached(text: string, name: string, version: number, path: string, snippets: SnippetLookup): ReturnType<typeof parsePromptFile> {
  // A file that includes snippets resolves against the folder's snippets: parsed afresh each time.
  if (includedSnippets(text).length > 0) return parsePromptFile(text, name, version, path, snippets);
  const key = `${path}\u0000${text}`;
  let parsed = parsedFiles.get(key);
  if (parsed === undefined) {
    parsed = parsePromptFile(text, name, version, path, snippets);
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
  const snippetSet = parseSnippetFiles(files.promptFiles);
  issues.push(...snippetSet.issues);
  for (const { path, text } of files.promptFiles) {
    if (path.startsWith('_snippets/')) continue;
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
    const parsed = parseCached(text, name, version, path, snippetSet.lookup);
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
          message: `${name} v${v} was edited in place (locked ${short(hash)}, file now ${short(current.hash)}${current.snippets ? `; or a snippet it includes was: ${Object.entries(current.snippets).map(([s, n]) => `${s} v${n}`).join(', ')}` : ''}): restore v${v} from git and publish the change as v${next} (promptpin publish ${name})`,
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
  return { registry, issues, lock, unlocked, versions, snippets: snippetSet.lookup };
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

