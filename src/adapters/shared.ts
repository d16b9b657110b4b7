/** What every adapter shares: splitting rendered prompts, mapping params. @internal */
import type { ChatMessage, RenderedPrompt } from '../render/compile.js';
import type { ToolSpec } from '../registry/types.js';
import { activeCallHandle, type SentRequest } from '../telemetry/call-handle.js';

/** A rendered prompt as messages: a text template is one `user` message. */
export function asMessages(rendered: RenderedPrompt): ChatMessage[] {
  return typeof rendered === 'string' ? [{ role: 'user', content: rendered }] : rendered.map((m) => ({ role: m.role, content: m.content }));
}

/** The system messages apart from the others (for APIs that take system text separately). */
export function splitSystem(rendered: RenderedPrompt): { system: string[]; rest: ChatMessage[] } {
  const system: string[] = [];
  const rest: ChatMessage[] = [];
  for (const m of asMessages(rendered)) {
    if (m.role === 'system') system.push(m.content);
    else rest.push(m);
  }
  return { system, rest };
}

/** How one API names (or refuses) the version's params. */
export interface ParamMap {
  /** version name → API name */
  readonly rename: Readonly<Record<string, string>>;
  /** params other APIs take that this one rejects */
  readonly drop: ReadonlySet<string>;
}

/** The version's params under the API's names: renamed, dropped where the API rejects them, others passed through. */
export function mapParams(params: Readonly<Record<string, unknown>>, map: ParamMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || map.drop.has(key)) continue;
    const name = map.rename[key] ?? key;
    if (!(name in out) || name === key) out[name] = value;
  }
  return out;
}

/** snake_case view of what was sent, for the span's gen_ai.request.* attributes. */
export function snakeParams(body: Readonly<Record<string, unknown>>, names: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [api, snake] of Object.entries(names)) if (body[api] !== undefined) out[snake] = body[api];
  return out;
}

/** Tells the running `prompt.call` (if any) what was sent. Never throws. */
export function reportSent(request: SentRequest): void {
  try {
    activeCallHandle()?.sent(request);
  } catch {
    // Telemetry never breaks a request.
  }
}

/** An empty object schema, for APIs that require a parameters schema. */
export const EMPTY_OBJECT_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze({ type: 'object', properties: {} });

/** A mutable deep copy of frozen JSON data (SDKs may annotate what they are given). */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The name an output schema goes by: its `title` when it is a valid name, else `output`. */
export function schemaName(schema: Readonly<Record<string, unknown>>): string {
  const title = schema.title;
  return typeof title === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(title) ? title : 'output';
}

/** `{ description? }` of a tool, for the shapes that take it as is. */
export function described(tool: ToolSpec): { description?: string } {
  return tool.description !== undefined ? { description: tool.description } : {};
}
