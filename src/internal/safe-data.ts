import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ErrorCode, type RegistryIssue } from '../errors.js';

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


/** Thrown by {@link parseYamlSafely}; `line` is 1-based when known. */
export class YamlProblem extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
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
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
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
export function zodIssuesAt(error: z.core.$ZodError, place: IssuePlace): RegistryIssue[] {
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

/**
 * `schema.safeParse(value)` with zod's English messages. `zod/mini` (the runtime's zod, a tenth of
 * the classic API's size) loads no locale, so its messages would all read "Invalid input"; the
 * classic API sets English when the first schema is built. This does the same, the first time a
 * schema parses: English becomes the default only when no locale is set, so an app's own
 * `z.config(z.locales.xx())` still wins, exactly as with the classic API.
 */
export function safeParse<T extends z.ZodMiniType>(schema: T, value: unknown): ReturnType<T['safeParse']> {
  if (z.config().localeError === undefined) z.config(en());
  return schema.safeParse(value) as ReturnType<T['safeParse']>;
}
