/**
 * `prompt.call` overhead against floors measured in the same run.
 *
 *   npx tsx bench/call.bench.ts
 *
 * 1. No OpenTelemetry SDK registered (the global ProxyTracer is a no-op):
 *    floor = `client.get` + `render` + `fn(rendered)`; measured = `client.get` + `prompt.call(fn, { vars })`.
 *    (Also shown: the literal "get + plain function call" floor, without the render `call` performs.)
 *    Target ≤ 2x.
 * 2. A BasicTracerProvider with a no-op exporter (SimpleSpanProcessor), passed as `tracerProvider`:
 *    floor = `render` + `tracer.startActiveSpan(name, span => { fn(rendered); span.end() })` with the
 *    same provider; measured = `prompt.call(fn, { vars })`. Target ≤ 1.5x. Run without and with the
 *    AsyncLocalStorage context manager (what a Node app registers). Floor 2 adds, by hand, the
 *    attributes promptpin records (12 at start, 5 from the result): the SDK's own cost per
 *    attribute is most of the gap to the bare span, so floor 2 shows promptpin's own share.
 *
 * `fn` returns a prebuilt Chat Completions result, synchronously, so only promptpin's own work
 * (span attributes, result reading, outcome, metrics, guards) is measured. Speed is never asserted.
 */
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { PromptClient, type RenderedPrompt } from 'promptpin';

const SOURCE = new URL('../examples/prompts', import.meta.url).pathname;
const PROMPT = 'billing/refund-agent'; // stable release, no rollout: telemetry alone
const ROLLOUT_PROMPT = 'support-agent'; // in a rollout with guards: telemetry + guard counting

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'approve' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 50, completion_tokens: 9 },
};
const fn = (_rendered: RenderedPrompt): typeof completion => completion;

const units = Array.from({ length: 1024 }, (_, n) => `user-${n * 7919}`);
const refundVars = Array.from({ length: 1024 }, (_, n) => ({ order_id: `A-${n}`, amount: n + 0.5 }));
const supportVars = Array.from({ length: 1024 }, (_, n) => ({ customer_name: `Ann ${n}`, plan: n % 2 ? 'pro' : 'free', question: `Question ${n}?` }));
let i = 0;

const noopExporter: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

const names: Record<string, string> = {};
const label = (key: string, text: string): string => ((names[key] = text), text);

// 1. No SDK registered.
trace.disable();
// The clock sits inside the example rollout's 24 h window: its guards are live and count every call.
const WITHIN_WINDOW = Date.parse('2026-11-20T16:00:00Z');
const plain = await PromptClient.create({ source: SOURCE, watch: false, now: () => WITHIN_WINDOW });
const noopTracer = trace.getTracer('bench');
summary(() => {
  bench(label('noSdkGetFn', 'no SDK · floor: get + fn()'), () => {
    const k = i++ & 1023;
    const p = plain.get(PROMPT, units[k]);
    do_not_optimize(p);
    do_not_optimize(fn(''));
  });
  bench(label('noSdkFloor', 'no SDK · floor: get + render + fn(rendered)'), () => {
    const k = i++ & 1023;
    const p = plain.get(PROMPT, units[k]);
    do_not_optimize(fn(p.render(refundVars[k]!)));
  }).baseline(true);
  bench(label('noSdkCall', 'no SDK · get + prompt.call(fn, { vars })'), () => {
    const k = i++ & 1023;
    do_not_optimize(plain.get(PROMPT, units[k]).call(fn, { vars: refundVars[k]! }));
  });
  bench(label('noSdkFloorSpan', 'no SDK · floor: get + render + fn in a no-op span (rollout prompt)'), () => {
    const k = i++ & 1023;
    const p = plain.get(ROLLOUT_PROMPT, units[k]);
    do_not_optimize(
      noopTracer.startActiveSpan('chat gpt-4o-mini', (span) => {
        const r = fn(p.render(supportVars[k]!));
        span.end();
        return r;
      }),
    );
  });
  bench(label('noSdkCallRollout', 'no SDK · get + prompt.call, prompt in a guarded rollout'), () => {
    const k = i++ & 1023;
    do_not_optimize(plain.get(ROLLOUT_PROMPT, units[k]).call(fn, { vars: supportVars[k]! }));
  });
});

// 2. A real SDK with a no-op exporter.
const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(noopExporter)] });
const tracer: Tracer = provider.getTracer('bench');
const traced = await PromptClient.create({ source: SOURCE, watch: false, tracerProvider: provider });
const refund = traced.get(PROMPT);
// What promptpin stamps at start on this prompt's span, written out by hand for floor 2.
const startAttributes = {
  'prompt.name': refund.name,
  'prompt.version': refund.version,
  'prompt.hash': refund.hash,
  'prompt.slice': refund.slice,
  'prompt.environment': refund.environment,
  'gen_ai.prompt.name': refund.name,
  'gen_ai.prompt.version': String(refund.version),
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': refund.model,
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.request.temperature': 0,
  'gen_ai.request.max_tokens': 300,
};
const support = traced.get(ROLLOUT_PROMPT, 'qa-user-1');

function sdkGroup(tag: string): void {
  summary(() => {
    bench(label(`${tag}Floor`, `SDK${tag === 'als' ? '+ALS' : ''} · floor: render + startActiveSpan + fn + end`), () => {
      const k = i++ & 1023;
      const rendered = refund.render(refundVars[k]!);
      do_not_optimize(
        tracer.startActiveSpan('chat claude-sonnet-4-5', (span) => {
          const r = fn(rendered);
          span.end();
          return r;
        }),
      );
    }).baseline(true);
    bench(label(`${tag}FloorAttrs`, `SDK${tag === 'als' ? '+ALS' : ''} · floor 2: same + the same attributes by hand`), () => {
      const k = i++ & 1023;
      const rendered = refund.render(refundVars[k]!);
      do_not_optimize(
        tracer.startActiveSpan('chat claude-sonnet-4-5', { kind: SpanKind.CLIENT, attributes: startAttributes }, (span) => {
          const r = fn(rendered);
          span.setAttributes({
            'gen_ai.response.model': r.model,
            'gen_ai.response.id': r.id,
            'gen_ai.response.finish_reasons': [r.choices[0]!.finish_reason],
            'gen_ai.usage.input_tokens': r.usage.prompt_tokens,
            'gen_ai.usage.output_tokens': r.usage.completion_tokens,
          });
          span.end();
          return r;
        }),
      );
    });
    bench(label(`${tag}Call`, `SDK${tag === 'als' ? '+ALS' : ''} · prompt.call(fn, { vars })`), () => {
      do_not_optimize(refund.call(fn, { vars: refundVars[i++ & 1023]! }));
    });
    bench(label(`${tag}CallRollout`, `SDK${tag === 'als' ? '+ALS' : ''} · prompt.call, prompt in a guarded rollout`), () => {
      do_not_optimize(support.call(fn, { vars: supportVars[i++ & 1023]! }));
    });
  });
}
sdkGroup('sdk');
const results1 = await run();

const als = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(als);
sdkGroup('als');
const results2 = await run({ filter: /\+ALS/ });

const stats = new Map<string, { avg: number; p50: number }>();
for (const trial of [...results1.benchmarks, ...results2.benchmarks]) {
  const s = trial.runs[0]?.stats;
  if (s) stats.set(trial.alias, { avg: s.avg, p50: s.p50 });
}
// Median first: on a shared machine a few GC pauses or neighbours' bursts move the mean a lot.
const ratio = (a: string, b: string): string => {
  const x = stats.get(names[a]!);
  const y = stats.get(names[b]!);
  return x !== undefined && y !== undefined ? `${(x.p50 / y.p50).toFixed(2)}x median, ${(x.avg / y.avg).toFixed(2)}x mean` : 'n/a';
};

console.log('\nRatios (time per op):');
console.log(`  no SDK:   call / (get + render + fn)        = ${ratio('noSdkCall', 'noSdkFloor')}   (target ≤ 2x)`);
console.log(`  no SDK:   call / (get + fn), literal floor  = ${ratio('noSdkCall', 'noSdkGetFn')}   (call includes render; see above)`);
console.log(`  no SDK:   call in a guarded rollout / floor = ${ratio('noSdkCallRollout', 'noSdkFloor')}`);
console.log(`  no SDK:   call in a live guarded rollout / (get + render + fn + no-op span) = ${ratio('noSdkCallRollout', 'noSdkFloorSpan')}   (target ≤ 2x)`);
console.log(`  no SDK:   guard state after the run: ${plain.status().guards[0]?.state}, samples ${JSON.stringify(plain.status().guards[0]?.samples)}`);
console.log(`  SDK:      call / bare startActiveSpan+end   = ${ratio('sdkCall', 'sdkFloor')}   (target ≤ 1.5x)`);
console.log(`  SDK:      call / span with same attributes  = ${ratio('sdkCall', 'sdkFloorAttrs')}   (promptpin's own share)`);
console.log(`  SDK:      call in a guarded rollout / floor = ${ratio('sdkCallRollout', 'sdkFloor')}`);
console.log(`  SDK+ALS:  call / bare startActiveSpan+end   = ${ratio('alsCall', 'alsFloor')}   (target ≤ 1.5x)`);
console.log(`  SDK+ALS:  call / span with same attributes  = ${ratio('alsCall', 'alsFloorAttrs')}   (promptpin's own share)`);
console.log(`  SDK+ALS:  call in a guarded rollout / floor = ${ratio('alsCallRollout', 'alsFloor')}`);

als.disable();
await plain.close();
await traced.close();
await provider.shutdown();
