import * as z from 'zod/mini';
import { sha256Hex } from '../internal/sha256.js';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { canonicalJson, deepFreeze, safeParse, zodIssuesAt } from '../internal/safe-data.js';
import { parseTemplate, TemplateSyntaxError } from '../render/template.js';
import { MESSAGES_MAX_ITEMS, type PromptOperation, type PromptVersion, type ToolSpec, type VariableSpec } from './types.js';

/** Version of the canonical form hashed into `PromptVersion.hash`. Changing it re-hashes everything. */
export const CONTENT_HASH_VERSION = 1;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const SCALAR_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SNIPPET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Front-matter keys, as listed in the unknown-key message. */
const FRONT_KEYS = 'model, provider, operation, params, variables, tools, output_schema, snippets, author, message, examples';

const VariableDeclSchema = z.union([
  z.enum([...SCALAR_TYPES, 'messages']),
  z.strictObject({
    type: z.optional(z.enum([...SCALAR_TYPES, 'enum', 'messages'])),
    max: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MESSAGES_MAX_ITEMS))),
    enum: z.optional(z.array(z.string()).check(z.minLength(1))),
    optional: z.optional(z.boolean()),
    default: z.optional(z.union([z.string(), z.number(), z.boolean()])),
    description: z.optional(z.string()),
  }),
]);

const FrontMatterSchema = z.strictObject({
  model: z.string().check(z.minLength(1, 'model is required (provider model id, e.g. gpt-4o-mini)')),
  provider: z.optional(z.string().check(z.minLength(1))),
  operation: z.optional(z.enum(['chat', 'text_completion'])),
  params: z.optional(z.record(z.string(), z.unknown())),
  variables: z.optional(z.record(z.string(), VariableDeclSchema)),
  author: z.optional(z.string()),
  message: z.optional(z.string()),
  examples: z.optional(z.array(z.record(z.string(), z.unknown()))),
  tools: z.optional(
    z.array(
      z.strictObject({
        name: z.string().check(z.regex(TOOL_NAME, 'a tool name is 1-64 letters, digits, _ or - (every provider\'s rule)')),
        description: z.optional(z.string()),
        parameters: z.optional(z.record(z.string(), z.unknown())),
      }),
    ).check(z.maxLength(128, 'at most 128 tools')),
  ),
  output_schema: z.optional(z.record(z.string(), z.unknown())),
  snippets: z.optional(z.record(z.string().check(z.regex(SNIPPET_NAME)), z.number().check(z.int(), z.minimum(1)))),
});

/** The parts of a version that the content hash covers. */
export interface HashedContent {
  readonly model: string;
  readonly provider?: string | undefined;
  readonly operation: PromptOperation;
  readonly params: Readonly<Record<string, unknown>>;
  readonly variables: Readonly<Record<string, VariableSpec>>;
  readonly template: string;
  readonly tools?: readonly ToolSpec[] | undefined;
  readonly outputSchema?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The content hash of a version: `sha256:` + hex SHA-256 of the canonical JSON (keys sorted at every
 * level) of `{ hashVersion, model, provider, operation, params, variables, template }`, plus
 * `tools` and `outputSchema` only when the version declares them (so every version written before
 * they existed keeps its hash). `template` is the resolved template (snippets included). Author,
 * message, examples and snippet pins are not hashed: they do not change behaviour.
 */
export function contentHash(content: HashedContent): string {
  const canonical = canonicalJson({
    hashVersion: CONTENT_HASH_VERSION,
    model: content.model,
    provider: content.provider ?? null,
    operation: content.operation,
    params: content.params,
    variables: content.variables,
    template: content.template,
    ...(content.tools !== undefined ? { tools: content.tools } : {}),
    ...(content.outputSchema !== undefined ? { outputSchema: content.outputSchema } : {}),
  });
  return `sha256:${sha256Hex(canonical)}`;
}

/** The result of parsing one `.prompt` file: a version, or the problems that prevent it. */
export type ParsePromptFileResult =
  | { readonly ok: true; readonly version: PromptVersion }
  | { readonly ok: false; readonly issues: readonly RegistryIssue[] };

/** Where a version's definition came from, for error messages. */
export interface VersionContext {
  readonly name: string;
  readonly version: number;
  readonly file: string;
  /** 1-based line (within the front matter) of a path, when the source has lines. */
  readonly lineOf?: (path: readonly (string | number)[]) => number | undefined;
  /** 1-based line where the template body starts in the file. */
  readonly bodyStartLine?: number;
  /**
   * The template as written, when `template` is the resolved one (snippets included by the
   * authoring side, see `snippets.ts`): error lines then refer to the resolved text.
   */
  readonly written?: string;
}

/**
 * Validates a version's front-matter data and template (from a `.prompt` file or a compiled
 * registry) and builds the frozen {@link PromptVersion}.
 */
export function buildVersion(data: unknown, template: string, ctx: VersionContext): ParsePromptFileResult {
  const { name, version, file } = ctx;
  const bodyStartLine = ctx.bodyStartLine ?? 1;
  const issues: RegistryIssue[] = [];
  const at = (message: string, extra: { line?: number; field?: string } = {}): ParsePromptFileResult => {
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version, message, ...extra });
    return { ok: false, issues };
  };
  const parsed = { lineOf: (path: readonly (string | number)[]) => ctx.lineOf?.(path) };
  // zod silently drops "__proto__" keys: refuse them (and other prototype names) first.
  for (const block of ['params', 'variables'] as const) {
    const raw = (data as Record<string, unknown> | null)?.[block];
    if (typeof raw !== 'object' || raw === null) continue;
    for (const key of Object.keys(raw)) {
      if (FORBIDDEN_KEYS.has(key) || (block === 'variables' && key in Object.prototype)) {
        const line = parsed.lineOf([block, key]);
        issues.push({
          code: ErrorCode.INVALID_CONFIG,
          file,
          prompt: name,
          version,
          field: `${block}.${key}`,
          message: `${block === 'params' ? 'params key' : 'variable name'} "${key}" is not allowed: it names a JavaScript prototype member`,
          ...(line !== undefined ? { line: line + 1 } : {}),
        });
      }
    }
  }
  for (const block of ['tools', 'output_schema'] as const) {
    const raw = (data as Record<string, unknown> | null)?.[block];
    const bad = raw === undefined ? null : prototypeKeyIn(raw);
    if (bad !== null) {
      issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version, field: block, message: `${block} holds the key "${bad}", which names a JavaScript prototype member: rename it` });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  const result = safeParse(FrontMatterSchema, data);
  if (!result.success) {
    issues.push(
      ...zodIssuesAt(result.error, {
        file,
        // Front-matter lines are 1-based within the YAML, which starts on line 2 of the file.
        lineOf: (path) => {
          const line = parsed.lineOf(path);
          return line === undefined ? undefined : line + 1;
        },
        root: '(front matter)',
        extra: () => ({ prompt: name, version }),
        message: (issue) =>
          issue.code === 'unrecognized_keys'
            ? `unknown front-matter key(s) ${issue.keys.join(', ')}: allowed are ${FRONT_KEYS}`
            : issue.message,
      }),
    );
    return { ok: false, issues };
  }
  const fmData = result.data;
  const lineOf = (path: (string | number)[]): { line?: number } => {
    const l = parsed.lineOf(path);
    return l !== undefined ? { line: l + 1 } : {};
  };

  const variables: Record<string, VariableSpec> = Object.create(null) as Record<string, VariableSpec>;
  for (const [varName, decl] of Object.entries(fmData.variables ?? {})) {
    const field = `variables.${varName}`;
    if (!IDENT.test(varName) || FORBIDDEN_KEYS.has(varName)) {
      at(`variable name "${varName}" is not allowed: use letters, digits and _ (not starting with a digit)`, { field, ...lineOf(['variables', varName]) });
      continue;
    }
    const spec = normalizeVariable(decl);
    if (typeof spec === 'string') {
      at(spec, { field, ...lineOf(['variables', varName]) });
      continue;
    }
    Object.defineProperty(variables, varName, { value: spec, enumerable: true });
  }
  const params: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(fmData.params ?? {})) {
    if (FORBIDDEN_KEYS.has(k)) {
      at(`params key "${k}" is not allowed`, { field: `params.${k}`, ...lineOf(['params', k]) });
      continue;
    }
    Object.defineProperty(params, k, { value: v, enumerable: true });
  }

  const tools = fmData.tools;
  if (tools) {
    const seenTools = new Set<string>();
    tools.forEach((t, i) => {
      if (seenTools.has(t.name)) at(`tool "${t.name}" is declared twice: tool names are unique`, { field: `tools.${i}.name`, ...lineOf(['tools', i, 'name']) });
      seenTools.add(t.name);
    });
  }

  // Includes were replaced by the authoring side; a runtime never expands one (parseTemplate refuses `{{>`).
  const resolved = template;
  const written = ctx.written ?? template;
  const pins = fmData.snippets ?? {};
  const usesSnippets = Object.keys(pins).length > 0;

  let placeholders: readonly string[] = [];
  let placeholderLines: readonly number[] = [];
  let spreads: ReadonlySet<string> = new Set();
  let textUses: ReadonlySet<string> = new Set();
  try {
    const parsedTemplate = parseTemplate(resolved);
    ({ placeholders, placeholderLines } = parsedTemplate);
    spreads = new Set(parsedTemplate.spreads ?? []);
    textUses = new Set(parsedTemplate.messages.flatMap((m) => m.vars));
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    // Line numbers are the file's when no snippet was included (else the resolved template's).
    issues.push({ code: ErrorCode.INVALID_TEMPLATE, file, prompt: name, version, field: 'template', line: resolved === written ? bodyStartLine + e.line - 1 : e.line, message: resolved === written ? e.message : `${e.message} (in the template with its snippets included)` });
  }
  placeholders.forEach((p, i) => {
    const spec = Object.prototype.hasOwnProperty.call(variables, p) ? variables[p] : undefined;
    if (spec === undefined) return;
    const line = bodyStartLine + placeholderLines[i]! - 1;
    if (spreads.has(p) && spec.type !== 'messages') {
      // A name used both ways is reported once, as the slot problem.
      issues.push({ code: ErrorCode.INVALID_TEMPLATE, file, prompt: name, version, field: 'template', line, message: `{{...${p}}} inserts messages, but "${p}" is declared ${spec.type}: declare it "${p}: messages" or write {{${p}}} inside a role block` });
    } else if (textUses.has(p) && spec.type === 'messages') {
      issues.push({ code: ErrorCode.INVALID_TEMPLATE, file, prompt: name, version, field: 'template', line, message: `"${p}" is a messages variable: place {{...${p}}} alone on a line between the role blocks (messages are inserted as messages, never as text)` });
    }
  });
  placeholders.forEach((p, i) => {
    if (!Object.prototype.hasOwnProperty.call(variables, p)) {
      issues.push({
        code: ErrorCode.INVALID_TEMPLATE,
        file,
        prompt: name,
        version,
        field: 'template',
        line: bodyStartLine + placeholderLines[i]! - 1,
        message: spreads.has(p) ? `placeholder {{...${p}}} is not declared: add it under variables: (e.g. "${p}: messages")` : `placeholder {{${p}}} is not declared: add it under variables: (e.g. "${p}: string")`,
      });
    }
  });
  const used = new Set(placeholders);
  for (const [varName, spec] of Object.entries(variables)) {
    if (!spec.optional && !used.has(varName)) {
      issues.push({
        code: ErrorCode.INVALID_TEMPLATE,
        file,
        prompt: name,
        version,
        field: `variables.${varName}`,
        ...lineOf(['variables', varName]),
        message: `required variable "${varName}" is never used in the template: use {{${varName}}} or remove the declaration`,
      });
    }
  }
  if (issues.length > 0) return { ok: false, issues };

  const operation: PromptOperation = fmData.operation ?? 'chat';
  const toolSpecs: readonly ToolSpec[] | undefined = tools
    ? deepFreeze(
        tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
        })),
      )
    : undefined;
  const outputSchema = fmData.output_schema !== undefined ? deepFreeze(fmData.output_schema) : undefined;
  const content: HashedContent = {
    model: fmData.model,
    provider: fmData.provider,
    operation,
    params: deepFreeze(params),
    variables: deepFreeze(variables),
    template: resolved,
    tools: toolSpecs,
    outputSchema,
  };
  const v: PromptVersion = {
    name,
    version,
    hash: contentHash(content),
    model: content.model,
    ...(fmData.provider !== undefined ? { provider: fmData.provider } : {}),
    operation,
    params: content.params,
    variables: content.variables,
    template: resolved,
    ...(toolSpecs !== undefined ? { tools: toolSpecs } : {}),
    ...(outputSchema !== undefined ? { outputSchema } : {}),
    ...(usesSnippets ? { snippets: Object.freeze({ ...pins }) } : {}),
    ...(fmData.author !== undefined ? { author: fmData.author } : {}),
    ...(fmData.message !== undefined ? { message: fmData.message } : {}),
    ...(fmData.examples !== undefined ? { examples: deepFreeze(fmData.examples) } : {}),
  };
  return { ok: true, version: Object.freeze(v) };
}

/** Normalizes one variable declaration, or returns why it is invalid. */
export function normalizeVariable(decl: z.infer<typeof VariableDeclSchema>): VariableSpec | string {
  if (typeof decl === 'string') return Object.freeze({ type: decl, optional: false });
  if (decl.max !== undefined && decl.type !== 'messages') return 'max: applies to type messages only (the most messages a value may hold)';
  if (decl.type === 'messages') {
    if (decl.default !== undefined) return 'a messages variable has no default: mark it optional: true (it is then an empty list)';
    if (decl.enum) return 'enum: [..] cannot be combined with type messages';
    return Object.freeze({
      type: 'messages' as const,
      optional: decl.optional === true,
      ...(decl.max !== undefined ? { max: decl.max } : {}),
      ...(decl.description !== undefined ? { description: decl.description } : {}),
    });
  }
  const type = decl.type ?? (decl.enum ? 'enum' : undefined);
  if (!type) return 'declare a type (string, number, integer, boolean) or an enum: [..] list';
  if (type === 'enum' && !decl.enum) return 'type enum needs an enum: [..] list of allowed values';
  if (type !== 'enum' && decl.enum) return `enum: [..] cannot be combined with type ${type}`;
  if (decl.default !== undefined) {
    const d = decl.default;
    const ok =
      type === 'string'
        ? typeof d === 'string'
        : type === 'enum'
          ? typeof d === 'string' && decl.enum!.includes(d)
          : type === 'boolean'
            ? typeof d === 'boolean'
            : type === 'integer'
              ? Number.isInteger(d)
              : typeof d === 'number' && Number.isFinite(d);
    if (!ok) return `default ${JSON.stringify(d)} is not a valid ${type === 'enum' ? `value of enum [${decl.enum!.join(', ')}]` : type}`;
  }
  if (decl.optional === false && decl.default !== undefined) return 'a variable with a default is optional: remove optional: false or the default';
  const spec: VariableSpec = {
    type,
    optional: decl.optional === true || decl.default !== undefined,
    ...(decl.enum ? { values: Object.freeze([...decl.enum]) } : {}),
    ...(decl.default !== undefined ? { default: decl.default } : {}),
    ...(decl.description !== undefined ? { description: decl.description } : {}),
  };
  return Object.freeze(spec);
}


/** The first key anywhere in `value` that names a prototype member (`__proto__`, …), or null. */
function prototypeKeyIn(value: unknown): string | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return null;
}
