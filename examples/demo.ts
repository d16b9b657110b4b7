/**
 * The promptpin demo: `npm run demo`. No network, no keys.
 *
 * 1. Loads the prompts folder shipped in examples/prompts (copied to a temp dir so the demo can
 *    edit it), resolves `support-agent` for 20,000 users during its 10% rollout and prints the split.
 * 2. Calls a fake LLM through `prompt.call`, with spans printed to the console.
 * 3. Flips the release file (a rollback: one edit) and shows every client picking it up by reload.
 * 4. The Friday scenario: a new 10% rollout whose candidate refuses 0.4% → 1.3%, calls 31% fewer
 *    tools and answers 18% shorter, while latency and errors stay flat. The guard trips, this
 *    client serves stable from the next request, and a human writes the changelog line.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { addChangelogEntry, changelogDate, formatChangelogEntry, parseGuardShorthand, rollbackRelease, startRollout } from 'promptpin/authoring';
import { PromptClient, type ChatMessage, type GuardBreachEvent, type GuardSpec, type RenderedPrompt } from 'promptpin';

const USERS = 20_000;
const here = import.meta.dirname;

function split(client: PromptClient): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < USERS; i++) {
    const p = client.get('support-agent', `user-${i}`);
    const key = `v${p.version} (${p.slice})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function printSplit(title: string, counts: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [key, n] of [...counts].sort()) {
    console.log(`  ${key.padEnd(18)} ${String(n).padStart(6)} users  ${((100 * n) / USERS).toFixed(2)}%`);
  }
}

/** A stand-in for an LLM SDK: returns an OpenAI Chat Completions-shaped result. */
async function fakeLlm(messages: RenderedPrompt, model: string) {
  const user = (messages as ChatMessage[]).find((m) => m.role === 'user')?.content ?? '';
  await new Promise((r) => setTimeout(r, 5));
  return {
    id: 'chatcmpl-demo',
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `You asked: ${user.length} characters. Here is how…` } }],
    usage: { prompt_tokens: 120, completion_tokens: 48, total_tokens: 168 },
  };
}

const dir = await mkdtemp(join(tmpdir(), 'promptpin-demo-'));
await cp(join(here, 'prompts'), dir, { recursive: true });
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });

const client = await PromptClient.create({ source: dir, environment: 'production', tracerProvider: provider });
console.log(`promptpin demo — prompts folder copied to ${dir}`);
console.log(`registry ${client.status().revision?.slice(0, 19)}…, environment production`);

printSplit(`1) ${USERS} users resolve "support-agent" during its 10% rollout (stable v1, candidate v2):`, split(client));
for (const g of client.status().guards) {
  // The shipped rollout started 2026-11-20 with a 24h window: past it, no guard judges it any more.
  console.log(`   status(): ${g.prompt} v${g.candidate} at ${g.percent}%: ${g.stale ? 'stale (past its window: promote or roll back)' : g.state}`);
}
const again = split(client);
console.log(`   resolving again gives the same split (deterministic bucketing): ${again.get('v2 (candidate)')} on the candidate`);

console.log('\n2) One call, in a span stamped with prompt.version (console exporter):');
const prompt = client.get('support-agent', 'user-7');
const reply = await prompt.call((messages) => fakeLlm(messages, prompt.model), {
  vars: { customer_name: 'Ann', plan: 'pro', question: 'How do I reset my password?' },
});
console.log(`   reply: ${reply.choices[0]?.message.content}`);

console.log('\n3) Rollback is a flag flip: remove the rollout from promptpin.yaml (what `promptpin rollback support-agent` writes).');
const changed = new Promise<void>((resolve) => {
  const off = client.on('change', (event) => {
    for (const c of event.changes) {
      console.log(`   change seen by the running client: ${c.prompt} stable v${c.before?.stable} + candidate v${c.before?.candidate} at ${c.before?.percent}% → stable v${c.after?.stable}, no candidate`);
    }
    off();
    resolve();
  });
});
const releaseFile = join(dir, 'promptpin.yaml');
await writeFile(releaseFile, rollbackRelease(await readFile(releaseFile, 'utf8'), 'production', 'support-agent'));
await Promise.race([changed, new Promise((r) => setTimeout(r, 3000))]).then(() => client.reload());
printSplit('   after the reload, with no restart:', split(client));

await client.close();
await provider.shutdown();

// 4) The Friday scenario ------------------------------------------------------------------------
console.log('\n4) Friday: a new 10% rollout of v2. Its candidate refuses more (0.4% → 1.3%), calls 31% fewer tools');
console.log('   and answers 18% shorter; latency and errors are flat, so no infrastructure dashboard moves.');
console.log('   A team-declared signal, thumbs_down, is guarded too, but this app never records it (no data).');
const guards: GuardSpec[] = ['refusal:+0.5pp', 'tool_call:-5pp', 'output_tokens:25%', 'thumbs_down:+2pp'].map((g) => parseGuardShorthand(g) as GuardSpec);
const started = new Date(Date.now() - 60_000); // a minute ago: guards judge from `started` on
await writeFile(
  releaseFile,
  startRollout(`signals: { thumbs_down: rate }\n${await readFile(releaseFile, 'utf8')}`, 'production', 'support-agent', {
    candidate: 2,
    percent: 10,
    expected: 'Output length falls 10-20%. Tool-call rate, refusal rate and thumbs down unchanged.',
    guards,
    author: 'ana',
    started: started.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    window: '24h',
  }),
);
const breaches: GuardBreachEvent[] = [];
const fleet = await PromptClient.create({
  source: dir,
  watch: false,
  onBreach: (e) => breaches.push(e),
  // A guarded signal that gets no data is reported once, after a bounded number of outcomes.
  onError: (err) => console.log(`   onError ${err.code}: ${err.message.split('. ')[0]}`),
});

/** A fake model per arm: the candidate is the Friday regression. Seeded, so the demo is reproducible. */
let seed = 2026;
const random = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
function fakeModel(slice: string) {
  const candidate = slice === 'candidate';
  const refused = random() < (candidate ? 0.013 : 0.004);
  const tool = !refused && random() < (candidate ? 0.3 * 0.69 : 0.3);
  const tokens = Math.round((candidate ? 0.82 : 1) * (160 + 80 * random()));
  return {
    id: 'chatcmpl-sim',
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        finish_reason: tool ? 'tool_calls' : 'stop',
        message: {
          role: 'assistant',
          content: refused ? null : 'Sure: …',
          refusal: refused ? "I can't help with that." : null,
          tool_calls: tool ? [{ id: 'call_1', type: 'function', function: { name: 'book', arguments: '{}' } }] : undefined,
        },
      },
    ],
    usage: { prompt_tokens: 150, completion_tokens: tokens, total_tokens: 150 + tokens },
  };
}

const vars = { customer_name: 'Ann', plan: 'pro' as const, question: 'Can you move my payment date?' };
/** Simulated users until a guard trips: each request is one `prompt.call` whose result the guards read. */
async function simulate(client: PromptClient): Promise<{ requests: number; candidateRequests: number }> {
  let requests = 0;
  let candidateRequests = 0;
  while (breaches.length === 0 && requests < 400_000) {
    const prompt = client.get('support-agent', `user-${Math.floor(random() * 1e9)}`);
    requests++;
    if (prompt.slice === 'candidate') candidateRequests++;
    await prompt.call(async () => fakeModel(prompt.slice), { vars });
  }
  return { requests, candidateRequests };
}
const { requests, candidateRequests } = await simulate(fleet);
const breach = breaches[0];
if (!breach) throw new Error('the guard did not trip');
console.log(`   guard tripped after ${requests} requests (${candidateRequests} on the candidate): ${breach.guardText}`);
// Every report speaks one unit: percentage points for rates, percent for means, rounded for people.
console.log(`   breach: ${breach.text}`);
const after = Array.from({ length: 5000 }, (_, i) => fleet.get('support-agent', `after-${i}`)).filter((p) => p.slice === 'candidate').length;
console.log(`   on_breach: rollback → this client now serves stable to everyone (${after} of 5000 users on the candidate)`);
for (const g of fleet.status().guards) {
  console.log(`   client.status(): ${g.prompt} ${g.state}${g.stale ? ', stale' : ''}; samples ${g.samples.stable} stable / ${g.samples.candidate} candidate`);
  for (const r of g.reports) console.log(`     ${r.guard.padEnd(18)} ${r.text}`);
  if (g.noData.length) console.log(`     no data for ${g.noData.join(', ')}: nothing records that signal, so that guard cannot judge`);
}

// The refusal guard alone, on a fresh rollout (a new `started` starts fresh counts).
const refusalOnly = startRollout(rollbackRelease(await readFile(releaseFile, 'utf8'), 'production', 'support-agent', { candidate: 2 }), 'production', 'support-agent', {
  candidate: 2,
  percent: 10,
  expected: 'Output length falls 10-20%. Refusal rate unchanged.',
  guards: [parseGuardShorthand('refusal:+0.5pp') as GuardSpec],
  author: 'ana',
  started: new Date(started.getTime() + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  window: '24h',
});
await writeFile(releaseFile, refusalOnly);
const firstBreach = breaches.splice(0);
const refusalClient = await PromptClient.create({ source: dir, watch: false, onBreach: (b) => breaches.push(b) });
const refusalRun = await simulate(refusalClient);
const refusalBreach = breaches[0];
if (!refusalBreach) throw new Error('the refusal guard did not trip');
{
  console.log(`   with only the refusal guard, it trips after ${refusalRun.requests} requests (${refusalRun.candidateRequests} on the candidate): ${refusalBreach.text}`);
}
await refusalClient.close();
breaches.splice(0, breaches.length, ...firstBreach);

// onBreach is where a team flips the whole fleet: the same edit `promptpin rollback` makes.
await writeFile(releaseFile, rollbackRelease(await readFile(releaseFile, 'utf8'), 'production', 'support-agent', { candidate: breach.candidate }));
const entry = {
  date: changelogDate(new Date()),
  author: 'ana',
  prompt: 'support-agent',
  environment: 'production',
  change: `rollback v${breach.candidate} (stable v${breach.stable})`,
  why: `guard ${breach.guardText} tripped: ${breach.text}`,
  expected: 'Output length falls 10-20%. Tool-call rate and refusal rate unchanged.',
  observed: 'Refusals and tool calls back to baseline after the rollback; v2 reworked before a new rollout.',
};
await writeFile(join(dir, 'CHANGELOG.md'), addChangelogEntry(undefined, entry));
console.log('   the changelog line a human then writes (promptpin rollback + promptpin outcome):');
console.log(`   ${formatChangelogEntry(entry)}`);

await fleet.close();
await rm(dir, { recursive: true, force: true });
console.log('\ndone.');
