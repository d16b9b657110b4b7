/**
 * promptpin next to the prompt and flag libraries people would otherwise use, in ONE process,
 * offline, background work off, over 10,000 distinct unit ids (cycled):
 *
 * - floors: a Map lookup; `get` + `render` + the user's function inside a no-op span
 * - promptpin: `get` of a prompt in a guarded 10% rollout; `get` + `render`; `get` + `call`
 * - Langfuse (`@langfuse/client` v5): cached `prompt.get` + `compile` (awaited). The cache is filled
 *   the way the SDK fills it, by one fetch from a node:http server on 127.0.0.1; the TTL is set
 *   far beyond the run, so every measured `get` is a fresh cache hit and no refresh starts.
 * - GrowthBook (`GrowthBookClient`, multi-user server SDK): `getFeatureValue` of a feature with a
 *   10% experiment rule, features given inline (`initSync`), no streaming, no fetch.
 * - Unleash (`unleash-client`): `getVariant` of a toggle with a 90/10 variant split, bootstrapped,
 *   `refreshInterval: 0` (no fetch at all), `disableMetrics`.
 * - LaunchDarkly (`@launchdarkly/node-server-sdk`): `variation` of a 90/10 percentage rollout served by
 *   `TestData` (no network), events and diagnostics off (awaited).
 * - OpenFeature (`@openfeature/server-sdk`): `getStringValue` from the `InMemoryProvider` with a
 *   context evaluator that splits 90/10 on the targeting key (awaited).
 *
 *   npm run bench:setup   # once: installs the peers into bench/node_modules (never the library's)
 *   npm run bench -- peers
 *
 * Prints ratios to the floor and to promptpin; the figures in bench/RESULTS.md come from here.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { PromptClient, type RenderedPrompt } from 'promptpin';

const peer = async <T>(name: string): Promise<T> => {
  try {
    return (await import(name)) as T;
  } catch (err) {
    console.error(`bench/peers: cannot load ${name} (${err instanceof Error ? err.message : String(err)}). Run \`npm run bench:setup\` first.`);
    process.exit(2);
  }
};
const { LangfuseClient } = await peer<any>('@langfuse/client');
const { GrowthBookClient } = await peer<any>('@growthbook/growthbook');
const { Unleash } = await peer<any>('unleash-client');
const ld = await peer<any>('@launchdarkly/node-server-sdk');
const { TestData } = ld.integrations;
const { OpenFeature, InMemoryProvider } = await peer<any>('@openfeature/server-sdk');

const UNITS = 10_000;
const ids = Array.from({ length: UNITS }, (_, n) => `user-${(n * 7919) % 1_000_003}`);
const varsPool = Array.from({ length: UNITS }, (_, n) => ({ customer_name: `Ann ${n}`, plan: n % 2 ? 'pro' : 'free', question: `Question ${n}?` }));
let i = 0;
const next = (): number => (i = i + 1 === UNITS ? 0 : i + 1);

// promptpin: the example folder's support-agent is in a 10% rollout with three guards. The clock
// sits inside the rollout's 24 h window, so the guards are live and count every call.
trace.disable();
const WITHIN_WINDOW = Date.parse('2026-11-20T16:00:00Z');
const client = await PromptClient.create({
  source: new URL('../examples/prompts', import.meta.url).pathname,
  watch: false,
  now: () => WITHIN_WINDOW,
});
const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 50, completion_tokens: 9 },
};
const fn = (_r: RenderedPrompt): typeof completion => completion;
const noopTracer = trace.getTracer('bench');
const map = new Map([['support-agent', client.get('support-agent')]]);

// Langfuse: one real fetch fills the cache, then every get is served from it.
const server = createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      id: 'p1',
      name: 'support-agent',
      version: 2,
      type: 'chat',
      prompt: [
        { role: 'system', content: 'When the customer needs a booking, use the booking tool first.\nYou are the support agent for Acme. Be direct and concise.' },
        { role: 'user', content: 'Customer {{customer_name}} on the {{plan}} plan asks: {{question}}' },
      ],
      config: { model: 'gpt-4o-mini', temperature: 0.2 },
      labels: ['production'],
      tags: [],
      commitMessage: null,
      resolutionGraph: null,
      createdAt: '2026-11-20T15:00:00Z',
      updatedAt: '2026-11-20T15:00:00Z',
      createdBy: 'bench',
      projectId: 'bench',
      isActive: null,
    }),
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
let langfuseFetches = 0;
server.on('request', () => langfuseFetches++);
const langfuse = new LangfuseClient({ publicKey: 'pk-lf-bench', secretKey: 'sk-lf-bench', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
const LF_TTL = 10 * 365 * 24 * 3600;
await langfuse.prompt.get('support-agent', { type: 'chat', cacheTtlSeconds: LF_TTL });

// GrowthBook: a feature whose value comes from a 10% experiment.
const growthbook = new GrowthBookClient({ enableDevMode: false });
growthbook.initSync({
  payload: {
    features: {
      'support-agent-version': {
        defaultValue: 1,
        rules: [{ key: 'support-agent@2', variations: [1, 2], weights: [0.9, 0.1], coverage: 1, hashAttribute: 'id' }],
      },
    },
  },
});

// Unleash: bootstrapped toggle with a 90/10 variant split; no fetch (refreshInterval 0), no metrics.
const unleash = new Unleash({
  appName: 'bench',
  url: 'http://127.0.0.1:9/api/',
  refreshInterval: 0,
  disableMetrics: true,
  skipInstanceCountWarning: true,
  bootstrap: {
    data: [
      {
        name: 'support-agent-version',
        enabled: true,
        strategies: [{ name: 'default', parameters: {}, constraints: [] }],
        variants: [
          { name: 'v1', weight: 900, stickiness: 'userId', weightType: 'fix' },
          { name: 'v2', weight: 100, stickiness: 'userId', weightType: 'fix' },
        ],
      },
    ],
  },
});
unleash.on('error', () => {});
await new Promise<void>((resolve) => (unleash.isSynchronized?.() ? resolve() : unleash.once('ready', () => resolve())));

// LaunchDarkly: TestData with a 90/10 percentage rollout on the fallthrough.
const td = new TestData();
td.usePreconfiguredFlag({
  key: 'support-agent-version',
  version: 1,
  on: true,
  variations: [1, 2],
  fallthrough: { rollout: { variations: [{ variation: 0, weight: 90_000 }, { variation: 1, weight: 10_000 }] } },
  offVariation: 0,
  targets: [],
  rules: [],
  prerequisites: [],
  salt: 'support-agent@2',
});
const launchdarkly = ld.init('sdk-bench', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true, logger: ld.basicLogger({ level: 'none' }) });
await launchdarkly.waitForInitialization({ timeout: 10 });

// OpenFeature: in-memory provider; the context evaluator picks the variant from the targeting key.
await OpenFeature.setProviderAndWait(
  new InMemoryProvider({
    'support-agent-version': {
      variants: { v1: '1', v2: '2' },
      defaultVariant: 'v1',
      disabled: false,
      contextEvaluator: (ctx: { targetingKey?: string }) => ((ctx.targetingKey?.charCodeAt(ctx.targetingKey.length - 1) ?? 0) % 10 === 0 ? 'v2' : 'v1'),
    },
  }),
);
const openfeature = OpenFeature.getClient();

// Sanity: every library answers, and promptpin's split is live.
const check = {
  promptpin: client.get('support-agent', ids[0]!).version,
  langfuse: (await langfuse.prompt.get('support-agent', { type: 'chat', cacheTtlSeconds: LF_TTL })).compile(varsPool[0]).length,
  growthbook: growthbook.getFeatureValue('support-agent-version', 1, { attributes: { id: ids[0] } }),
  unleash: unleash.getVariant('support-agent-version', { userId: ids[0] }).name,
  launchdarkly: await launchdarkly.variation('support-agent-version', { kind: 'user', key: ids[0] }, 1),
  openfeature: await openfeature.getStringValue('support-agent-version', '1', { targetingKey: ids[0] }),
};
const share = (f: (id: string) => boolean): number => ids.filter(f).length / UNITS;
console.log('sanity:', JSON.stringify(check));
console.log(
  `candidate share over ${UNITS} ids: promptpin ${share((id) => client.get('support-agent', id).slice === 'candidate')}, ` +
    `growthbook ${share((id) => growthbook.getFeatureValue('support-agent-version', 1, { attributes: { id } }) === 2)}, ` +
    `unleash ${share((id) => unleash.getVariant('support-agent-version', { userId: id }).name === 'v2')}`,
);

const names: Record<string, string> = {};
const label = (key: string, text: string): string => ((names[key] = text), text);

summary(() => {
  bench(label('map', 'floor: Map.get(name)'), () => {
    next();
    do_not_optimize(map.get('support-agent'));
  }).baseline(true);
  bench(label('floorCall', 'floor: get + render + fn() in a no-op span'), () => {
    const k = next();
    const p = client.get('support-agent', ids[k]!);
    do_not_optimize(
      noopTracer.startActiveSpan('chat gpt-4o-mini', (span) => {
        const r = fn(p.render(varsPool[k]!));
        span.end();
        return r;
      }),
    );
  });
  bench(label('get', 'promptpin get (guarded 10% rollout)'), () => {
    do_not_optimize(client.get('support-agent', ids[next()]!));
  });
  bench(label('getRender', 'promptpin get + render'), () => {
    const k = next();
    do_not_optimize(client.get('support-agent', ids[k]!).render(varsPool[k]!));
  });
  bench(label('call', 'promptpin get + call(fn) (no SDK, live guards)'), () => {
    const k = next();
    do_not_optimize(client.get('support-agent', ids[k]!).call(fn, { vars: varsPool[k]! }));
  });
  bench(label('langfuse', 'Langfuse cached getPrompt + compile (awaited)'), async () => {
    const k = next();
    const prompt = await langfuse.prompt.get('support-agent', { type: 'chat', cacheTtlSeconds: LF_TTL });
    do_not_optimize(prompt.compile(varsPool[k]!));
  });
  bench(label('growthbook', 'GrowthBook getFeatureValue (10% experiment)'), () => {
    do_not_optimize(growthbook.getFeatureValue('support-agent-version', 1, { attributes: { id: ids[next()] } }));
  });
  bench(label('unleash', 'Unleash getVariant (90/10)'), () => {
    do_not_optimize(unleash.getVariant('support-agent-version', { userId: ids[next()] }));
  });
  bench(label('launchdarkly', 'LaunchDarkly variation, TestData 90/10 (awaited)'), async () => {
    do_not_optimize(await launchdarkly.variation('support-agent-version', { kind: 'user', key: ids[next()] }, 1));
  });
  bench(label('openfeature', 'OpenFeature InMemoryProvider getStringValue (awaited)'), async () => {
    do_not_optimize(await openfeature.getStringValue('support-agent-version', '1', { targetingKey: ids[next()] }));
  });
});

const results = await run();
const p50 = new Map<string, number>();
for (const trial of results.benchmarks) {
  const s = trial.runs[0]?.stats;
  if (s) p50.set(trial.alias, s.p50);
}
const t = (key: string): number => p50.get(names[key]!) ?? Number.NaN;
const ns = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} µs` : `${x.toFixed(1)} ns`);
const peers = ['growthbook', 'unleash', 'launchdarkly', 'openfeature', 'langfuse'];
console.log('\nMedian time per op; ratios to the Map floor and to promptpin get / get+render:');
console.log('| benchmark | median | × Map floor | × promptpin get | × promptpin get+render |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const key of ['map', 'floorCall', 'get', 'getRender', 'call', ...peers]) {
  console.log(`| ${names[key]} | ${ns(t(key))} | ${(t(key) / t('map')).toFixed(1)} | ${(t(key) / t('get')).toFixed(1)} | ${(t(key) / t('getRender')).toFixed(1)} |`);
}
const fastest = peers.filter((p) => p !== 'langfuse').reduce((a, b) => (t(a) <= t(b) ? a : b));
console.log(`\nfastest flag peer: ${names[fastest]}: ${(t(fastest) / t('get')).toFixed(1)}x promptpin get   (must be >= 10x)`);
console.log(`Langfuse getPrompt+compile / promptpin get+render: ${(t('langfuse') / t('getRender')).toFixed(1)}x   (must be >= 10x)`);
console.log(`call / (get + render + fn + no-op span): ${(t('call') / t('floorCall')).toFixed(2)}x   (target <= 2x)`);
const guard = client.status().guards[0];
console.log(`promptpin guard during the run: ${guard?.state}, samples ${JSON.stringify(guard?.samples)}; Langfuse fetches: ${langfuseFetches} (1 = cache only)`);

await client.close();
unleash.destroy();
launchdarkly.close();
await OpenFeature.close();
server.close();
