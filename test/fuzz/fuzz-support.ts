import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { ErrorCode, isPromptError } from '../../src/errors.js';

/**
 * Scale of the fuzz suite: `PROMPTPIN_FUZZ_SCALE=20 npm run test:unit -- test/fuzz` runs 20x the
 * default number of inputs (the default keeps `npm test` fast and still tries >= 10,000 inputs).
 */
export const FUZZ_SCALE = Math.max(1, Number(process.env.PROMPTPIN_FUZZ_SCALE ?? 1) || 1);
/** The seed of every fuzz property; override with `PROMPTPIN_FUZZ_SEED` for a different walk. */
export const FUZZ_SEED = Number(process.env.PROMPTPIN_FUZZ_SEED ?? 20261204);

/** Runs for a property, scaled. */
export function runs(n: number): number {
  return Math.round(n * FUZZ_SCALE);
}

/** The real example folder: every `.prompt`, the release file and the lock, by relative path. */
export function exampleFiles(): Record<string, string> {
  const root = join(import.meta.dirname, '..', '..', 'examples', 'prompts');
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(root, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** Tokens that parsers of this format care about: fences, YAML syntax, template tags, hostile keys. */
const TOKENS = [
  '---', '\n', '\r\n', '\r', ' ', '\t', '  ', ':', ': ', '- ', '{', '}', '[', ']', ',', '"', "'", '#', '|', '>-', '&a ', '*a', '<<: *a',
  '!!str ', '!!js/function ', '!!binary ', '? ', '{{', '}}', '{{#system}}', '{{/system}}', '{{#user}}', '{{/user}}', '{{#assistant}}',
  '{{> x}}', '{{name}}', '{{{x}}}', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '\u0000', '\u001b[31m',
  '\u202e', '\uFEFF', '\uD800', '😀', 'é', '0', '1', '-1', '1e308', '-0', 'NaN', '.inf', '9007199254740993', '100000000', '0x10',
  'null', '~', 'true', 'yes', 'stable', 'rollout', 'candidate', 'percent', 'guards', 'signal', 'max_increase', 'overrides',
  'environments', 'production', 'window', 'min_samples', 'lockVersion', 'prompts', 'sha256:', 'model', 'variables', 'params',
  'template', 'hash', 'schemaVersion', 'revision', 'enum', 'optional', 'default', 'type', 'integer', '../', '/', '\\',
];

type Mutation =
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'delete'; readonly at: number; readonly len: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly len: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'swapLines'; readonly a: number; readonly b: number }
  | { readonly op: 'dupLine'; readonly a: number }
  | { readonly op: 'replaceChar'; readonly at: number; readonly ch: string };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('delete' as const), at: position, len: fc.nat(40) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, len: fc.nat(80) }),
  fc.record({ op: fc.constant('insert' as const), at: position, text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 6 })) }),
  fc.record({ op: fc.constant('swapLines' as const), a: position, b: position }),
  fc.record({ op: fc.constant('dupLine' as const), a: position }),
  fc.record({ op: fc.constant('replaceChar' as const), at: position, ch: fc.constantFrom(...TOKENS) }),
);

function applyMutation(text: string, m: Mutation): string {
  const idx = (p: number, n: number): number => Math.min(n, Math.floor(p * (n + 1)));
  switch (m.op) {
    case 'truncate':
      return text.slice(0, idx(m.at, text.length));
    case 'delete': {
      const i = idx(m.at, text.length);
      return text.slice(0, i) + text.slice(i + m.len);
    }
    case 'duplicate': {
      const i = idx(m.at, text.length);
      return text.slice(0, i) + text.slice(i, i + m.len) + text.slice(i);
    }
    case 'insert': {
      const i = idx(m.at, text.length);
      return text.slice(0, i) + m.text + text.slice(i);
    }
    case 'replaceChar': {
      const i = idx(m.at, Math.max(0, text.length - 1));
      return text.slice(0, i) + m.ch + text.slice(i + 1);
    }
    case 'swapLines':
    case 'dupLine': {
      const lines = text.split('\n');
      const a = idx(m.a, lines.length - 1);
      if (m.op === 'dupLine') lines.splice(a, 0, lines[a] ?? '');
      else {
        const b = idx(m.b, lines.length - 1);
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      }
      return lines.join('\n');
    }
  }
}

/** A real file mutated by 1–6 edits (truncate, splice, duplicate, swap lines, hostile tokens). */
export function mutated(base: string): fc.Arbitrary<string> {
  return fc.array(mutation, { minLength: 1, maxLength: 6 }).map((ms) => ms.reduce(applyMutation, base));
}

/** Tallies of a fuzz target, printed at the end of the suite. */
export interface Tally {
  tried: number;
  accepted: number;
  rejected: number;
  /** Thrown values that are not the library's typed errors: must stay 0. */
  crashes: number;
}

export function tally(): Tally {
  return { tried: 0, accepted: 0, rejected: 0, crashes: 0 };
}

const CODES = new Set<string>(Object.values(ErrorCode));

/** True when a reported issue has a known code and a message. */
export function isTypedIssue(issue: { readonly code: string; readonly message: string }): boolean {
  return CODES.has(issue.code) && typeof issue.message === 'string' && issue.message.length > 0;
}

/** True when `err` is one of the library's typed errors with a known code (and every issue has one). */
export function isTypedError(err: unknown): boolean {
  if (!isPromptError(err) || !CODES.has(err.code)) return false;
  const issues = (err as { issues?: readonly { code: string; message: string }[] }).issues;
  return issues === undefined || issues.every(isTypedIssue);
}

/** Snapshot of `Object.prototype`'s own keys, to prove no input pollutes it. */
export function prototypeKeys(): string {
  return [...Reflect.ownKeys(Object.prototype)].map(String).sort().join(',');
}
