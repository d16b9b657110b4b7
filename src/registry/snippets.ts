/**
 * Partials: `{{> name}}` includes a shared snippet, `_snippets/<name>/<N>.prompt`, at the version
 * its includer pins in front matter (`snippets: { name: N }`). Expansion is textual and happens on
 * the authoring side (folder loading, `publish`, `build`): the resolved template is what a version
 * hashes and what a compiled registry carries, so a runtime never sees an include, and publishing a
 * new snippet version never changes a released version (its pin still names the old one).
 *
 * Nothing is evaluated: an include is replaced by the snippet's text, which may itself hold
 * `{{variables}}`, role blocks and includes (pinned by the snippet's own front matter). Depth is at
 * most {@link MAX_SNIPPET_DEPTH}, a cycle is an error, and the expanded text is bounded.
 */
import { ErrorCode } from '../errors.js';
import { LIMITS } from '../internal/safe-data.js';
import { step } from '../internal/steps.js';
import { isJsWhitespace } from '../internal/text.js';

/** Folder that holds the snippets of a prompts folder. */
export const SNIPPETS_DIR = '_snippets';
/** Deepest chain of includes (a prompt including a snippet including a snippet … ). */
export const MAX_SNIPPET_DEPTH = 8;
/** Largest resolved template, in characters. */
export const MAX_RESOLVED_CHARS = 4 * LIMITS.promptFileChars;

/** One immutable version of a snippet. */
export interface SnippetVersion {
  readonly name: string;
  readonly version: number;
  /** The text an include inserts (the file's body, one final line break dropped). */
  readonly body: string;
  /** The versions of the snippets this one includes. */
  readonly pins: Readonly<Record<string, number>>;
}

/** The snippets a folder holds. */
export interface SnippetLookup {
  get(name: string, version: number): SnippetVersion | undefined;
  /** The highest version of `name`, or undefined when there is no such snippet. */
  latest(name: string): number | undefined;
}

/** Why an expansion failed. */
export interface SnippetProblem {
  readonly code: typeof ErrorCode.SNIPPET_NOT_FOUND | typeof ErrorCode.SNIPPET_CYCLE | typeof ErrorCode.INVALID_TEMPLATE;
  readonly message: string;
  /** 1-based line within the top template, when the problem is at one of its includes. */
  readonly line?: number;
  readonly field?: string;
}

/** What {@link expandSnippets} returns. */
export type ExpandResult =
  | { readonly ok: true; readonly text: string; readonly pins: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly problems: readonly SnippetProblem[] };

const NAME_START = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const NAME_PART = (c: number): boolean => NAME_START(c) || c === 95 || c === 45;

/** An include tag at `at` (where `{{` stands): `{{`, spaces, `>`, spaces, a name, spaces, `}}`. */
function readInclude(src: string, at: number): { name: string; end: number } | 'malformed' | null {
  const n = src.length;
  let i = at + 2;
  while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
  if (src.charCodeAt(i) !== 62) return null;
  i++;
  while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
  const start = i;
  if (i >= n || !NAME_START(src.charCodeAt(i))) return 'malformed';
  while (i < n && NAME_PART(src.charCodeAt(i))) i++;
  const name = src.slice(start, i);
  while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
  step(i - at + 1);
  if (src.charCodeAt(i) !== 125 || src.charCodeAt(i + 1) !== 125) return 'malformed';
  return { name, end: i + 2 };
}

/** The names a template includes, in first-use order (no expansion). */
export function includedSnippets(src: string): string[] {
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    const at = src.indexOf('{{', pos);
    if (at < 0) break;
    const tag = readInclude(src, at);
    if (tag !== null && tag !== 'malformed' && !out.includes(tag.name)) out.push(tag.name);
    pos = at + 2;
  }
  return out;
}

/**
 * Replaces every `{{> name}}` of `template` by the pinned snippet version, recursively. `lookup`
 * undefined (a compiled registry) refuses any include. Work is bounded by the resolved size.
 */
export function expandSnippets(template: string, pins: Readonly<Record<string, number>>, lookup: SnippetLookup | undefined): ExpandResult {
  const problems: SnippetProblem[] = [];
  const used = new Set<string>();
  let total = 0;

  const expand = (src: string, ownPins: Readonly<Record<string, number>>, chain: readonly string[]): string => {
    let out = '';
    let pos = 0;
    let line = 1;
    let lineFrom = 0;
    const lineOf = (index: number): number => {
      for (; lineFrom < index; lineFrom++) if (src.charCodeAt(lineFrom) === 10) line++;
      return line;
    };
    const top = chain.length === 0;
    const where = (at: number): { line?: number } => (top ? { line: lineOf(at) } : {});
    const inside = top ? '' : ` (in snippet ${chain[chain.length - 1]})`;
    for (;;) {
      const at = src.indexOf('{{', pos);
      step((at < 0 ? src.length : at) - pos + 1);
      if (at < 0) {
        out += src.slice(pos);
        break;
      }
      const tag = readInclude(src, at);
      if (tag === null) {
        out += src.slice(pos, at + 2);
        pos = at + 2;
        continue;
      }
      out += src.slice(pos, at);
      if (tag === 'malformed') {
        problems.push({ code: ErrorCode.INVALID_TEMPLATE, ...where(at), message: `malformed include "${src.slice(at, Math.min(src.length, at + 24)).split('\n')[0]}"${inside}: write {{> snippet-name}} (letters, digits, _ and -)` });
        pos = at + 2;
        continue;
      }
      pos = tag.end;
      const { name } = tag;
      if (top) used.add(name);
      if (lookup === undefined) {
        problems.push({ code: ErrorCode.SNIPPET_NOT_FOUND, ...where(at), message: `{{> ${name}}} cannot be resolved here: snippets are resolved from the folder's ${SNIPPETS_DIR}/ (promptpin build writes resolved templates into the compiled registry)` });
        continue;
      }
      if (chain.includes(name)) {
        problems.push({ code: ErrorCode.SNIPPET_CYCLE, ...where(at), message: `snippets include each other in a cycle: ${[...chain, name].join(' → ')}. Remove one of the includes` });
        continue;
      }
      if (chain.length >= MAX_SNIPPET_DEPTH) {
        problems.push({ code: ErrorCode.SNIPPET_CYCLE, ...where(at), message: `snippets nest deeper than ${MAX_SNIPPET_DEPTH} levels: ${[...chain, name].join(' → ')}. Flatten the chain` });
        continue;
      }
      const latest = lookup.latest(name);
      const pinned = Object.prototype.hasOwnProperty.call(ownPins, name) ? ownPins[name] : undefined;
      if (pinned === undefined) {
        problems.push({
          code: ErrorCode.SNIPPET_NOT_FOUND,
          ...where(at),
          field: 'snippets',
          message:
            latest === undefined
              ? `{{> ${name}}}${inside} names no snippet: create ${SNIPPETS_DIR}/${name}/1.prompt`
              : `{{> ${name}}}${inside} is not pinned: add "snippets: { ${name}: ${latest} }" to the front matter (promptpin publish pins the latest for you)`,
        });
        continue;
      }
      const snippet = lookup.get(name, pinned);
      if (snippet === undefined) {
        problems.push({ code: ErrorCode.SNIPPET_NOT_FOUND, ...where(at), field: `snippets.${name}`, message: `${name} v${pinned} is pinned${inside} but ${SNIPPETS_DIR}/${name}/${pinned}.prompt does not exist${latest !== undefined ? ` (latest: v${latest})` : ''}: pin an existing version` });
        continue;
      }
      const body = expand(snippet.body, snippet.pins, [...chain, name]);
      total += body.length;
      if (total > MAX_RESOLVED_CHARS) {
        problems.push({ code: ErrorCode.SNIPPET_CYCLE, ...where(at), message: `the template with its snippets included exceeds ${MAX_RESOLVED_CHARS} characters: include less` });
        return out;
      }
      out += body;
    }
    return out;
  };

  const text = expand(template, pins, []);
  if (lookup !== undefined) {
    for (const name of Object.keys(pins)) {
      if (!used.has(name)) problems.push({ code: ErrorCode.INVALID_TEMPLATE, field: `snippets.${name}`, message: `snippets: pins "${name}", which the template never includes: remove the pin or add {{> ${name}}}` });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const usedPins: Record<string, number> = {};
  for (const name of Object.keys(pins).sort()) usedPins[name] = pins[name]!;
  return { ok: true, text, pins: usedPins };
}
