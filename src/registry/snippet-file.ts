/** Reading `_snippets/<name>/<N>.prompt` files: optional front matter, then the snippet's text. */
import * as z from 'zod/mini';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { safeParse, type YamlProblem } from '../internal/safe-data.js';
import { LIMITS } from '../internal/safe-data.js';
import { parseYamlSafely } from '../internal/yaml.js';
import { splitFrontMatter } from './prompt-file.js';
import { SNIPPETS_DIR, type SnippetLookup, type SnippetVersion } from './snippets.js';
import { parseVersionKey, versionGaps, versionNumberProblem, formatRuns, versionRuns } from './version-numbers.js';

const SNIPPET_PATH = /^_snippets\/([A-Za-z0-9][A-Za-z0-9_-]*)\/([1-9]\d*)\.prompt$/;

const SnippetFrontSchema = z.strictObject({
  snippets: z.optional(z.record(z.string(), z.number().check(z.int(), z.minimum(1)))),
  author: z.optional(z.string()),
  message: z.optional(z.string()),
  description: z.optional(z.string()),
});

/** Parses one snippet file's text (front matter optional). */
export function parseSnippetText(text: string, name: string, version: number, file: string): { snippet?: SnippetVersion; issues: RegistryIssue[] } {
  const issues: RegistryIssue[] = [];
  const fail = (message: string): { issues: RegistryIssue[] } => {
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, message });
    return { issues };
  };
  if (text.length > LIMITS.promptFileChars) return fail(`file is ${text.length} characters; a snippet may have at most ${LIMITS.promptFileChars}`);
  const src = text.replace(/\r\n/g, '\n').replace(/^\uFEFF/, '');
  let body = src;
  let pins: Record<string, number> = {};
  if (/^---[ \t]*\n/.test(src)) {
    const split = splitFrontMatter(src);
    if (!split) return fail('front matter is never closed: end it with a "---" line (or start the snippet without one)');
    let value: unknown;
    try {
      value = parseYamlSafely(split.yaml, LIMITS.promptFileChars).value ?? {};
    } catch (e) {
      return fail(`invalid front matter YAML: ${(e as YamlProblem).message}`);
    }
    const parsed = safeParse(SnippetFrontSchema, value);
    if (!parsed.success) return fail(`invalid snippet front matter (allowed: snippets, author, message, description): ${parsed.error.issues.map((i) => `${i.path.join('.') || '(front matter)'}: ${i.message}`).join('; ')}`);
    pins = { ...(parsed.data.snippets ?? {}) };
    body = split.template;
  }
  if (body.endsWith('\n')) body = body.slice(0, -1);
  return { snippet: Object.freeze({ name, version, body, pins: Object.freeze(pins) }), issues };
}

/** The snippets among a folder's `.prompt` files (those under `_snippets/`), as a lookup. */
export function parseSnippetFiles(files: readonly { readonly path: string; readonly text: string }[]): { lookup: SnippetLookup; issues: RegistryIssue[] } {
  const issues: RegistryIssue[] = [];
  const byName = new Map<string, Map<number, SnippetVersion>>();
  for (const { path, text } of files) {
    if (!path.startsWith(`${SNIPPETS_DIR}/`)) continue;
    const m = SNIPPET_PATH.exec(path);
    if (!m) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file: path, message: `snippet files are named ${SNIPPETS_DIR}/<snippet-name>/<version>.prompt (a name of letters, digits, _ and -; versions 1, 2, 3, …)` });
      continue;
    }
    const version = parseVersionKey(m[2]!);
    const bad = versionNumberProblem(version);
    if (bad) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file: path, message: `${bad}: rename or remove this snippet file` });
      continue;
    }
    const parsed = parseSnippetText(text, m[1]!, version, path);
    issues.push(...parsed.issues);
    if (!parsed.snippet) continue;
    if (!byName.has(m[1]!)) byName.set(m[1]!, new Map());
    byName.get(m[1]!)!.set(version, parsed.snippet);
  }
  for (const [name, versions] of byName) {
    const nums = [...versions.keys()].sort((a, b) => a - b);
    const gaps = versionGaps(nums);
    if (gaps.length > 0) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file: `${SNIPPETS_DIR}/${name}/${gaps[0]![0]}.prompt`, message: `snippet versions are sequential: ${name} is missing ${formatRuns(gaps)} (present: ${formatRuns(versionRuns(nums))}); every version stays in the folder, never delete one` });
    }
  }
  const lookup: SnippetLookup = {
    get: (name, version) => byName.get(name)?.get(version),
    latest: (name) => {
      const versions = byName.get(name);
      return versions && versions.size ? Math.max(...versions.keys()) : undefined;
    },
  };
  return { lookup, issues };
}
