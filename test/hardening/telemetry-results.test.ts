/**
 * Issue 9, item 8: `prompt.call` must hand back the user's result usable exactly as without
 * promptpin. A Proxy over the result broke frozen streams, methods added with
 * Object.defineProperty (non-configurable, non-writable), `#private` access and the identity of
 * thenables. The property test builds the same object twice from a generated spec, uses one
 * directly and one through `call`, and compares everything a caller can observe.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySource, PromptClient, type ResolvedPrompt } from '../../src/index.js';

const FILES = {
  'a/1.prompt': '---\nmodel: gpt-4o-mini\nvariables:\n  q: string\n---\n{{#user}}\n{{q}}\n{{/user}}\n',
  'promptpin.yaml': 'environments:\n  production:\n    a: { stable: 1 }\n',
};
const VARS = { vars: { q: 'x' } };

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const faults: unknown[] = [];
let client: PromptClient;
let prompt: ResolvedPrompt;
beforeAll(async () => {
  client = await PromptClient.create({ source: createMemorySource({ files: FILES }), watch: false, tracerProvider: provider, onError: (e) => faults.push(e) });
  prompt = client.get('a', 'u');
});
afterAll(() => client.close());

function chunk(text: string, last: boolean): unknown {
  return { id: 'chatcmpl-p', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: text }, finish_reason: last ? 'stop' : null }] };
}
function chunksOf(texts: readonly string[]): unknown[] {
  return [...texts.map((t, i) => chunk(t, i === texts.length - 1)), { id: 'chatcmpl-p', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: texts.length } }];
}

/** A stream class with private state, its iterator and terminal method on the prototype. */
class PrivateStream {
  readonly #chunks: unknown[];
  readonly #secret = 42;
  n = 1;
  constructor(chunks: unknown[]) {
    this.#chunks = chunks;
  }
  secret(): number {
    return this.#secret;
  }
  on(_event: string): this {
    return this;
  }
  async finalChatCompletion(): Promise<unknown> {
    return { object: 'chat.completion', id: 'chatcmpl-p', choices: [{ index: 0, message: { role: 'assistant', content: this.#chunks.length }, finish_reason: 'stop' }] };
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    yield* this.#chunks;
  }
}

/** Private state, no iterator of its own (one may be added as an own property). */
class PrivateThing {
  readonly #secret = 7;
  n = 2;
  secret(): number {
    return this.#secret;
  }
  on(_event: string): this {
    return this;
  }
}

/** Like OpenAI's APIPromise: a Promise subclass with private state, a lazy `then` and `.withResponse()`. */
class APIPromiseLike<T> extends Promise<T> {
  readonly #make: () => T;
  #parsed: Promise<T> | undefined;
  constructor(make: () => T) {
    super((resolve) => resolve(null as T));
    this.#make = make;
  }
  #parse(): Promise<T> {
    return (this.#parsed ??= Promise.resolve().then(() => this.#make()));
  }
  withResponse(): Promise<{ data: T; response: { status: number } }> {
    return this.#parse().then((data) => ({ data, response: { status: 200 } }));
  }
  override then<A = T, B = never>(ok?: ((v: T) => A | PromiseLike<A>) | null, err?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#parse().then(ok, err);
  }
}

interface Spec {
  readonly shape: 'plain' | 'class' | 'nullProto';
  readonly iterable: 'none' | 'own' | 'proto' | 'ownNonWritable' | 'ownNonConfigurable' | 'accessor';
  readonly terminal: 'none' | 'own' | 'ownFrozenMethod';
  readonly integrity: 'none' | 'freeze' | 'seal' | 'preventExtensions';
  readonly accessor: boolean;
  readonly definedMethod: boolean;
  readonly readable: boolean;
  readonly wrapper: 'none' | 'promise' | 'thenable' | 'frozenThenable' | 'apiPromise' | 'frozenApiPromise';
  readonly texts: readonly string[];
  readonly breakAt: number | null;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  shape: fc.constantFrom('plain', 'class', 'nullProto'),
  iterable: fc.constantFrom('none', 'own', 'proto', 'ownNonWritable', 'ownNonConfigurable', 'accessor'),
  terminal: fc.constantFrom('none', 'own', 'ownFrozenMethod'),
  integrity: fc.constantFrom('none', 'freeze', 'seal', 'preventExtensions'),
  accessor: fc.boolean(),
  definedMethod: fc.boolean(),
  readable: fc.boolean(),
  wrapper: fc.constantFrom('none', 'promise', 'thenable', 'frozenThenable', 'apiPromise', 'frozenApiPromise'),
  texts: fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }),
  breakAt: fc.option(fc.nat(4), { nil: null }),
});

function ownGenerator(chunks: unknown[]): () => AsyncGenerator<unknown> {
  return async function* () {
    yield* chunks;
  };
}

/** Builds a fresh result from a spec: the same spec always builds an equivalent object. */
function make(spec: Spec): unknown {
  const chunks = chunksOf(spec.texts);
  let value: object;
  if (spec.readable) {
    value = new ReadableStream({
      start(c) {
        for (const ch of chunks) c.enqueue(ch);
        c.close();
      },
    });
  } else {
    if (spec.shape === 'class') value = spec.iterable === 'proto' ? new PrivateStream(chunks) : new PrivateThing();
    else {
      const proto = spec.iterable === 'proto' ? { [Symbol.asyncIterator]: ownGenerator(chunks), kind: 'proto' } : spec.shape === 'nullProto' ? null : Object.prototype;
      value = Object.create(proto) as object;
      (value as { n: number }).n = 3;
    }
    const gen = ownGenerator(chunks);
    if (spec.iterable === 'own') (value as Record<symbol, unknown>)[Symbol.asyncIterator] = gen;
    if (spec.iterable === 'ownNonWritable') Object.defineProperty(value, Symbol.asyncIterator, { value: gen, writable: false, configurable: true });
    if (spec.iterable === 'ownNonConfigurable') Object.defineProperty(value, Symbol.asyncIterator, { value: gen });
    if (spec.iterable === 'accessor') Object.defineProperty(value, Symbol.asyncIterator, { get: () => gen, enumerable: false });
    const final = async (): Promise<unknown> => ({ type: 'message', id: 'msg_p', content: [{ type: 'text', text: spec.texts.join('') }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } });
    if (spec.terminal === 'own') (value as Record<string, unknown>).finalMessage = final;
    if (spec.terminal === 'ownFrozenMethod') Object.defineProperty(value, 'finalMessage', { value: final });
    if (spec.accessor) Object.defineProperty(value, 'answer', { get: () => 41 + 1, enumerable: true });
    if (spec.definedMethod) {
      Object.defineProperty(value, 'greet', {
        value(this: { n: number }) {
          return `hello ${this.n}`;
        },
      });
    }
    if (spec.integrity === 'freeze') Object.freeze(value);
    if (spec.integrity === 'seal') Object.seal(value);
    if (spec.integrity === 'preventExtensions') Object.preventExtensions(value);
  }
  switch (spec.wrapper) {
    case 'none':
      return value;
    case 'promise':
      return Promise.resolve(value);
    case 'thenable':
      return { then: (ok: (v: unknown) => void) => ok(value) };
    case 'frozenThenable':
      return Object.freeze({ then: (ok: (v: unknown) => void) => ok(value) });
    case 'apiPromise':
      return new APIPromiseLike(() => value);
    case 'frozenApiPromise':
      return Object.freeze(new APIPromiseLike(() => value));
  }
}

function summary(x: unknown): unknown {
  if (typeof x === 'function') return 'function';
  if (typeof x === 'object' && x !== null) {
    try {
      return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'function' ? 'function' : v))) as unknown;
    } catch (err) {
      return `unserializable: ${(err as Error).message}`;
    }
  }
  return x;
}

/** The stream methods promptpin may shadow while a call is in flight (non-enumerable, own). */
function shadowable(k: PropertyKey): boolean {
  return k === Symbol.asyncIterator || k === 'done' || (typeof k === 'string' && k.startsWith('final'));
}

/**
 * Own keys and their attributes. `inFlight`: leave out non-enumerable shadowable methods, the one
 * documented difference while a followed stream is being read (`Reflect.ownKeys` shows them).
 */
function shapeOf(v: object, inFlight = false): unknown {
  return Reflect.ownKeys(v).filter((k) => !(inFlight && shadowable(k) && Object.getOwnPropertyDescriptor(v, k)?.enumerable === false)).map((k) => {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    return [String(k), d.enumerable, d.configurable, 'value' in d ? [d.writable, typeof d.value] : 'accessor'];
  });
}

/** Everything a caller can observe of a result, as data. */
async function observe(result: unknown, spec: Spec): Promise<unknown[]> {
  const log: unknown[] = [];
  const rec = (label: string, f: () => unknown): void => {
    try {
      log.push([label, summary(f())]);
    } catch (err) {
      log.push([label, 'threw', (err as Error).constructor.name, (err as Error).message]);
    }
  };
  const recAsync = async (label: string, f: () => Promise<unknown>): Promise<void> => {
    try {
      log.push([label, summary(await f())]);
    } catch (err) {
      log.push([label, 'threw', (err as Error).constructor.name, (err as Error).message]);
    }
  };
  let v = result as Record<PropertyKey, unknown>;
  if (spec.wrapper !== 'none') {
    const r = result as { then: unknown; withResponse?: () => Promise<{ data: unknown; response: unknown }> };
    rec('then', () => typeof r.then);
    rec('withResponse', () => typeof r.withResponse);
    rec('frozen promise', () => Object.isFrozen(r));
    rec('promise instanceof', () => [r instanceof Promise, r instanceof APIPromiseLike]);
    if (typeof r.withResponse === 'function') await recAsync('withResponse()', async () => (await r.withResponse!()).response);
    v = (await (result as Promise<unknown>)) as Record<PropertyKey, unknown>;
    if (typeof r.withResponse === 'function') await recAsync('withResponse data is the value', async () => (await r.withResponse!()).data === v);
  }
  rec('integrity', () => [Object.isFrozen(v), Object.isSealed(v), Object.isExtensible(v)]);
  rec('keys', () => Object.keys(v));
  rec('json', () => JSON.stringify(v));
  rec('instanceof', () => [v instanceof PrivateStream, v instanceof PrivateThing, v instanceof ReadableStream, Object.getPrototypeOf(v) === null]);
  rec('n', () => v.n);
  rec('answer', () => v.answer);
  rec('greet', () => (v.greet as () => unknown)());
  rec('secret', () => (v.secret as () => unknown)());
  rec('secret unbound', () => (v.secret as () => unknown).call(v));
  rec('on chains', () => (v.on as (e: string) => unknown)('text') === v);
  rec('shape before', () => shapeOf(v, true));
  if (v instanceof ReadableStream) {
    await recAsync('read', async () => {
      const reader = (v as unknown as ReadableStream<unknown>).getReader();
      const out: unknown[] = [];
      for (let s = await reader.read(); !s.done; s = await reader.read()) out.push(s.value);
      return out;
    });
  } else if (typeof v[Symbol.asyncIterator] === 'function') {
    await recAsync('iterate', async () => {
      const it = (v[Symbol.asyncIterator] as () => AsyncIterator<unknown>).call(v);
      const out: unknown[] = [];
      for (let s = await it.next(); !s.done; s = await it.next()) {
        out.push(s.value);
        if (spec.breakAt !== null && out.length > spec.breakAt) {
          out.push(['return', summary(await it.return?.())]);
          break;
        }
      }
      return out;
    });
  }
  if (typeof v.finalMessage === 'function') await recAsync('finalMessage', () => (v.finalMessage as () => Promise<unknown>)());
  if (typeof v.finalChatCompletion === 'function') await recAsync('finalChatCompletion', () => (v.finalChatCompletion as () => Promise<unknown>)());
  rec('shape after', () => shapeOf(v));
  rec('same iterator method', () => v[Symbol.asyncIterator] === v[Symbol.asyncIterator]);
  return log;
}

/** Whether a spec's stream can be followed in place (else it must come back unobserved). */
function observable(spec: Spec): boolean {
  switch (spec.iterable) {
    case 'none':
    case 'ownNonConfigurable':
    case 'accessor':
      return false;
    case 'own':
    case 'ownNonWritable':
      return spec.integrity === 'none' || spec.integrity === 'preventExtensions';
    case 'proto':
      return spec.integrity === 'none';
  }
}

describe('prompt.call returns results observationally equivalent to the function\'s own', () => {
  it('should hold for generated results (frozen, sealed, non-extensible, accessors, #private, thenables, APIPromise, ReadableStream)', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        exporter.reset();
        faults.length = 0;
        const direct = await observe(make(spec), spec);
        let made: unknown;
        const returned = prompt.call(() => (made = make(spec)), VARS);
        // Identity: the very object (or promise, or thenable) the function returned.
        expect(returned).toBe(made);
        const through = await observe(returned, spec);
        expect(through).toEqual(direct);
        await new Promise((r) => setImmediate(r));
        expect(faults).toEqual([]);
        // Every call ended exactly once, and says whether its stream was followed.
        const spans = exporter.getFinishedSpans();
        expect(spans).toHaveLength(1);
        const stream = !spec.readable && spec.iterable !== 'none';
        expect(spans[0]!.attributes['promptpin.stream.observed']).toBe(stream && !observable(spec) ? false : undefined);
        if (stream && observable(spec) && spec.breakAt === null && spec.texts.length > 0) {
          expect(spans[0]!.attributes['gen_ai.usage.output_tokens']).toBe(spec.texts.length);
        }
      }),
      { seed: 0x9e37_79b9, numRuns: 300 },
    );
  });

  it('should return a frozen stream as is and end its span at once, unobserved', async () => {
    exporter.reset();
    const stream = Object.freeze({
      async *[Symbol.asyncIterator]() {
        yield* chunksOf(['a', 'b']);
      },
    });
    const out = await prompt.call(async () => stream, VARS);
    expect(out).toBe(stream);
    await new Promise((r) => setImmediate(r));
    expect(exporter.getFinishedSpans()[0]!.attributes['promptpin.stream.observed']).toBe(false);
    const seen: unknown[] = [];
    for await (const c of out) seen.push(c);
    expect(seen).toHaveLength(3);
  });

  it('should keep a method added with Object.defineProperty (non-configurable, non-writable) callable on a followed stream', async () => {
    exporter.reset();
    const stream = new PrivateStream(chunksOf(['a']));
    Object.defineProperty(stream, 'abort', { value: () => 'aborted' });
    const out = await prompt.call(async () => stream, VARS);
    expect(out).toBe(stream);
    expect((out as unknown as { abort(): string }).abort()).toBe('aborted');
    for await (const _ of out) {
      /* drain */
    }
    expect(exporter.getFinishedSpans()[0]!.attributes['gen_ai.usage.output_tokens']).toBe(1);
    // Put back exactly as it was.
    expect(Reflect.ownKeys(out)).toEqual(Reflect.ownKeys(new PrivateStream([])).concat('abort'));
  });

  it('should follow a stream returned by two calls only once (the second comes back unobserved)', async () => {
    exporter.reset();
    const stream = new PrivateStream(chunksOf(['a']));
    const first = await prompt.call(async () => stream, VARS);
    const second = await prompt.call(async () => stream, VARS);
    expect(second).toBe(first);
    for await (const _ of first) {
      /* drain */
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.attributes['promptpin.stream.observed'])).toEqual([false, undefined]);
    expect(Object.getOwnPropertySymbols(stream)).toEqual([]);
  });

  it('should return the real OpenAI APIPromise itself, and follow a frozen OpenAI Stream unobserved', async () => {
    exporter.reset();
    const fetchStub = (async (_url: unknown, init?: RequestInit) => {
      const streaming = typeof init?.body === 'string' && init.body.includes('"stream":true');
      if (!streaming) {
        return new Response(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 1 } }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const text = chunksOf(['x', 'y']).map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n';
      return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof fetch;
    const openai = new OpenAI({ apiKey: 'x', maxRetries: 0, fetch: fetchStub });
    let made: unknown;
    const p = prompt.call(() => (made = openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] })), VARS);
    expect(p).toBe(made);
    const { data, response } = await p.withResponse();
    expect(response.status).toBe(200);
    expect(data.id).toBe('chatcmpl-1');
    const frozen = await prompt.call(async () => Object.freeze(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [], stream: true })), VARS);
    const seen: unknown[] = [];
    for await (const c of frozen) seen.push(c);
    expect(seen).toHaveLength(3);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans[1]!.attributes['promptpin.stream.observed']).toBe(false);
  });
});
