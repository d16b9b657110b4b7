/**
 * PromptSpanProcessor is typed without @opentelemetry/sdk-trace-base (an optional peer), by local
 * structural shapes. These assignments are checked by `tsc --noEmit` against the real SDK types:
 * if the SDK's Span or SpanProcessor drift from the shapes, the type-check fails.
 */
import { context } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { PromptSpanProcessor } from '../../src/index.js';

type StampableSpan = Parameters<PromptSpanProcessor['onStart']>[0];

describe('PromptSpanProcessor types', () => {
  it('should be an SDK SpanProcessor and take the SDK Span, with the types declared locally', async () => {
    const processor: SpanProcessor = new PromptSpanProcessor();
    const asShape = (s: Span): StampableSpan => s;
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [processor, new SimpleSpanProcessor(exporter)] });
    const span = provider.getTracer('t').startSpan('s', {}, context.active());
    span.end();
    expect(typeof asShape).toBe('function');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['s']);
    await provider.shutdown();
  });
});
