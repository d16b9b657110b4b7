import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PromptClient } from '../../src/client.js';
import { createMemorySource } from '../../src/sources/memory-source.js';
import { FUZZ_SEED, isTypedError, mutated, prototypeKeys, runs, tally, type Tally } from './fuzz-support.js';
import { FILES, FUZZ_TARGETS } from './targets.js';

// Every generated input is accepted or rejected with the library's typed error; nothing else is
// thrown, Object.prototype is untouched, and a rejected reload leaves the serving registry as it was.
// Inputs are mutations of the real example folder (truncations, splices, duplicated and swapped
// lines, hostile tokens) plus random text. Seeded: a failure prints the seed and the shrunk input.
// More inputs: PROMPTPIN_FUZZ_SCALE=20; another walk: PROMPTPIN_FUZZ_SEED=<n>.

const PROTO = prototypeKeys();
const tallies: Record<string, Tally> = {};
const opts = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns), endOnFailure: true });

describe('fuzz: every input is accepted or rejected with a typed error', () => {
  afterAll(() => {
    const rows = Object.entries(tallies).map(([k, t]) => `${k}: tried ${t.tried}, accepted ${t.accepted}, rejected ${t.rejected}, crashes ${t.crashes}`);
    const total = Object.values(tallies).reduce((a, t) => a + t.tried, 0);
    console.log(`[fuzz] seed ${FUZZ_SEED}, ${total} inputs\n  ${rows.join('\n  ')}`);
  });

  it.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('should accept or reject with a typed error: %s', (_name, t) => {
    const tl = (tallies[t.name] = tally());
    fc.assert(
      fc.property(t.input, (input) => {
        tl.tried++;
        let outcome: 'accepted' | 'rejected';
        try {
          outcome = t.run(input);
        } catch (err) {
          if (!isTypedError(err)) tl.crashes++;
          expect(isTypedError(err), String(err)).toBe(true);
          outcome = 'rejected';
        }
        tl[outcome]++;
        expect(prototypeKeys()).toBe(PROTO);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      opts(t.runs),
    );
  });

  it('should keep serving the last good registry, unchanged, when a reload is rejected', async () => {
    const t = (tallies['client reload (mutated folder)'] = tally());
    const source = createMemorySource({ files: FILES });
    const client = await PromptClient.create({ source, watch: false, onError: () => {} });
    const good = client.status().revision;
    const units = ['u1', 'u2', 'qa-user-1', 'u3'];
    const which = fc.constantFrom(...Object.keys(FILES));
    await fc.assert(
      fc.asyncProperty(which.chain((f) => mutated(FILES[f]!).map((text) => [f, text] as const)), async ([file, text]) => {
        source.set({ files: FILES });
        expect((await client.reload()).success).toBe(true);
        expect(client.status().revision).toBe(good);
        const before = units.map((u) => client.get('support-agent', u));
        source.set({ files: { ...FILES, [file]: text } });
        t.tried++;
        const r = await client.reload();
        if (r.success) t.accepted++;
        else {
          t.rejected++;
          if (!isTypedError(r.error)) t.crashes++;
          expect(isTypedError(r.error)).toBe(true);
          expect(client.status().revision).toBe(good);
          // The same frozen objects: nothing of the rejected registry leaked in.
          units.forEach((u, i) => expect(client.get('support-agent', u)).toBe(before[i]));
        }
        expect(prototypeKeys()).toBe(PROTO);
      }),
      opts(1200),
    );
    await client.close();
  });

  it('should have tried at least 10,000 inputs in all, with 0 crashes, reaching both verdicts', () => {
    const all = Object.entries(tallies);
    expect(all.reduce((a, [, t]) => a + t.tried, 0)).toBeGreaterThanOrEqual(10_000);
    expect(all.reduce((a, [, t]) => a + t.crashes, 0)).toBe(0);
    for (const [k, t] of all) expect(t.rejected, k).toBeGreaterThan(0);
  });
});
