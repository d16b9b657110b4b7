import type { RenderedPrompt } from '../render/compile.js';

/**
 * Where captured content goes: on the span as attributes (`SPAN_ONLY`), on a
 * `gen_ai.client.inference.operation.details` span event (`EVENT_ONLY`), both, or nowhere
 * (`NO_CONTENT`, the default). The values of `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
 */
export type CaptureContentMode = 'NO_CONTENT' | 'SPAN_ONLY' | 'EVENT_ONLY' | 'SPAN_AND_EVENT';

/** The environment variable read when the `captureContent` option is not given. */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Which piece of captured content {@link RedactContent} is looking at. */
export interface RedactTarget {
  /** `input` (a rendered message), `output` (model output text or tool arguments) or `variable`. */
  readonly kind: 'input' | 'output' | 'variable';
  /** The prompt's name. */
  readonly prompt: string;
  /** The variable's name (for `variable`) or the message role (for `input`). */
  readonly key?: string;
}

/**
 * Rewrites a piece of captured content before it is recorded (e.g. masks emails). Return the text
 * to record; return `undefined` to drop it. Called only when content capture is on. If it throws,
 * the piece is dropped (never recorded unredacted) and the fault goes to `onError`.
 */
export type RedactContent = (text: string, target: RedactTarget) => string | undefined;

const MODES: ReadonlySet<string> = new Set(['NO_CONTENT', 'SPAN_ONLY', 'EVENT_ONLY', 'SPAN_AND_EVENT']);

/**
 * Resolves the capture mode: the option wins; otherwise the environment variable, read as a boolean
 * (`true`/`1`/`yes` → `SPAN_ONLY`, `false`/`0`/`no` → off) or as a mode name (any case). Anything
 * else is off.
 */
export function resolveCaptureMode(option: boolean | CaptureContentMode | undefined, env: string | undefined): CaptureContentMode {
  if (option === true) return 'SPAN_ONLY';
  if (option === false) return 'NO_CONTENT';
  if (option !== undefined) return MODES.has(option) ? option : 'NO_CONTENT';
  const raw = env?.trim();
  if (!raw) return 'NO_CONTENT';
  const upper = raw.toUpperCase();
  if (MODES.has(upper)) return upper as CaptureContentMode;
  if (upper === 'TRUE' || upper === '1' || upper === 'YES') return 'SPAN_ONLY';
  return 'NO_CONTENT';
}

/** GenAI semconv input message JSON: `[{ role, parts: [{ type: 'text', content }] }]`. */
export interface InputMessage {
  readonly role: string;
  readonly parts: readonly { readonly type: 'text'; readonly content: string }[];
}

/** The rendered prompt as semconv input messages; a text template is one `user` message. */
export function inputMessages(rendered: RenderedPrompt, redact: (text: string, role: string) => string | undefined): InputMessage[] {
  const list = typeof rendered === 'string' ? [{ role: 'user', content: rendered }] : rendered;
  const out: InputMessage[] = [];
  for (const m of list) {
    const content = redact(m.content, m.role);
    out.push({ role: m.role, parts: content === undefined ? [] : [{ type: 'text', content }] });
  }
  return out;
}

/** A variable value as recorded in `gen_ai.prompt.variable.<key>`. */
export function variableText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
