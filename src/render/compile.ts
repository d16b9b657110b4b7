import { LRUCache } from 'lru-cache';
import * as z from 'zod/mini';
import { PromptRenderError, type VariableIssue } from '../errors.js';
// Linear scan: the regular expressions it replaces took 45 s on 80 KB of newlines in a value.
import { trimBlankLines } from '../internal/text.js';
import { safeParse } from '../internal/safe-data.js';
import type { PromptVersion, VariableSpec } from '../registry/types.js';
import { parseTemplate, ROLES, type Role } from './template.js';

// NB: repeated from registry/types.ts, which render/ may import for types only.
const MESSAGES_MAX_ITEMS = 1000;
const MESSAGES_MAX_CHARS = 1_000_000;
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/**
 * A `type: messages` value as inserted, or null when it is not one: an array (at most `max`
 * items) of `{ role, content }` with a known role and string content (no other keys), at most
 * {@link MESSAGES_MAX_CHARS} characters of content in all. Work is bounded by `max`.
 */
function messagesValue(v: unknown, max: number): ChatMessage[] | null {
  if (!Array.isArray(v) || v.length > max) return null;
  const out: ChatMessage[] = new Array<ChatMessage>(v.length);
  let chars = 0;
  for (let i = 0; i < v.length; i++) {
    const m: unknown = v[i];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLE_SET.has(role) || typeof content !== 'string' || !Object.hasOwn(m, 'role') || !Object.hasOwn(m, 'content')) return null;
    if (Object.keys(m).length !== 2) return null;
    chars += content.length;
    if (chars > MESSAGES_MAX_CHARS) return null;
    out[i] = Object.freeze({ role: role as Role, content });
  }
  return out;
}

/** One chat message produced by rendering a chat template. */
export interface ChatMessage {
  readonly role: Role;
  readonly content: string;
}

/** What `render` returns: a string for a text template, messages for a chat template. */
export type RenderedPrompt = string | ChatMessage[];

/** Values for a template's declared variables. */
export type PromptVariables = Readonly<Record<string, unknown>>;

/** A version's template, compiled once and reused for every render. */
export interface CompiledTemplate {
  readonly kind: 'text' | 'chat';
  /** Validates `vars` and renders. Throws {@link PromptRenderError}. */
  render(vars: PromptVariables | undefined): RenderedPrompt;
}

interface Check {
  readonly name: string;
  readonly type: VariableSpec['type'];
  readonly optional: boolean;
  readonly fallback: string;
  readonly values: ReadonlySet<string> | undefined;
  readonly max: number;
}

/** The zod schema equivalent of a variable declaration: the source of truth for error messages. */
export function variablesSchema(variables: Readonly<Record<string, VariableSpec>>): z.ZodMiniObject {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [name, spec] of Object.entries(variables)) {
    let t: z.ZodMiniType;
    switch (spec.type) {
      case 'string':
        t = z.string();
        break;
      case 'number':
        // zod 4's number() refuses NaN and ±Infinity itself (classic's .finite() was a no-op).
        t = z.number();
        break;
      case 'integer':
        t = z.number().check(z.int());
        break;
      case 'boolean':
        t = z.boolean();
        break;
      case 'enum':
        t = z.enum(spec.values as [string, ...string[]]);
        break;
      case 'messages': {
        const max = spec.max ?? MESSAGES_MAX_ITEMS;
        t = z
          .array(z.strictObject({ role: z.enum(ROLES), content: z.string() }))
          .check(
            z.maxLength(max, `at most ${max} messages`),
            z.refine((list) => list.reduce((n, m) => n + m.content.length, 0) <= MESSAGES_MAX_CHARS, `at most ${MESSAGES_MAX_CHARS} characters of content in all`),
          );
        break;
      }
    }
    shape[name] = spec.optional ? z.optional(t) : t;
  }
  return z.strictObject(shape);
}

/** True when a value at a block's edge is empty or starts (`at` 0) / ends (`at` -1) with whitespace. */
function edgeIsBlank(value: string, at: 0 | -1): boolean {
  if (value.length === 0) return true;
  const c = value.charCodeAt(at === 0 ? 0 : value.length - 1);
  return c === 10 || c === 13 || c === 32 || c === 9;
}

/** A null-prototype copy of the own enumerable properties: zod then sees no inherited values. */
function ownCopy(vars: unknown): unknown {
  if (typeof vars !== 'object' || vars === null) return vars ?? {};
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(vars)) out[key] = (vars as Record<string, unknown>)[key];
  return out;
}

function stringify(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * Compiles a version's template. The fast path checks each declared variable with `typeof`; any
 * failure (or any extra key) goes to the zod schema, which decides and names every problem.
 */
export function compileTemplate(version: Pick<PromptVersion, 'name' | 'version' | 'template' | 'variables'>): CompiledTemplate {
  const parsed = parseTemplate(version.template);
  const checks: Check[] = Object.entries(version.variables).map(([name, spec]) => ({
    name,
    type: spec.type,
    optional: spec.optional,
    fallback: spec.default === undefined ? '' : stringify(spec.default),
    values: spec.values ? new Set(spec.values) : undefined,
    max: spec.max ?? MESSAGES_MAX_ITEMS,
  }));
  const declaredCount = checks.length;
  const index = new Map(checks.map((c, i) => [c.name, i]));
  const messages = parsed.messages.map((m) => ({
    role: m.role,
    spread: m.spread === undefined ? -1 : index.get(m.spread)!,
    statics: m.statics,
    slots: m.vars.map((v) => index.get(v)!),
    // A role block that starts (ends) with a variable may still start (end) with a blank line
    // once rendered, e.g. an optional variable left empty: trim those at render time.
    leadSlot: m.role !== undefined && m.statics[0] === '' && m.vars.length > 0 ? index.get(m.vars[0]!)! : -1,
    trailSlot: m.role !== undefined && m.statics[m.statics.length - 1] === '' && m.vars.length > 0 ? index.get(m.vars[m.vars.length - 1]!)! : -1,
  }));
  let schema: z.ZodMiniObject | undefined;
  const values: string[] = new Array<string>(declaredCount).fill('');
  const lists: (readonly ChatMessage[])[] = new Array<readonly ChatMessage[]>(declaredCount).fill([]);

  /** Returns false when the fast path cannot vouch for `vars`. Fills `values` when it can. */
  const fastCheck = (vars: PromptVariables): boolean => {
    let present = 0;
    for (let i = 0; i < declaredCount; i++) {
      const c = checks[i]!;
      const v = vars[c.name];
      if (v === undefined) {
        if (!c.optional) return false;
        values[i] = c.fallback;
        lists[i] = [];
        continue;
      }
      // Only own properties count: an inherited value (a polluted prototype) goes to the slow path.
      if (!Object.hasOwn(vars, c.name)) return false;
      present++;
      switch (c.type) {
        case 'string':
          if (typeof v !== 'string') return false;
          values[i] = v;
          break;
        case 'enum':
          if (typeof v !== 'string' || !c.values!.has(v)) return false;
          values[i] = v;
          break;
        case 'number':
          if (typeof v !== 'number' || !Number.isFinite(v)) return false;
          values[i] = String(v);
          break;
        case 'integer':
          // NB: safe integers only, exactly what zod's .int() accepts: both paths give one answer.
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) return false;
          values[i] = String(v);
          break;
        case 'boolean':
          if (typeof v !== 'boolean') return false;
          values[i] = String(v);
          break;
        case 'messages': {
          const list = messagesValue(v, c.max);
          if (list === null) return false;
          lists[i] = list;
          break;
        }
      }
    }
    // Extra keys (typos of optional variables, most often) must reach the strict schema.
    let keys = 0;
    for (const k in vars) if (Object.hasOwn(vars, k)) keys++;
    return keys === present;
  };

  const slowCheck = (vars: unknown): void => {
    schema ??= variablesSchema(version.variables);
    const result = safeParse(schema, ownCopy(vars));
    if (!result.success) {
      const issues: VariableIssue[] = result.error.issues.map((issue) => describeIssue(issue, version.variables, vars));
      throw new PromptRenderError(version.name, version.version, issues, { cause: result.error });
    }
    const data = result.data;
    for (let i = 0; i < declaredCount; i++) {
      const c = checks[i]!;
      const v = Object.hasOwn(data, c.name) ? data[c.name] : undefined;
      if (c.type === 'messages') {
        lists[i] = v === undefined ? [] : (messagesValue(v, c.max) ?? []);
        continue;
      }
      values[i] = v === undefined ? c.fallback : stringify(v);
    }
  };

  const fill = (statics: readonly string[], slots: readonly number[]): string => {
    let out = statics[0]!;
    for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + statics[i + 1]!;
    return out;
  };

  const render = (vars: PromptVariables | undefined): RenderedPrompt => {
    if (vars === undefined || vars === null || typeof vars !== 'object' || !fastCheck(vars)) slowCheck(vars);
    if (parsed.kind === 'text') {
      const m = messages[0]!;
      return fill(m.statics, m.slots);
    }
    const out: ChatMessage[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.spread >= 0) {
        // Each inserted message stays a message of its own: never joined into a block's text.
        for (const h of lists[m.spread]!) out.push({ role: h.role, content: h.content });
        continue;
      }
      const content = fill(m.statics, m.slots);
      // Look at the edge values, not the result: reading the concatenated string would flatten it.
      const trim = (m.leadSlot >= 0 && edgeIsBlank(values[m.leadSlot]!, 0)) || (m.trailSlot >= 0 && edgeIsBlank(values[m.trailSlot]!, -1));
      out.push({ role: m.role!, content: trim ? trimBlankLines(content) : content });
    }
    return out;
  };

  return Object.freeze({ kind: parsed.kind, render });
}

function describeIssue(issue: z.core.$ZodIssue, variables: Readonly<Record<string, VariableSpec>>, vars: unknown): VariableIssue {
  if (issue.code === 'unrecognized_keys') {
    const declared = Object.keys(variables);
    return {
      variable: issue.keys.join(', '),
      message: `not declared (declared: ${declared.length ? declared.join(', ') : 'none'}); check the spelling or declare it in the .prompt file`,
    };
  }
  const name = String(issue.path[0] ?? '(variables)');
  const spec = Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : undefined;
  const given =
    typeof vars === 'object' && vars !== null && Object.prototype.hasOwnProperty.call(vars, name)
      ? (vars as Record<string, unknown>)[name]
      : undefined;
  if (!spec) return { variable: name, message: issue.message };
  const declared =
    spec.type === 'enum'
      ? `one of ${spec.values!.map((v) => JSON.stringify(v)).join(', ')}`
      : spec.type === 'integer'
        ? 'an integer'
        : spec.type === 'messages'
          ? `messages: an array of at most ${spec.max ?? MESSAGES_MAX_ITEMS} { role: ${ROLES.join(' | ')}, content: string }`
          : `a ${spec.type}`;
  if (given === undefined) return { variable: name, message: `missing (required, ${declared})` };
  if (spec.type === 'messages' && Array.isArray(given)) {
    const at = issue.path.length > 1 ? ` at [${issue.path.slice(1).map(String).join('].')}]` : '';
    return { variable: name, message: `expected ${declared}: ${issue.message}${at.replace('].', '] ')}` };
  }
  const got = given === null ? 'null' : Array.isArray(given) ? 'an array' : typeof given;
  // Never echo the value itself: variable values are untrusted and may be private.
  return { variable: name, message: `expected ${declared}, got ${got}` };
}

const cache = new LRUCache<string, CompiledTemplate>({ max: 2000 });

/** Returns the compiled template of a version, from the cache keyed by its content hash. */
export function compiledTemplateFor(version: PromptVersion): CompiledTemplate {
  // The hash covers template and variables, but name/version appear in error messages.
  const key = `${version.hash}\u0000${version.name}\u0000${version.version}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = compileTemplate(version);
    cache.set(key, compiled);
  }
  return compiled;
}
