import fc from 'fast-check';
import { parseLock } from '../../src/registry/lock.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { checkFolder, compileFolder, folderFilesOf, parseCompiledRegistry, registryToJson } from '../../src/registry/registry.js';
import { parseRegistryText } from '../../src/sources/file-source.js';
import { exampleFiles, mutated } from './fuzz-support.js';

/** A synchronous fuzz target: inputs, how many by default, and the call that must accept or reject. */
export interface FuzzTarget<T = unknown> {
  readonly name: string;
  readonly runs: number;
  readonly input: fc.Arbitrary<T>;
  /** 'accepted' or 'rejected'; throws only the library's typed errors. */
  run(input: T): 'accepted' | 'rejected';
}

/** The real example folder, by relative path. */
export const FILES = exampleFiles();
export const PROMPT_PATHS = Object.keys(FILES).filter((p) => p.endsWith('.prompt'));

/** The folder-reader shape of a `{ path: text }` map. */
export const folderOf = folderFilesOf;

const checked = (files: Record<string, string>): 'accepted' | 'rejected' => (checkFolder(folderOf(files)).registry !== null ? 'accepted' : 'rejected');

function target<T>(t: FuzzTarget<T>): FuzzTarget {
  return t as FuzzTarget;
}

const COMPILED = JSON.stringify(registryToJson(compileFolder(folderOf(FILES))), null, 1);
const COMPILED_VALUE = JSON.parse(COMPILED) as unknown;
const COMPILED_PATHS: (string | number)[][] = [];
(function walk(v: unknown, path: (string | number)[]): void {
  COMPILED_PATHS.push(path);
  if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
})(COMPILED_VALUE, []);

const HOSTILE_VALUES = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(1e308, -1, 0, 2 ** 53 + 1, 100_000_000, '__proto__', JSON.parse('{"__proto__":{"polluted":1}}'), [], {}, null, '', 'x'.repeat(1000)),
);

/** Every synchronous fuzz target; the test runs each, `bench/fuzz-worst.bench.ts` times each input. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  target({
    name: '.prompt (mutated)',
    runs: 3000,
    input: fc.constantFrom(...PROMPT_PATHS).chain((p) => mutated(FILES[p]!).map((text) => [p, text] as const)),
    run: ([path, text]) => (parsePromptFile(text, 'support-agent', 1, path).ok ? 'accepted' : 'rejected'),
  }),
  target({
    name: '.prompt (random)',
    runs: 1500,
    input: fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ maxLength: 300 }).map((s) => `---\nmodel: m\n---\n${s}`),
      fc.string({ maxLength: 300 }).map((s) => `---\n${s}\n---\nHello {{name}}`),
    ),
    run: (s) => (parsePromptFile(s, 'p', 1, 'p/1.prompt').ok ? 'accepted' : 'rejected'),
  }),
  target({
    name: 'promptpin.yaml (mutated)',
    runs: 1500,
    input: mutated(FILES['promptpin.yaml']!),
    run: (yaml) => checked({ ...FILES, 'promptpin.yaml': yaml }),
  }),
  target({
    name: 'promptpin.lock (mutated)',
    runs: 1000,
    input: mutated(FILES['promptpin.lock']!),
    run: (lock) => (parseLock(lock).issues.length === 0 && checked({ ...FILES, 'promptpin.lock': lock }) === 'accepted' ? 'accepted' : 'rejected'),
  }),
  target({
    name: 'folder paths (mutated)',
    runs: 800,
    input: fc.constantFrom(...PROMPT_PATHS).chain((p) => mutated(p).map((q) => [p, q] as const)),
    run: ([from, to]) => {
      const files = { ...FILES };
      delete files[from];
      files[to.endsWith('.prompt') ? to : `${to}.prompt`] = FILES[from]!;
      return checked(files);
    },
  }),
  target({
    // A typo or a bad merge names a version far beyond the others: work must not follow the number.
    name: 'version numbers (huge)',
    runs: 200,
    input: fc.tuple(fc.constantFrom(...PROMPT_PATHS), fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1000, max: 2 ** 31 }), fc.constantFrom(100_000_000, 2 ** 53, 1e21))),
    run: ([from, n]) => checked({ ...FILES, [from.replace(/\d+\.prompt$/, `${BigInt(n)}.prompt`)]: FILES[from]! }),
  }),
  target({
    name: 'compiled registry text (mutated)',
    runs: 800,
    input: mutated(COMPILED),
    run: (text) => (parseRegistryText(text, 'registry.json') ? 'accepted' : 'rejected'),
  }),
  target({
    name: 'compiled registry value (subtree replaced)',
    runs: 1000,
    input: fc.tuple(fc.constantFrom(...COMPILED_PATHS), HOSTILE_VALUES),
    run: ([path, value]) => {
      if (path.length === 0) return parseCompiledRegistry(value) ? 'accepted' : 'rejected';
      const doc = structuredClone(COMPILED_VALUE) as Record<string | number, unknown>;
      let at = doc;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
      at[path[path.length - 1]!] = value;
      return parseCompiledRegistry(doc) ? 'accepted' : 'rejected';
    },
  }),
];
