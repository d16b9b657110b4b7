/**
 * `get` and `render` against floors measured in the same run:
 * - get floor: a bare Map.get + MurmurHash3 of the same key (salt + ":" + unitId).
 * - render floor: hand-written string concatenation producing the same messages.
 */
import { bench, do_not_optimize, run, summary } from 'mitata';
import { PromptClient } from 'promptpin';
import { murmur3_32 } from '../src/resolve/murmur3.js';

const client = await PromptClient.create({ source: new URL('../examples/prompts', import.meta.url).pathname, watch: false });
const ids = Array.from({ length: 1024 }, (_, i) => `user-${i * 7919}`);
const map = new Map([['support-agent', { salt: 'support-agent@2', threshold: 1000 }]]);
let i = 0;

// The same prompt after its guard tripped (on_breach: rollback): `get` must not slow down.
// The clock is set inside the example rollout's 24h window (started 2026-11-20T15:00:00Z).
const tripped = await PromptClient.create({ source: new URL('../examples/prompts', import.meta.url).pathname, watch: false, onBreach: () => {}, now: () => Date.parse('2026-11-20T16:00:00Z') });
for (let n = 0; tripped.status().guards[0]?.state !== 'tripped' && n < 200_000; n++) {
  const p = tripped.get('support-agent', `sim-${n}`);
  p.record({ refusal: p.slice === 'candidate' ? n % 10 === 0 : n % 250 === 0 });
}
if (tripped.status().guards[0]?.state !== 'tripped') throw new Error('the guard did not trip');

summary(() => {
  bench('floor: Map.get + murmur3(salt:unitId)', () => {
    const id = ids[i++ & 1023]!;
    const plan = map.get('support-agent')!;
    do_not_optimize(murmur3_32(`${plan.salt}:${id}`) % 10000 < plan.threshold);
  }).baseline(true);
  bench('client.get(name, unitId)', () => {
    do_not_optimize(client.get('support-agent', ids[i++ & 1023]!));
  });
  bench('client.get(name, unitId), guard tripped', () => {
    do_not_optimize(tripped.get('support-agent', ids[i++ & 1023]!));
  });
});

const stable = client.get('support-agent');
const candidate = client.get('support-agent', 'qa-user-1');
// 1024 distinct variable objects, cycled, so neither side can constant-fold its inputs.
const varsPool = Array.from({ length: 1024 }, (_, n) => ({ customer_name: `Ann ${n}`, plan: n % 2 ? 'pro' : 'free', question: `Question ${n}?`, history: `Earlier: ${n}.` }));
const vars1Pool = varsPool.map(({ history: _h, ...rest }) => rest);
let j = 0;
const SYSTEM2 = 'When the customer needs a booking, use the booking tool first.\nYou are the support agent for Acme. Be direct and concise.';
const SYSTEM1 = 'You are the support agent for Acme. Answer in a friendly, thorough way.\nWhen the customer needs a booking, use the booking tool.';

summary(() => {
  bench('floor: hand-written concatenation (v2 template)', () => {
    const v = varsPool[j++ & 1023]!;
    do_not_optimize([
      { role: 'system', content: SYSTEM2 },
      { role: 'user', content: `${v.history}\nCustomer ${v.customer_name} on the ${v.plan} plan asks: ${v.question}` },
    ]);
  }).baseline(true);
  bench('prompt.render(vars) (v2, validated)', () => {
    do_not_optimize(candidate.render(varsPool[j++ & 1023]!));
  });
});

summary(() => {
  bench('floor: hand-written concatenation (v1 template)', () => {
    const v = vars1Pool[j++ & 1023]!;
    do_not_optimize([
      { role: 'system', content: SYSTEM1 },
      { role: 'user', content: `Customer ${v.customer_name} on the ${v.plan} plan asks: ${v.question}` },
    ]);
  }).baseline(true);
  bench('prompt.render(vars) (v1, validated)', () => {
    do_not_optimize(stable.render(vars1Pool[j++ & 1023]!));
  });
});

await run();
await client.close();
await tripped.close();
