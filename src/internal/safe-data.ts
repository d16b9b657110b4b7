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
import type { z } from 'zod';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { step } from './steps.js';

/** Bounds applied to every YAML or JSON document read from a source. */
export const LIMITS = {
  /** Largest `.prompt` file, in characters. */
  promptFileChars: 256 * 1024,
  /** Largest `promptpin.yaml` / `promptpin.lock`, in characters. */
  configFileChars: 4 * 1024 * 1024,
  /** Largest compiled registry, in characters. */
  registryChars: 64 * 1024 * 1024,
  /** Deepest nesting of objects/arrays accepted anywhere. */
  maxDepth: 32,
  /** YAML aliases per document (guards against "billion laughs"). */
  maxAliases: 50,
} as const;

/** Returns the path of the first place deeper than `maxDepth`, or null. Iterative: no stack overflow. */
export function tooDeep(value: unknown, maxDepth: number = LIMITS.maxDepth): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= maxDepth) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** A parsed YAML document plus a way to find the line of a path in it. */
export interface ParsedYaml {
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Thrown by {@link parseYamlSafely}; `line` is 1-based when known. */
export class YamlProblem extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
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
  const doc = parseDocument(text, { ...options, uniqueKeys: false });
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

/** Parses JSON with the same size and depth bounds as YAML. */
export function parseJsonSafely(text: string, maxChars: number): unknown {
  if (text.length > maxChars) throw new YamlProblem(`document is ${text.length} characters; the limit is ${maxChars}`);
  const value: unknown = JSON.parse(text);
  if (tooDeep(value)) throw new YamlProblem(`document is nested deeper than ${LIMITS.maxDepth} levels`);
  return value;
}

/** Own-property lookup that never reaches the prototype chain. */
export function own<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Recursively freezes plain data. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * JSON with object keys sorted at every level: the canonical form hashes are computed from.
 * Same output as `JSON.stringify` of a key-sorted copy (undefined members dropped, undefined array
 * items as `null`), written directly without building the copy.
 */
export function canonicalJson(value: unknown): string {
  return canon(value) ?? 'null';
}

function canon(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) as string | undefined;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canon(value[i]) ?? 'null');
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const c = canon((value as Record<string, unknown>)[key]);
    if (c === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${c}`;
    first = false;
  }
  return `${out}}`;
}

/** What {@link zodIssuesAt} needs to place each zod issue in a file. */
export interface IssuePlace {
  readonly file: string;
  /** 1-based line of a path in the file, when the source has lines. */
  readonly lineOf?: (path: readonly (string | number)[]) => number | undefined;
  /** Field name for the document root. @defaultValue '(root)' */
  readonly root?: string;
  /** Extra fields for every issue (prompt, version), or computed from the issue's path. */
  readonly extra?: (path: readonly string[]) => { readonly prompt?: string; readonly version?: number };
  /** Rewrites a message (e.g. to list the allowed keys). */
  readonly message?: (issue: z.core.$ZodIssue) => string;
}

/** Converts zod issues into registry issues with file, line, field and a message. */
export function zodIssuesAt(error: z.ZodError, place: IssuePlace): RegistryIssue[] {
  return error.issues.map((issue) => {
    const line = place.lineOf?.(issue.path as (string | number)[]);
    return {
      code: ErrorCode.INVALID_CONFIG,
      file: place.file,
      ...place.extra?.(issue.path.map(String)),
      field: issue.path.map(String).join('.') || (place.root ?? '(root)'),
      message: place.message?.(issue) ?? issue.message,
      ...(line !== undefined ? { line } : {}),
    };
  });
}
