/**
 * Structural readers of LLM results: OpenAI Chat Completions, OpenAI Responses and Anthropic
 * Messages, whole or streamed. No SDK is imported: each reader checks the shape it needs
 * (`object: 'chat.completion'`, `object: 'response'`, `type: 'message'`, …) and ignores anything
 * else, so an unknown result simply reads as "nothing known".
 */

/** Which result shape a reading came from. */
export type ResultFormat = 'openai.chat' | 'openai.responses' | 'anthropic.messages';

/** One part of a captured output message (GenAI semconv message JSON). */
export type OutputPart =
  | { readonly type: 'text'; readonly content: string }
  | { readonly type: 'tool_call'; readonly id?: string; readonly name: string; readonly arguments?: unknown };

/** A captured output message, as `gen_ai.output.messages` records it. */
export interface OutputMessage {
  readonly role: 'assistant';
  readonly parts: readonly OutputPart[];
  /** Normalized: `stop`, `length`, `content_filter`, `tool_call` or `error`. */
  readonly finish_reason: string;
}

/** What a result says about a call. */
export interface ResultReading {
  readonly format: ResultFormat;
  readonly responseId: string | undefined;
  readonly responseModel: string | undefined;
  /** As the provider reports them (Responses: normalized, it has no per-choice reason). */
  readonly finishReasons: readonly string[];
  /** All input tokens, cached ones included (semconv). */
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly cacheReadTokens: number | undefined;
  readonly cacheCreationTokens: number | undefined;
  /** The model declined (OpenAI `refusal`, Anthropic `stop_reason: 'refusal'`). */
  readonly refusal: boolean;
  /** The model asked for at least one tool call. */
  readonly toolCall: boolean;
  /** Output messages, only when content was asked for. */
  readonly output: readonly OutputMessage[] | undefined;
}

type Obj = Record<string, unknown>;

function obj(x: unknown): Obj | undefined {
  return typeof x === 'object' && x !== null ? (x as Obj) : undefined;
}
function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}
function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}
function arr(x: unknown): readonly unknown[] | undefined {
  return Array.isArray(x) ? x : undefined;
}
function sum(...xs: (number | undefined)[]): number | undefined {
  let total: number | undefined;
  for (const x of xs) if (x !== undefined) total = (total ?? 0) + x;
  return total;
}
/** Tool arguments arrive as JSON text; record them parsed when they parse. */
function parseArgs(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const OPENAI_CHAT_FINISH: Readonly<Record<string, string>> = { tool_calls: 'tool_call', function_call: 'tool_call' };
const ANTHROPIC_FINISH: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_call',
  refusal: 'content_filter',
};

/** Reads a whole (non-streamed) result; `undefined` when its shape is not one we know. */
export function readResult(result: unknown, withContent: boolean): ResultReading | undefined {
  const r = obj(result);
  if (!r) return undefined;
  if (r.object === 'chat.completion' || (Array.isArray(r.choices) && r.object !== 'chat.completion.chunk' && obj(obj(r.choices[0])?.message))) {
    return readOpenAIChat(r, withContent);
  }
  if (r.object === 'response' && Array.isArray(r.output)) return readOpenAIResponse(r, withContent);
  if (r.type === 'message' && Array.isArray(r.content)) return readAnthropicMessage(r, withContent);
  return undefined;
}

function readOpenAIChat(r: Obj, withContent: boolean): ResultReading {
  const usage = obj(r.usage);
  const finishReasons: string[] = [];
  let refusal = false;
  let toolCall = false;
  const output: OutputMessage[] | undefined = withContent ? [] : undefined;
  for (const c of arr(r.choices) ?? []) {
    const choice = obj(c);
    const message = obj(choice?.message);
    const finish = str(choice?.finish_reason);
    if (finish !== undefined) finishReasons.push(finish);
    const refusalText = str(message?.refusal);
    if (refusalText) refusal = true;
    const calls = arr(message?.tool_calls) ?? [];
    const legacyCall = obj(message?.function_call);
    if (calls.length > 0 || legacyCall) toolCall = true;
    if (output) {
      const parts: OutputPart[] = [];
      const content = str(message?.content);
      if (content) parts.push({ type: 'text', content });
      if (refusalText) parts.push({ type: 'text', content: refusalText });
      for (const call of calls) {
        const fn = obj(obj(call)?.function);
        const id = str(obj(call)?.id);
        parts.push({ type: 'tool_call', ...(id !== undefined ? { id } : {}), name: str(fn?.name) ?? '', arguments: parseArgs(str(fn?.arguments)) });
      }
      if (legacyCall) parts.push({ type: 'tool_call', name: str(legacyCall.name) ?? '', arguments: parseArgs(str(legacyCall.arguments)) });
      output.push({ role: 'assistant', parts, finish_reason: finish === undefined ? 'stop' : (OPENAI_CHAT_FINISH[finish] ?? finish) });
    }
  }
  const cached = num(obj(usage?.prompt_tokens_details)?.cached_tokens);
  return {
    format: 'openai.chat',
    responseId: str(r.id),
    responseModel: str(r.model),
    finishReasons,
    inputTokens: num(usage?.prompt_tokens),
    outputTokens: num(usage?.completion_tokens),
    cacheReadTokens: cached,
    cacheCreationTokens: undefined,
    refusal,
    toolCall,
    output,
  };
}

const RESPONSES_TOOL_CALLS = new Set(['function_call', 'custom_tool_call']);

function responsesFinish(r: Obj, toolCall: boolean): string {
  const status = str(r.status);
  if (status === 'failed') return 'error';
  if (status === 'incomplete') {
    const reason = str(obj(r.incomplete_details)?.reason);
    return reason === 'max_output_tokens' ? 'length' : (reason ?? 'incomplete');
  }
  return toolCall ? 'tool_call' : 'stop';
}

function readOpenAIResponse(r: Obj, withContent: boolean): ResultReading {
  const usage = obj(r.usage);
  let refusal = false;
  let toolCall = false;
  const parts: OutputPart[] | undefined = withContent ? [] : undefined;
  for (const it of arr(r.output) ?? []) {
    const item = obj(it);
    const type = str(item?.type);
    if (type !== undefined && RESPONSES_TOOL_CALLS.has(type)) {
      toolCall = true;
      if (parts) {
        const id = str(item?.call_id) ?? str(item?.id);
        parts.push({ type: 'tool_call', ...(id !== undefined ? { id } : {}), name: str(item?.name) ?? '', arguments: parseArgs(str(item?.arguments) ?? str(item?.input)) });
      }
    } else if (type === 'message') {
      for (const p of arr(item?.content) ?? []) {
        const part = obj(p);
        if (part?.type === 'refusal') {
          refusal = true;
          const text = str(part.refusal);
          if (parts && text) parts.push({ type: 'text', content: text });
        } else if (part?.type === 'output_text' && parts) {
          const text = str(part.text);
          if (text) parts.push({ type: 'text', content: text });
        }
      }
    }
  }
  const finish = responsesFinish(r, toolCall);
  return {
    format: 'openai.responses',
    responseId: str(r.id),
    responseModel: str(r.model),
    finishReasons: r.status === undefined && !toolCall ? [] : [finish],
    inputTokens: num(usage?.input_tokens),
    outputTokens: num(usage?.output_tokens),
    cacheReadTokens: num(obj(usage?.input_tokens_details)?.cached_tokens),
    cacheCreationTokens: undefined,
    refusal,
    toolCall,
    output: parts ? [{ role: 'assistant', parts, finish_reason: finish }] : undefined,
  };
}

function anthropicInput(usage: Obj | undefined): Pick<ResultReading, 'inputTokens' | 'cacheReadTokens' | 'cacheCreationTokens'> {
  const cacheRead = num(usage?.cache_read_input_tokens);
  const cacheCreation = num(usage?.cache_creation_input_tokens);
  // NB: Anthropic's input_tokens excludes cached tokens; semconv wants them included.
  return { inputTokens: sum(num(usage?.input_tokens), cacheRead, cacheCreation), cacheReadTokens: cacheRead, cacheCreationTokens: cacheCreation };
}

function readAnthropicMessage(r: Obj, withContent: boolean): ResultReading {
  const usage = obj(r.usage);
  const stop = str(r.stop_reason);
  let toolCall = stop === 'tool_use';
  const parts: OutputPart[] | undefined = withContent ? [] : undefined;
  for (const b of arr(r.content) ?? []) {
    const block = obj(b);
    if (block?.type === 'tool_use') {
      toolCall = true;
      if (parts) {
        const id = str(block.id);
        parts.push({ type: 'tool_call', ...(id !== undefined ? { id } : {}), name: str(block.name) ?? '', arguments: block.input });
      }
    } else if (block?.type === 'text' && parts) {
      const text = str(block.text);
      if (text) parts.push({ type: 'text', content: text });
    }
  }
  return {
    format: 'anthropic.messages',
    responseId: str(r.id),
    responseModel: str(r.model),
    finishReasons: stop === undefined ? [] : [stop],
    ...anthropicInput(usage),
    outputTokens: num(usage?.output_tokens),
    refusal: stop === 'refusal',
    toolCall,
    output: parts ? [{ role: 'assistant', parts, finish_reason: stop === undefined ? 'stop' : (ANTHROPIC_FINISH[stop] ?? stop) }] : undefined,
  };
}

interface ToolDraft {
  id: string | undefined;
  name: string;
  args: string;
}

interface ChoiceDraft {
  text: string;
  finish: string | undefined;
  tools: Map<number, ToolDraft>;
}

/**
 * Accumulates streamed chunks/events: OpenAI chat chunks (usage on the final chunk with
 * `stream_options.include_usage`), Responses stream events (`response.completed` carries the whole
 * response), Anthropic Messages events (`message_start`, `content_block_*`, `message_delta`).
 * Content is accumulated only when `withContent`.
 */
export class StreamReader {
  readonly #withContent: boolean;
  #format: ResultFormat | undefined;
  #id: string | undefined;
  #model: string | undefined;
  #input: number | undefined;
  #output: number | undefined;
  #cacheRead: number | undefined;
  #cacheCreation: number | undefined;
  #refusal = false;
  #toolCall = false;
  #anthropicStop: string | undefined;
  readonly #choices = new Map<number, ChoiceDraft>();
  /** Anthropic content blocks by index: text or tool draft. */
  readonly #blocks = new Map<number, { text: string } | ToolDraft>();
  /** A final whole response (Responses `response.completed`), which wins over the pieces. */
  #final: ResultReading | undefined;

  constructor(withContent: boolean) {
    this.#withContent = withContent;
  }

  /** True once a chunk of a known shape was seen. */
  get recognized(): boolean {
    return this.#format !== undefined;
  }

  /** Reads one chunk or event. Unknown shapes are ignored. */
  observe(chunk: unknown): void {
    const c = obj(chunk);
    if (!c) return;
    if (c.object === 'chat.completion.chunk') this.#openAIChunk(c);
    else if (typeof c.type === 'string') {
      if (c.type.startsWith('response.')) this.#responsesEvent(c);
      else if (c.type.startsWith('message_') || c.type.startsWith('content_block_')) this.#anthropicEvent(c);
    }
  }

  #choice(index: number): ChoiceDraft {
    let d = this.#choices.get(index);
    if (!d) this.#choices.set(index, (d = { text: '', finish: undefined, tools: new Map() }));
    return d;
  }

  #openAIChunk(c: Obj): void {
    this.#format = 'openai.chat';
    this.#id ??= str(c.id);
    this.#model ??= str(c.model);
    const usage = obj(c.usage);
    if (usage) {
      this.#input = num(usage.prompt_tokens) ?? this.#input;
      this.#output = num(usage.completion_tokens) ?? this.#output;
      this.#cacheRead = num(obj(usage.prompt_tokens_details)?.cached_tokens) ?? this.#cacheRead;
    }
    for (const ch of arr(c.choices) ?? []) {
      const choice = obj(ch);
      if (!choice) continue;
      const draft = this.#choice(num(choice.index) ?? 0);
      const finish = str(choice.finish_reason);
      if (finish !== undefined) draft.finish = finish;
      const delta = obj(choice.delta);
      if (!delta) continue;
      const refusal = str(delta.refusal);
      if (refusal !== undefined) {
        this.#refusal = true;
        if (this.#withContent) draft.text += refusal;
      }
      const content = str(delta.content);
      if (content !== undefined && this.#withContent) draft.text += content;
      for (const t of arr(delta.tool_calls) ?? []) {
        this.#toolCall = true;
        if (!this.#withContent) continue;
        const call = obj(t);
        const index = num(call?.index) ?? 0;
        let tool = draft.tools.get(index);
        if (!tool) draft.tools.set(index, (tool = { id: undefined, name: '', args: '' }));
        tool.id ??= str(call?.id);
        const fn = obj(call?.function);
        tool.name += str(fn?.name) ?? '';
        tool.args += str(fn?.arguments) ?? '';
      }
    }
  }

  #responsesEvent(c: Obj): void {
    this.#format = 'openai.responses';
    const type = c.type as string;
    const response = obj(c.response);
    if (response) {
      this.#id ??= str(response.id);
      this.#model ??= str(response.model);
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        this.#final = readOpenAIResponse(response, this.#withContent);
      }
      return;
    }
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const itemType = str(obj(c.item)?.type);
      if (itemType !== undefined && RESPONSES_TOOL_CALLS.has(itemType)) this.#toolCall = true;
    } else if (type === 'response.refusal.delta' || type === 'response.refusal.done') {
      this.#refusal = true;
    } else if (type === 'response.output_text.delta' && this.#withContent) {
      this.#choice(0).text += str(c.delta) ?? '';
    }
  }

  #anthropicEvent(c: Obj): void {
    this.#format = 'anthropic.messages';
    switch (c.type) {
      case 'message_start': {
        const message = obj(c.message);
        this.#id ??= str(message?.id);
        this.#model ??= str(message?.model);
        this.#anthropicUsage(obj(message?.usage));
        break;
      }
      case 'content_block_start': {
        const block = obj(c.content_block);
        const index = num(c.index) ?? this.#blocks.size;
        if (block?.type === 'tool_use') {
          this.#toolCall = true;
          if (this.#withContent) this.#blocks.set(index, { id: str(block.id), name: str(block.name) ?? '', args: '' });
        } else if (block?.type === 'text' && this.#withContent) {
          this.#blocks.set(index, { text: str(block.text) ?? '' });
        }
        break;
      }
      case 'content_block_delta': {
        if (!this.#withContent) break;
        const delta = obj(c.delta);
        const target = this.#blocks.get(num(c.index) ?? -1);
        if (!target || !delta) break;
        if ('text' in target && delta.type === 'text_delta') target.text += str(delta.text) ?? '';
        else if ('args' in target && delta.type === 'input_json_delta') target.args += str(delta.partial_json) ?? '';
        break;
      }
      case 'message_delta': {
        const stop = str(obj(c.delta)?.stop_reason);
        if (stop !== undefined) {
          this.#anthropicStop = stop;
          if (stop === 'refusal') this.#refusal = true;
          if (stop === 'tool_use') this.#toolCall = true;
        }
        // message_delta usage is cumulative.
        this.#anthropicUsage(obj(c.usage));
        break;
      }
      default:
        break;
    }
  }

  #anthropicUsage(usage: Obj | undefined): void {
    if (!usage) return;
    const { inputTokens, cacheReadTokens, cacheCreationTokens } = anthropicInput(usage);
    if (inputTokens !== undefined) this.#input = inputTokens;
    if (cacheReadTokens !== undefined) this.#cacheRead = cacheReadTokens;
    if (cacheCreationTokens !== undefined) this.#cacheCreation = cacheCreationTokens;
    const out = num(usage.output_tokens);
    if (out !== undefined) this.#output = out;
  }

  /** What the stream said so far; `undefined` when no chunk had a known shape. */
  reading(): ResultReading | undefined {
    if (this.#final) {
      const f = this.#final;
      return { ...f, refusal: f.refusal || this.#refusal, toolCall: f.toolCall || this.#toolCall };
    }
    const format = this.#format;
    if (format === undefined) return undefined;
    let finishReasons: string[];
    let output: OutputMessage[] | undefined;
    if (format === 'anthropic.messages') {
      finishReasons = this.#anthropicStop === undefined ? [] : [this.#anthropicStop];
      if (this.#withContent) {
        const parts: OutputPart[] = [];
        for (const [, b] of [...this.#blocks].sort((a, b) => a[0] - b[0])) {
          if ('text' in b) {
            if (b.text) parts.push({ type: 'text', content: b.text });
          } else {
            parts.push({ type: 'tool_call', ...(b.id !== undefined ? { id: b.id } : {}), name: b.name, arguments: parseArgs(b.args) });
          }
        }
        const stop = this.#anthropicStop;
        output = [{ role: 'assistant', parts, finish_reason: stop === undefined ? 'stop' : (ANTHROPIC_FINISH[stop] ?? stop) }];
      }
    } else {
      const choices = [...this.#choices].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
      finishReasons = choices.map((d) => d.finish).filter((f): f is string => f !== undefined);
      if (this.#withContent) {
        output = choices.map((d) => {
          const parts: OutputPart[] = [];
          if (d.text) parts.push({ type: 'text', content: d.text });
          for (const [, t] of [...d.tools].sort((a, b) => a[0] - b[0])) {
            parts.push({ type: 'tool_call', ...(t.id !== undefined ? { id: t.id } : {}), name: t.name, arguments: parseArgs(t.args) });
          }
          const finish = d.finish;
          return { role: 'assistant' as const, parts, finish_reason: finish === undefined ? 'stop' : (OPENAI_CHAT_FINISH[finish] ?? finish) };
        });
      }
    }
    return {
      format,
      responseId: this.#id,
      responseModel: this.#model,
      finishReasons,
      inputTokens: this.#input,
      outputTokens: this.#output,
      cacheReadTokens: this.#cacheRead,
      cacheCreationTokens: this.#cacheCreation,
      refusal: this.#refusal,
      toolCall: this.#toolCall,
      output,
    };
  }
}
