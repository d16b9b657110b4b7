/**
 * `promptpin/langchain`: LangChain.js (`@langchain/core`) input from a resolved version — messages,
 * a `ChatPromptTemplate.fromMessages`-compatible template, the chat model's constructor fields —
 * and readers of its results (`usage_metadata`, streams). Nothing of LangChain is imported.
 *
 * @example
 * const prompt = client.get('support-agent', userId);
 * const model = new ChatOpenAI(chatModelFields(prompt));
 * const reply = await prompt.call((m) => model.invoke(langchainMessages(m)), { vars });
 *
 * @packageDocumentation
 */
import type { RenderedPrompt } from '../render/compile.js';
import { parseTemplate } from '../render/template.js';
import type { PromptVersion } from '../registry/types.js';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import { activeCallHandle, type FollowReading, type FollowSink, type ResultFollower } from '../telemetry/call-handle.js';
import { asMessages, described, EMPTY_OBJECT_SCHEMA, jsonCopy, reportSent, schemaName } from './shared.js';

/** A LangChain message-like: a `[role, content]` pair (coerced by every chat model). */
export type LangChainMessageLike = [role: 'system' | 'user' | 'assistant', content: string];

/**
 * The rendered prompt as LangChain message-likes (a text template is one user message). Inside a
 * `prompt.call`, the call also reads LangChain results: `usage_metadata`, `response_metadata`,
 * `tool_calls` of an `AIMessage`, and the chunks of a `.stream()`.
 */
export function langchainMessages(rendered: RenderedPrompt): LangChainMessageLike[] {
  const handle = activeCallHandle();
  if (handle !== undefined) {
    try {
      handle.follow(LANGCHAIN_FOLLOWER);
    } catch {
      // Telemetry never breaks a request.
    }
    reportSent({ sdk: 'langchain' });
  }
  return asMessages(rendered).map((m): LangChainMessageLike => [m.role, m.content]);
}

/**
 * The version's template as `[role, template]` pairs for `ChatPromptTemplate.fromMessages` (f-string
 * syntax: `{{name}}` becomes `{name}`, literal braces are doubled). A text template is one `human`
 * pair. Record the version on the span yourself if you render through LangChain.
 */
export function langchainTemplate(prompt: ResolvedPrompt): [role: 'system' | 'human' | 'ai' | 'placeholder', template: string][] {
  const definition = (prompt as { readonly definition?: PromptVersion }).definition;
  if (definition === undefined) throw new TypeError(`langchainTemplate: "${prompt.name}" v${prompt.version} has no template (not a ResolvedPrompt from a PromptClient).`);
  const parsed = parseTemplate(definition.template);
  const escape = (s: string): string => s.replace(/[{}]/g, (c) => c + c);
  return parsed.messages.map((m): [role: 'system' | 'human' | 'ai' | 'placeholder', template: string] => {
    // A messages slot is LangChain's MessagesPlaceholder: ['placeholder', '{history}'].
    if (m.spread !== undefined) return ['placeholder', `{${m.spread}}`];
    const text = m.statics.map((s, i) => escape(s) + (i < m.vars.length ? `{${m.vars[i]}}` : '')).join('');
    const role = m.role === 'system' ? 'system' : m.role === 'assistant' ? 'ai' : 'human';
    return [role, parsed.kind === 'chat' ? text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, '') : text];
  });
}

/**
 * The version's `tools:` in the OpenAI function format that `chatModel.bindTools(tools)` accepts
 * for every LangChain chat model; `[]` without tools.
 */
export function langchainTools(prompt: ResolvedPrompt): { type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown> } }[] {
  return (prompt.tools ?? []).map((t) => ({ type: 'function', function: { name: t.name, ...described(t), parameters: jsonCopy(t.parameters ?? EMPTY_OBJECT_SCHEMA) } }));
}

/**
 * The version's `output_schema:` for `chatModel.withStructuredOutput(schema, { name })`; `undefined`
 * without one.
 */
export function langchainOutputSchema(prompt: ResolvedPrompt): { schema: Record<string, unknown>; name: string } | undefined {
  return prompt.outputSchema ? { schema: jsonCopy(prompt.outputSchema), name: schemaName(prompt.outputSchema) } : undefined;
}

const FIELDS: Readonly<Record<string, string>> = {
  temperature: 'temperature',
  max_tokens: 'maxTokens',
  max_output_tokens: 'maxTokens',
  max_completion_tokens: 'maxTokens',
  top_p: 'topP',
  top_k: 'topK',
  frequency_penalty: 'frequencyPenalty',
  presence_penalty: 'presencePenalty',
  stop: 'stop',
  stop_sequences: 'stopSequences',
  seed: 'seed',
};

/**
 * The chat model's constructor fields from the version: `model` and the params in LangChain's
 * camelCase (`max_tokens` → `maxTokens`, `top_p` → `topP`, …), e.g. `new ChatOpenAI(chatModelFields(prompt))`.
 * LangChain binds these to the model instance, so build the model per version (cache it by
 * `prompt.hash`).
 */
export function chatModelFields(prompt: ResolvedPrompt): { model: string } & Record<string, unknown> {
  const out: { model: string } & Record<string, unknown> = { model: prompt.model };
  for (const [key, value] of Object.entries(prompt.params)) {
    const name = FIELDS[key];
    if (name === undefined || value === undefined) continue;
    out[name] = (name === 'stop' || name === 'stopSequences') && typeof value === 'string' ? [value] : value;
  }
  return out;
}

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj | undefined => (typeof x === 'object' && x !== null ? (x as Obj) : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

function isAiMessage(x: Obj): boolean {
  return 'content' in x && ('usage_metadata' in x || 'response_metadata' in x || 'tool_calls' in x);
}

/** Reads an `AIMessage` (or the sum of streamed `AIMessageChunk`s); `undefined` for anything else. */
export function readLangChainMessage(message: unknown): FollowReading | undefined {
  const m = obj(message);
  if (m === undefined || !isAiMessage(m)) return undefined;
  const usage = obj(m.usage_metadata);
  const meta = obj(m.response_metadata);
  const finish = meta?.finish_reason ?? meta?.stop_reason;
  const toolCalls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  return {
    format: 'langchain',
    responseId: typeof m.id === 'string' ? m.id : undefined,
    responseModel: typeof meta?.model_name === 'string' ? meta.model_name : typeof meta?.model === 'string' ? meta.model : undefined,
    finishReasons: typeof finish === 'string' ? [finish] : [],
    inputTokens: num(usage?.input_tokens),
    outputTokens: num(usage?.output_tokens),
    cacheReadTokens: num(obj(usage?.input_token_details)?.cache_read),
    cacheCreationTokens: num(obj(usage?.input_token_details)?.cache_creation),
    refusal: finish === 'refusal' || finish === 'content_filter',
    toolCall: toolCalls.length > 0 || finish === 'tool_calls' || finish === 'tool_use',
    output: undefined,
  };
}

/** Sums streamed chunks' readings: tokens add up, the last finish reason / id / model win. */
class ChunkSum {
  #r: FollowReading | undefined;
  add(chunk: unknown): void {
    const c = readLangChainMessage(chunk);
    if (c === undefined) return;
    const r = this.#r;
    if (r === undefined) {
      this.#r = c;
      return;
    }
    const add = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : a + b);
    this.#r = {
      ...r,
      responseId: r.responseId ?? c.responseId,
      responseModel: c.responseModel ?? r.responseModel,
      finishReasons: c.finishReasons.length > 0 ? c.finishReasons : r.finishReasons,
      inputTokens: add(r.inputTokens, c.inputTokens),
      outputTokens: add(r.outputTokens, c.outputTokens),
      cacheReadTokens: add(r.cacheReadTokens, c.cacheReadTokens),
      cacheCreationTokens: add(r.cacheCreationTokens, c.cacheCreationTokens),
      refusal: r.refusal || c.refusal,
      toolCall: r.toolCall || c.toolCall,
    };
  }
  get reading(): FollowReading | undefined {
    return this.#r;
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> & Obj {
  const o = obj(x);
  return o !== undefined && typeof (o as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** A LangChain stream (`IterableReadableStream`), passed through: the call ends at its end, on cancel (abandoned) or on error. */
function followStream(source: AsyncIterable<unknown>, sink: FollowSink): AsyncIterable<unknown> {
  const sum = new ChunkSum();
  let it: AsyncIterator<unknown> | undefined;
  const iterator: AsyncIterableIterator<unknown> = {
    async next() {
      it ??= source[Symbol.asyncIterator]();
      try {
        const step = await it.next();
        if (step.done) sink.complete(sum.reading, undefined);
        else sum.add(step.value);
        return step;
      } catch (err) {
        sink.fail(err);
        throw err;
      }
    },
    async return(value?: unknown) {
      sink.abandon(sum.reading);
      await it?.return?.(value);
      return { done: true, value };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

const LANGCHAIN_FOLLOWER: ResultFollower = {
  follow(result, sink) {
    if (isAsyncIterable(result)) return { value: followStream(result, sink) };
    const reading = readLangChainMessage(result);
    if (reading === undefined) return undefined;
    sink.complete(reading, result);
    return { value: result };
  },
};
