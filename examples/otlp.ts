/**
 * Spans stamped with prompt.version, exported over real OTLP/HTTP (JSON) to a receiver on
 * 127.0.0.1 that this example starts itself, then grouped by prompt.version the way a trace
 * backend query would ("did anything ship Friday?").
 *
 *   npx tsx examples/otlp.ts
 *
 * No network beyond loopback, no API keys: the LLM call is simulated, everything else is real
 * (the OpenTelemetry SDK, the OTLP exporter, the HTTP transport, the AsyncLocalStorage context).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PromptClient, PromptSpanProcessor } from 'promptpin';

// --- 1. An OTLP/HTTP receiver: what a collector or a tracing backend would run. -------------------

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpPayload {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const received: OtlpSpan[] = [];
const contentTypes = new Set<string>();
let requests = 0;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

const server = createServer((req, res) => {
  void (async () => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    requests++;
    contentTypes.add(String(req.headers['content-type']));
    const payload = JSON.parse((await readBody(req)).toString('utf8')) as OtlpPayload;
    for (const rs of payload.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) received.push(...(ss.spans ?? []));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  })();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;

// --- 2. The app's OpenTelemetry setup: the SDK, an OTLP exporter, promptpin's span processor. -------

const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const provider = new BasicTracerProvider({
  spanProcessors: [
    new PromptSpanProcessor(), // stamps prompt.* on every span started inside prompt.call
    new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint })),
  ],
});
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('support-app');

// --- 3. The app: promptpin serves support-agent v1 (stable) and v2 (10% rollout) per user. --------

const client = await PromptClient.create({ source: path.join(import.meta.dirname, 'prompts'), environment: 'production', watch: false });

/** Stands in for the LLM SDK: an HTTP client span (as auto-instrumentation makes) and a result. */
async function fakeLLM(version: number, user: number): Promise<object> {
  return tracer.startActiveSpan('POST /v1/chat/completions', async (http) => {
    await new Promise((r) => setTimeout(r, 1));
    http.end();
    const toolCall = user % (version === 2 ? 4 : 5) === 0;
    return {
      id: `chatcmpl-${user}`,
      object: 'chat.completion',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: toolCall
            ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${user}`, type: 'function', function: { name: 'book', arguments: '{}' } }] }
            : { role: 'assistant', content: '…' },
          finish_reason: toolCall ? 'tool_calls' : 'stop',
        },
      ],
      // v2 asks for concise answers: shorter outputs.
      usage: { prompt_tokens: 180 + (user % 7), completion_tokens: (version === 2 ? 90 : 120) + (user % 11) },
    };
  });
}

const USERS = 400;
for (let user = 0; user < USERS; user++) {
  const prompt = client.get('support-agent', `user-${user}`);
  await tracer.startActiveSpan('POST /support/ask', async (request) => {
    await prompt.call(
      async () => {
        await tracer.startActiveSpan('tool: crm.lookup', async (tool) => {
          await Promise.resolve();
          tool.end();
        });
        return fakeLLM(prompt.version, user);
      },
      { vars: { customer_name: `user-${user}`, plan: 'pro', question: 'Can I move my booking?' } },
    );
    request.end();
  });
}
// QA user pinned to the candidate by an override in promptpin.yaml.
await client.get('support-agent', 'qa-user-1').call(() => fakeLLM(2, 1), { vars: { customer_name: 'QA', plan: 'enterprise', question: 'test' } });

await provider.forceFlush();
await provider.shutdown();
await client.close();
contextManager.disable();
await new Promise<void>((resolve) => server.close(() => resolve()));

// --- 4. The backend query: GROUP BY prompt.version. ---------------------------------------------------

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.doubleValue ?? v.boolValue;
}

console.log(`OTLP/HTTP receiver ${endpoint}: ${received.length} spans in ${requests} request(s), content-type ${[...contentTypes].join(', ')}`);
console.log('');
console.log('SELECT prompt.version, … FROM spans WHERE prompt.name = "support-agent" GROUP BY prompt.version');

interface Row {
  slices: Set<string>;
  llm: number;
  children: Map<string, number>;
  outputTokens: number;
  toolCalls: number;
  traces: Set<string>;
}
const rows = new Map<number, Row>();
for (const span of received) {
  if (attr(span, 'prompt.name') !== 'support-agent') continue;
  const version = Number(attr(span, 'prompt.version'));
  let row = rows.get(version);
  if (!row) rows.set(version, (row = { slices: new Set(), llm: 0, children: new Map(), outputTokens: 0, toolCalls: 0, traces: new Set() }));
  row.traces.add(span.traceId);
  row.slices.add(String(attr(span, 'prompt.slice')));
  if (attr(span, 'gen_ai.operation.name') !== undefined) {
    row.llm++;
    row.outputTokens += Number(attr(span, 'gen_ai.usage.output_tokens') ?? 0);
    if (attr(span, 'promptpin.outcome.tool_call') === true) row.toolCalls++;
  } else {
    row.children.set(span.name, (row.children.get(span.name) ?? 0) + 1);
  }
}

const header = ['prompt.version', 'prompt.slice', 'traces', 'llm spans', 'child spans stamped', 'avg output tokens', 'tool-call rate'];
const table = [...rows]
  .sort((a, b) => a[0] - b[0])
  .map(([version, r]) => [
    String(version),
    [...r.slices].sort().join('+'),
    String(r.traces.size),
    String(r.llm),
    [...r.children].map(([name, n]) => `${n} ${name}`).join(', '),
    (r.outputTokens / r.llm).toFixed(1),
    `${((100 * r.toolCalls) / r.llm).toFixed(1)}%`,
  ]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));

// One trace, as a backend's trace view shows it.
const candidateCall = received.find((s) => attr(s, 'prompt.slice') === 'candidate' && attr(s, 'gen_ai.operation.name') !== undefined)!;
const traceSpans = received.filter((s) => s.traceId === candidateCall.traceId);
const printTree = (parent: string | undefined, depth: number): void => {
  for (const s of traceSpans.filter((x) => (x.parentSpanId || undefined) === parent)) {
    const stamp = attr(s, 'prompt.version') === undefined ? '(no prompt.*)' : `prompt.version=${attr(s, 'prompt.version')} prompt.slice=${attr(s, 'prompt.slice')}`;
    console.log(`${'  '.repeat(depth + 1)}${s.name.padEnd(32 - 2 * depth)} ${stamp}`);
    printTree(s.spanId, depth + 1);
  }
};
console.log('');
console.log(`Trace ${candidateCall.traceId} (a user in the candidate slice):`);
printTree(undefined, 0);

const unstamped = received.filter((s) => s.name === 'POST /support/ask' && attr(s, 'prompt.version') === undefined).length;
console.log('');
console.log(`Request spans started outside prompt.call (not stamped): ${unstamped}`);
const stampedChildren = received.filter((s) => s.name !== 'POST /support/ask' && attr(s, 'gen_ai.operation.name') === undefined);
if (stampedChildren.some((s) => attr(s, 'prompt.version') === undefined) || rows.size !== 2) {
  console.error('Unexpected: some spans inside calls were not stamped, or versions are missing.');
  process.exit(1);
}
