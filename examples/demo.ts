/**
 * The promptpin demo: `npm run demo`. No network, no keys.
 *
 * 1. Loads the prompts folder shipped in examples/prompts (copied to a temp dir so the demo can
 *    edit it), resolves `support-agent` for 20,000 users during its 10% rollout and prints the split.
 * 2. Calls a fake LLM through `prompt.call`, with spans printed to the console.
 * 3. Flips the release file (a rollback: one edit) and shows every client picking it up by reload.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PromptClient, type ChatMessage, type RenderedPrompt } from 'promptpin';

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
const text = await readFile(releaseFile, 'utf8');
const flipped = text.replace(/\n      rollout:\n(?: {8}.*\n)+/, '\n');
await writeFile(releaseFile, flipped);
await Promise.race([changed, new Promise((r) => setTimeout(r, 3000))]).then(() => client.reload());
printSplit('   after the reload, with no restart:', split(client));

await client.close();
await provider.shutdown();
await rm(dir, { recursive: true, force: true });
console.log('\ndone.');
