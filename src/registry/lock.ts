import { stringify } from 'yaml';
import * as z from 'zod/mini';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { LIMITS, safeParse, type YamlProblem, zodIssuesAt } from '../internal/safe-data.js';
import { parseYamlSafely } from '../internal/yaml.js';
import { parseVersionKey, versionNumberProblem } from './version-numbers.js';

/** The lock file's name inside a prompts folder. */
export const LOCK_FILE = 'promptpin.lock';

/**
 * The lock: `prompt name -> version -> content hash` of every released version. Stored as YAML:
 *
 * ```yaml
 * lockVersion: 1
 * prompts:
 *   support-agent:
 *     1: sha256:…
 * ```
 */
export type Lock = ReadonlyMap<string, ReadonlyMap<number, string>>;

const LockSchema = z.strictObject({
  lockVersion: z.literal(1),
  prompts: z._default(
    z.record(
      z.string(),
      z.record(z.string().check(z.regex(/^[1-9]\d*$/, 'versions are positive integers')), z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'hashes look like sha256:<64 hex digits>'))),
    ),
    {},
  ),
});

/** Parses `promptpin.lock`. */
export function parseLock(text: string, file: string = LOCK_FILE): { lock: Lock; issues: RegistryIssue[] } {
  const lock = new Map<string, Map<number, string>>();
  const issues: RegistryIssue[] = [];
  let parsed;
  try {
    parsed = parseYamlSafely(text, LIMITS.configFileChars);
  } catch (e) {
    const p = e as YamlProblem;
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, message: `invalid YAML: ${p.message}; regenerate it with \`promptpin lock\``, ...(p.line !== undefined ? { line: p.line } : {}) });
    return { lock, issues };
  }
  const result = safeParse(LockSchema, parsed.value ?? { lockVersion: 1 });
  if (!result.success) {
    issues.push(...zodIssuesAt(result.error, { file, lineOf: (path) => parsed.lineOf(path) }));
    return { lock, issues };
  }
  for (const [name, versions] of Object.entries(result.data.prompts)) {
    const map = new Map<number, string>();
    for (const [key, hash] of Object.entries(versions)) {
      const v = parseVersionKey(key);
      const bad = versionNumberProblem(v);
      if (bad) {
        const shown = key.length > 24 ? `${key.slice(0, 24)}…` : key;
        issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: `prompts.${name}.${shown}`, message: `${bad}; restore ${file} from git or regenerate it with \`promptpin lock\``, ...lineAt(parsed, ['prompts', name, v]) });
        continue;
      }
      map.set(v, hash);
    }
    lock.set(name, map);
  }
  return { lock, issues };
}

function lineAt(parsed: { lineOf(path: readonly (string | number)[]): number | undefined }, path: readonly (string | number)[]): { line?: number } {
  const line = parsed.lineOf(path);
  return line !== undefined ? { line } : {};
}

/** Serializes a lock deterministically (names and versions sorted). */
export function formatLock(lock: Lock): string {
  const prompts: Record<string, Record<string, string>> = {};
  for (const name of [...lock.keys()].sort()) {
    const versions = lock.get(name)!;
    const entry: Record<string, string> = {};
    for (const v of [...versions.keys()].sort((a, b) => a - b)) entry[String(v)] = versions.get(v)!;
    prompts[name] = entry;
  }
  return `# promptpin lock: the content hash of every released prompt version.\n# Written by \`promptpin publish\` / \`promptpin lock\`. Never edit by hand: a released version is immutable.\n${stringify({ lockVersion: 1, prompts }, { lineWidth: 0 })}`;
}
