import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  YAMLParseError,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type YAMLMap,
} from 'yaml';
import { LIMITS, tooDeep, YamlProblem } from './safe-data.js';
import { step } from './steps.js';

// YAML reading for the authoring side (prompt files, promptpin.yaml, the lock): kept apart from
// safe-data.ts so the runtime entry never bundles the yaml package.

/** A parsed YAML document plus a way to find the line of a path in it. */
export interface ParsedYaml {
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** The node ranges `lineOf` reads. */
interface Ranged {
  readonly range?: readonly [number, number, number] | null;
}

/**
 * `parseDocument` with unique keys checked in linear time. The `yaml` package checks each key
 * against every earlier key of its map (20,000 overrides: seconds); here the document is parsed
 * with `uniqueKeys: false` and one walk with a set per map adds the same `DUPLICATE_KEY` errors
 * ("Map keys must be unique", at the repeated key) to `doc.errors`, in document order. Keys are
 * equal as `yaml` defines it: scalars with `===` values.
 */
export function parseYamlDocument(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): Document {
  // logLevel 'error': the yaml package otherwise calls process.emitWarning from inside the app for
  // odd input (a mapping key that is itself a collection); such a document is refused by the
  // schema anyway, and library code reports through onError, never process warnings.
  const doc = parseDocument(text, { ...options, uniqueKeys: false, logLevel: 'error' });
  if (options.uniqueKeys === false) return doc;
  // Later edits of the document see the option the caller asked for.
  doc.options.uniqueKeys = options.uniqueKeys ?? true;
  const duplicates: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    step(1);
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        step(1);
        const key: unknown = pair.key;
        if (isScalar(key) && !Number.isNaN(key.value)) {
          if (keys.has(key.value)) duplicates.push((key as Ranged).range?.[0] ?? 0);
          else keys.add(key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
      step(node.items.length);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  if (duplicates.length === 0) return doc;
  duplicates.sort((a, b) => a - b);
  const merged: YAMLParseError[] = [];
  let d = 0;
  for (const err of doc.errors) {
    while (d < duplicates.length && duplicates[d]! < err.pos[0]) merged.push(duplicateKeyError(duplicates[d++]!));
    merged.push(err);
  }
  while (d < duplicates.length) merged.push(duplicateKeyError(duplicates[d++]!));
  doc.errors.splice(0, doc.errors.length, ...merged);
  return doc;
}

function duplicateKeyError(offset: number): YAMLParseError {
  return new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique');
}

/** `yaml`'s index rule for a sequence: a non-negative integer, or a non-empty string of one. */
function asItemIndex(key: string | number): number | null {
  const idx = typeof key === 'string' && key !== '' ? Number(key) : key;
  return typeof idx === 'number' && Number.isInteger(idx) && idx >= 0 ? idx : null;
}

/**
 * `lineOf` for a document: the line of the deepest node on `path` (what `doc.getIn(prefix, true)`
 * finds for the longest prefix that has a node), with each map indexed once, on first use. Before,
 * each call scanned every map on the path from its first key: one issue per override of 20,000
 * overrides was quadratic.
 */
function pathLines(doc: Document, lineCounter: LineCounter): (path: readonly (string | number)[]) => number | undefined {
  const indexes = new WeakMap<YAMLMap, Map<unknown, unknown>>();
  const indexOf = (map: YAMLMap): Map<unknown, unknown> => {
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const pair of map.items) {
        // The first pair with a key wins, as in yaml's findPair.
        if (isScalar(pair.key) && !index.has(pair.key.value)) index.set(pair.key.value, pair.value);
      }
      step(map.items.length + 1);
      indexes.set(map, index);
    }
    return index;
  };
  const ranged = (node: unknown): number | undefined => {
    const range = node !== null && typeof node === 'object' ? (node as Ranged).range : undefined;
    return range ? range[0] : undefined;
  };
  return (path) => {
    let node: unknown = doc.contents;
    let best = ranged(node);
    for (const key of path) {
      step(1);
      if (isMap(node)) {
        node = typeof key === 'number' && Number.isNaN(key) ? undefined : (indexOf(node).get(key) ?? undefined);
      } else if (isSeq(node)) {
        const idx = asItemIndex(key);
        node = idx === null ? undefined : node.items[idx];
      } else break;
      if (node === undefined || node === null) break;
      best = ranged(node) ?? best;
    }
    return best === undefined ? undefined : lineCounter.linePos(best).line;
  };
}

/**
 * Parses YAML as data only: YAML 1.2 core schema (no custom tags, nothing evaluated), unique
 * keys, bounded aliases, bounded size and depth. `__proto__` keys become own properties.
 */
export function parseYamlSafely(text: string, maxChars: number): ParsedYaml {
  if (text.length > maxChars) throw new YamlProblem(`document is ${text.length} characters; the limit is ${maxChars}`);
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, { lineCounter, schema: 'core', prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? lineCounter.linePos(err.pos[0]).line;
    throw new YamlProblem(err.message.split('\n')[0] ?? 'invalid YAML', line);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: LIMITS.maxAliases });
  } catch (e) {
    throw new YamlProblem(e instanceof Error ? e.message : String(e));
  }
  if (tooDeep(value)) throw new YamlProblem(`document is nested deeper than ${LIMITS.maxDepth} levels`);
  return { value, lineOf: pathLines(doc, lineCounter) };
}

