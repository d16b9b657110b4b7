/**
 * OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental switches promptpin to the latest GenAI
 * convention names (open-telemetry/semantic-conventions-genai: client-inference.md, migration.md);
 * the default keeps today's names. Real BasicTracerProvider and MeterProvider (InMemoryMetricExporter).
 */
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_GEN_AI_CLIENT_INFERENCE_DURATION, METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS, METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS, METRIC_GEN_AI_CLIENT_OPERATION_DURATION, METRIC_GEN_AI_CLIENT_TOKEN_USAGE } from 'promptpin/semconv';
import { optsIntoLatestGenAi, type PromptClient } from 'promptpin';
import { createClient, memoryProvider } from '../telemetry/fixtures.js';

const ENV = 'OTEL_SEMCONV_STABILITY_OPT_IN';
const saved = process.env[ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[ENV];
  else process.env[ENV] = saved;
});

const ANTHROPIC = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'approve' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 100, output_tokens: 9, cache_read_input_tokens: 50, cache_creation_input_tokens: 10 },
};

interface Run {
  readonly metrics: Map<string, { type: string; points: DataPoint<unknown>[] }>;
  readonly span: Record<string, unknown>;
}

/** One successful Anthropic call and one failed call; the exported metrics and the first span. */
async function run(make: (opts: { tracerProvider: unknown; meterProvider: MeterProvider }) => Promise<PromptClient>): Promise<Run> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // NB: a long interval: only forceFlush exports, so nothing depends on a timer.
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] });
  const { provider, spans } = memoryProvider();
  const client = await make({ tracerProvider: provider, meterProvider });
  const prompt = client.get('billing/refund-agent', 'u-1');
  await prompt.call(async () => ANTHROPIC, { vars: { order_id: 'A-1' } });
  await expect(prompt.call(() => Promise.reject(new RangeError('429')), { vars: { order_id: 'A-2' } })).rejects.toThrow('429');
  await meterProvider.forceFlush();
  const metrics = new Map<string, { type: string; points: DataPoint<unknown>[] }>();
  const last = exporter.getMetrics().at(-1)!;
  for (const scope of last.scopeMetrics) for (const m of scope.metrics) metrics.set(m.descriptor.name, { type: DataPointType[m.dataPointType], points: m.dataPoints as DataPoint<unknown>[] });
  await client.close();
  await meterProvider.shutdown();
  return { metrics, span: spans()[0]!.attributes };
}

const BASE = {
  'prompt.name': 'billing/refund-agent',
  'prompt.version': 1,
  'prompt.slice': 'stable',
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.request.model': 'claude-sonnet-4-5',
};
const LATEST_NAMES = [
  METRIC_GEN_AI_CLIENT_INFERENCE_DURATION,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS,
];

describe('GenAI conventions switch (OTEL_SEMCONV_STABILITY_OPT_IN)', () => {
  it('should emit the default names when the variable is unset', async () => {
    delete process.env[ENV];
    const { metrics, span } = await run((o) => createClient(o as never));
    expect(metrics.has(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toBe(true);
    expect(metrics.get(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)!.points).toHaveLength(2);
    for (const name of LATEST_NAMES) expect(metrics.has(name), name).toBe(false);
    const tokens = metrics.get(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)!.points;
    expect(tokens.map((p) => [p.attributes['gen_ai.token.type'], (p.value as { sum: number }).sum]).sort()).toEqual([
      ['input', 160],
      ['output', 9],
    ]);
    expect(span['gen_ai.usage.cache_creation.input_tokens']).toBe(10);
    expect(span['gen_ai.usage.cache_write.input_tokens']).toBeUndefined();
  });

  it('should emit only the latest names with gen_ai_latest_experimental in the list', async () => {
    process.env[ENV] = ' http , GEN_AI_LATEST_EXPERIMENTAL,database';
    const { metrics, span } = await run((o) => createClient(o as never));
    expect(metrics.has(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toBe(false);
    expect(metrics.has(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toBe(false);
    const usage = { ...BASE, 'gen_ai.token.modality': 'unknown' };
    // Counters: what was spent; the failed call counts 0 (the conventions ask for a point per call).
    expect(metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS)).toEqual({ type: 'SUM', points: [expect.objectContaining({ attributes: usage, value: 160 })] });
    expect(metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS)!.points).toEqual([expect.objectContaining({ attributes: usage, value: 9 })]);
    expect(metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS)!.points).toEqual([expect.objectContaining({ value: 50 })]);
    expect(metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS)!.points).toEqual([expect.objectContaining({ value: 10 })]);
    // Histograms: per call, for percentiles, without modality.
    const perCall = metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS)!;
    expect(perCall.type).toBe('HISTOGRAM');
    expect(perCall.points).toEqual([expect.objectContaining({ attributes: BASE, value: expect.objectContaining({ count: 1, sum: 160 }) })]);
    expect(metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS)!.points[0]!.value).toMatchObject({ count: 1, sum: 9 });
    const duration = metrics.get(METRIC_GEN_AI_CLIENT_INFERENCE_DURATION)!.points;
    expect(duration.map((p) => p.attributes['error.type'] ?? null).sort()).toEqual(['RangeError', null]);
    expect(span['gen_ai.usage.cache_write.input_tokens']).toBe(10);
    expect(span['gen_ai.usage.cache_creation.input_tokens']).toBeUndefined();
    // Unchanged by the switch: usage attributes, prompt attributes, provider name.
    expect(span).toMatchObject({ 'gen_ai.usage.input_tokens': 160, 'gen_ai.usage.output_tokens': 9, 'gen_ai.provider.name': 'anthropic', 'prompt.version': 1 });
  });

  it('should read the variable once, at create: a later change does not switch a live client', async () => {
    delete process.env[ENV];
    const { metrics } = await run(async (o) => {
      const client = await createClient(o as never);
      process.env[ENV] = 'gen_ai_latest_experimental';
      return client;
    });
    expect(metrics.has(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toBe(true);
    expect(metrics.has(METRIC_GEN_AI_CLIENT_INFERENCE_DURATION)).toBe(false);
  });

  it('should let the semconv option override the variable, both ways', async () => {
    process.env[ENV] = 'gen_ai_latest_experimental';
    const forcedDefault = await run((o) => createClient({ ...(o as object), semconv: 'default' }));
    expect(forcedDefault.metrics.has(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toBe(true);
    delete process.env[ENV];
    const forcedLatest = await run((o) => createClient({ ...(o as object), semconv: 'latest' }));
    expect(forcedLatest.metrics.has(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS)).toBe(true);
    await expect(createClient({ semconv: 'newest' as never })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('should parse the list as OpenTelemetry instrumentations do', () => {
    expect(['gen_ai_latest_experimental', 'http,gen_ai_latest_experimental', ' Gen_AI_Latest_Experimental '].map(optsIntoLatestGenAi)).toEqual([true, true, true]);
    expect(['', 'gen_ai', 'gen_ai_latest_experimental/dup', 'gen_ai_latest_experimentalx', 'http/dup', undefined].map(optsIntoLatestGenAi)).toEqual([false, false, false, false, false, false]);
    expect(optsIntoLatestGenAi(`${','.repeat(50_000)}gen_ai_latest_experimental`)).toBe(true);
  });
});
