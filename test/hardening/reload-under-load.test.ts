/**
 * Issue 9, "Build and prove": reload under load. Four async loops call get / render / call / record
 * on a client over a real temp folder while a writer rewrites that folder non-atomically
 * (truncate-then-write of promptpin.yaml, promptpin.lock and .prompt files, partial writes of
 * .prompt files, deletes, renames) 200 times, reloading after every step. Required: no call fails;
 * every synchronous batch of resolutions matches exactly one of the good registries the writer
 * wrote (never a half-written or emptied one, never a mix); every span is stamped with the version
 * served; the heap after GC ends within 5 MB of where it started.
 *
 * GC: vitest runs this file in a child process without --expose-gc, so the test turns the flag on
 * with `v8.setFlagsFromString('--expose-gc')` and takes `gc` from a fresh context
 * (`vm.runInNewContext('gc')`). No wall clock is asserted; the writer's order is seeded.
 */
import { open, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Context } from '@opentelemetry/api';
import { BasicTracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFolder } from '../../src/authoring.js';
import { createMemorySource, PromptClient, type PromptError } from '../../src/index.js';
import { formatLock } from '../../src/registry/lock.js';
import { GREET_V1, GREET_V2, promptFile, releaseYaml, writeFolder } from '../support/folders.js';
import { mulberry32 } from '../support/random.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return v8.getHeapStatistics().used_heap_size;
}

const GREET_V3 = GREET_V1.replace('Be brief.', 'Be brief and kind.');
const OTHER_V1 = promptFile({ variables: '  who: string', body: 'Hello {{who}}.\n' });
const PROMPTS: Record<string, string> = { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'greet/3.prompt': GREET_V3, 'other/1.prompt': OTHER_V1 };
const LOCK = (() => {
  const check = checkFolder({ promptFiles: Object.entries(PROMPTS).map(([path, text]) => ({ path, text })) });
  const lock = new Map<string, Map<number, string>>();
  for (const v of check.versions) lock.set(v.name, (lock.get(v.name) ?? new Map()).set(v.version, v.hash));
  return formatLock(lock);
})();

const rollout = (stable: number, candidate: number, percent: number, extra = '') =>
  `    greet:\n      stable: ${stable}\n      rollout:\n        candidate: ${candidate}\n        percent: ${percent}\n        started: 2026-11-20T15:00:00Z\n        expected: Output length falls 10-20%; refusal rate unchanged.\n        guards:\n          - { signal: refusal, max_increase: 0.5pp }\n${extra}`;
/** The good release files the writer cycles through; each resolves the units differently. */
const GOOD = [
  releaseYaml(`  production:\n${rollout(1, 2, 10)}    other: { stable: 1 }\n`),
  releaseYaml(`  production:\n${rollout(1, 2, 50)}    other: { stable: 1 }\n`),
  releaseYaml('  production:\n    greet: { stable: 2 }\n    other: { stable: 1 }\n'),
  releaseYaml(`  production:\n${rollout(2, 3, 30, '      overrides: { qa: 1 }\n')}    other: { stable: 1 }\n`),
];
const UNITS = ['qa', ...Array.from({ length: 15 }, (_, i) => `user-${i}`)];
const NAMES = ['greet', 'other'] as const;

/** What each good registry serves, unit by unit: `expected[g][n * UNITS.length + u]`. */
async function expectedTables(): Promise<number[][]> {
  const tables: number[][] = [];
  for (const yaml of GOOD) {
    const c = await PromptClient.create({ source: createMemorySource({ files: { ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': yaml } }) });
    tables.push(NAMES.flatMap((n) => UNITS.map((u) => c.get(n, u).version)));
    await c.close();
  }
  return tables;
}

/** Checks every ended span: stamped with the version the test saw served. Keeps nothing. */
class StampCheck implements SpanProcessor {
  spans = 0;
  mismatches = 0;
  onStart(_span: Span, _ctx: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.spans++;
    if (span.attributes['prompt.version'] !== span.attributes['test.served']) this.mismatches++;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Run {
  readonly batches: number;
  readonly failures: readonly unknown[];
  readonly inconsistent: readonly string[];
  readonly matched: ReadonlySet<number>;
  readonly reloads: { ok: number; refused: number };
  readonly reported: ReadonlyMap<string, number>;
  readonly stamps: StampCheck;
  readonly heapDelta: number;
}

async function runUnderLoad(opts: { watch: boolean; steps: number; seed: number }): Promise<Run> {
  const tables = await expectedTables();
  // The check below is only meaningful if a full batch identifies one good registry.
  for (let a = 0; a < tables.length; a++) for (let b = a + 1; b < tables.length; b++) expect(tables[a]).not.toEqual(tables[b]);

  const dir = await writeFolder({ ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD[0]! });
  const stamps = new StampCheck();
  const reported = new Map<string, number>();
  const client = await PromptClient.create({
    source: dir,
    watch: opts.watch,
    tracerProvider: new BasicTracerProvider({ spanProcessors: [stamps] }),
    onError: (e: PromptError) => reported.set(e.code, (reported.get(e.code) ?? 0) + 1),
    now: () => Date.parse('2026-11-20T16:00:00Z'),
  });
  const failures: unknown[] = [];
  const inconsistent: string[] = [];
  const matched = new Set<number>();
  let batches = 0;
  let done = false;
  const seen = new Array<number>(NAMES.length * UNITS.length);

  /** One synchronous batch: no reload can land inside it, so it must match one good registry. */
  const batch = (use: (p: ReturnType<PromptClient['get']>, i: number) => void): void => {
    for (let n = 0; n < NAMES.length; n++) {
      for (let u = 0; u < UNITS.length; u++) {
        const i = n * UNITS.length + u;
        try {
          const p = client.get(NAMES[n]!, UNITS[u]!);
          seen[i] = p.version;
          use(p, i);
        } catch (err) {
          failures.push(err);
          seen[i] = -1;
        }
      }
    }
    const hits = tables.flatMap((t, g) => (t.every((v, i) => v === seen[i]) ? [g] : []));
    if (hits.length !== 1) inconsistent.push(JSON.stringify(seen));
    else matched.add(hits[0]!);
    batches++;
  };
  // The loops run one batch per beat; the writer beats while each reload is in flight, so batches
  // land between the reload's reads, its swap and the next write. Paced by the writer, not a clock.
  let pulse: () => void = () => {};
  let next = new Promise<void>((r) => (pulse = r));
  const beat = (): Promise<void> => next;
  const release = (): void => {
    const go = pulse;
    next = new Promise<void>((r) => (pulse = r));
    go();
  };
  const vars = { who: 'Ann' };
  const loops = [
    // get + render
    async () => {
      while (!done) {
        await beat();
        batch((p) => void p.render(vars));
      }
    },
    // get + a synchronous call, its span checked for the served version
    async () => {
      while (!done) {
        await beat();
        batch((p) => p.call((r) => (Array.isArray(r) ? r.length : r.length), { vars, attributes: { 'test.served': p.version } }));
      }
    },
    // get + an asynchronous call that settles after the next reload may have landed
    async () => {
      while (!done) {
        await beat();
        const pending: Promise<unknown>[] = [];
        batch((p) => pending.push(p.call(async () => yieldToLoop().then(() => p.version), { vars, attributes: { 'test.served': p.version } })));
        for (const r of await Promise.allSettled(pending)) if (r.status === 'rejected') failures.push(r.reason);
      }
    },
    // get + record (guard accounting): the same outcome on both arms, so no guard trips
    async () => {
      while (!done) {
        await beat();
        batch((p) => p.record({ refusal: false, output_tokens: 100 }));
      }
    },
  ];

  // Warm up (caches, JIT, first reloads), then take the heap baseline.
  for (let i = 0; i < 3; i++) batch((p) => void p.render(vars));
  await client.reload();
  const heapBefore = heapAfterGc();

  const rand = mulberry32(opts.seed);
  const reloads = { ok: 0, refused: 0 };
  const reload = async (): Promise<void> => {
    const pending = client.reload();
    release();
    const r = await pending;
    if (r.success) reloads.ok++;
    else reloads.refused++;
  };
  const path = (rel: string) => join(dir, rel);
  /** Truncates, lets the client look, then writes `text` in `chunks` writes with a look between them. */
  const rewrite = async (rel: string, text: string, chunks = 1): Promise<void> => {
    const fh = await open(path(rel), 'r+');
    try {
      await fh.truncate(0);
      await reload();
      const bytes = Buffer.from(text);
      const size = Math.ceil(bytes.length / chunks);
      for (let at = 0; at < bytes.length; at += size) {
        await fh.write(bytes, at, Math.min(size, bytes.length - at), at);
        // The last write is looked at by the reload that ends every step.
        if (at + size < bytes.length) await reload();
      }
    } finally {
      await fh.close();
    }
  };
  let good = 0;
  const prompts = Object.keys(PROMPTS);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length) % xs.length]!;
  const steps: Array<() => Promise<void>> = [
    // the next good release file, truncate-then-write
    async () => {
      good = (good + 1) % GOOD.length;
      await rewrite('promptpin.yaml', GOOD[good]!);
    },
    // a .prompt file rewritten in place with the same content, in 1 to 3 writes (half-written in between)
    () => {
      const rel = pick(prompts);
      return rewrite(rel, PROMPTS[rel]!, 1 + Math.floor(rand() * 3));
    },
    // the lock rewritten in place
    () => rewrite('promptpin.lock', LOCK),
    // a .prompt file deleted, then restored
    async () => {
      const rel = pick(prompts);
      await unlink(path(rel));
      await reload();
      await writeFile(path(rel), PROMPTS[rel]!);
    },
    // the release file moved away and back (a checkout in progress)
    async () => {
      await rename(path('promptpin.yaml'), path('promptpin.yaml.orig'));
      await reload();
      await rename(path('promptpin.yaml.orig'), path('promptpin.yaml'));
    },
    // a .prompt file renamed to an editor's swap name and back
    async () => {
      const rel = pick(prompts);
      await rename(path(rel), path(`${rel}.swp`));
      await reload();
      await rename(path(`${rel}.swp`), path(rel));
    },
  ];

  const running = loops.map((l) => l());
  try {
    for (let s = 0; s < opts.steps; s++) {
      // Every fourth step moves to the next good state, so all of them get served.
      await (s % 4 === 0 ? steps[0]! : pick(steps))();
      await reload();
    }
  } finally {
    done = true;
    release();
    await Promise.all(running);
  }
  batch((p) => void p.render(vars));
  const final = tables[good]!;
  expect(seen).toEqual(final);
  const heapDelta = heapAfterGc() - heapBefore;
  await client.close();
  await rm(dir, { recursive: true, force: true });
  if (process.env.PROMPTPIN_LOAD_REPORT) {
    console.log(JSON.stringify({ watch: opts.watch, steps: opts.steps, batches, resolutions: batches * seen.length, reloads, reported: Object.fromEntries(reported), spans: stamps.spans, heapDeltaBytes: heapDelta }));
  }
  return { batches, failures, inconsistent, matched, reloads, reported, stamps, heapDelta };
}

describe('reload under load', () => {
  afterEach(() => gc());

  it('should fail no call and serve exactly one good registry at a time through 200 non-atomic rewrites (watch off)', async () => {
    const run = await runUnderLoad({ watch: false, steps: 200, seed: 20261127 });
    expect(run.failures).toEqual([]);
    expect(run.inconsistent).toEqual([]);
    expect([...run.matched].sort()).toEqual([0, 1, 2, 3]);
    expect(run.batches).toBeGreaterThan(200);
    // Every step exposed at least one bad state, and each was refused and reported.
    expect(run.reloads.refused).toBeGreaterThanOrEqual(200);
    expect([...run.reported.values()].reduce((a, b) => a + b, 0)).toBe(run.reloads.refused);
    expect([...run.reported.keys()].sort()).toEqual(expect.arrayContaining(['INVALID_CONFIG', 'RELEASES_REMOVED', 'VERSION_IMMUTABLE']));
    expect(run.stamps.spans).toBeGreaterThan(1000);
    expect(run.stamps.mismatches).toBe(0);
    expect(run.heapDelta).toBeLessThan(5 * 1024 * 1024);
  }, 120_000);

  it('should hold the same with the folder watched (reloads also fire from file events)', async () => {
    const run = await runUnderLoad({ watch: true, steps: 60, seed: 7 });
    expect(run.failures).toEqual([]);
    expect(run.inconsistent).toEqual([]);
    expect(run.stamps.mismatches).toBe(0);
    expect(run.heapDelta).toBeLessThan(5 * 1024 * 1024);
  }, 120_000);
});
