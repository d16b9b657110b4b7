// Experiments with n arms (issue 15): candidates: [{ version, percent }, …] against the stable control.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { armOf, armRanges, bucketOf, createMemorySource, isPromptError, parseCompiledRegistry, PromptClient, registryToJson, resolveRelease, type GuardBreachEvent } from '../../src/index.js';
import { GuardMonitor } from '../../src/guards/monitor.js';
import { compileFolder, folderFilesOf } from '../../src/registry/registry.js';
import { GREET_V1, GREET_V2, promptFile, releaseYaml } from '../support/folders.js';

const V3 = promptFile({ variables: '  who: string', body: 'Hi {{who}}, v3.\n' });
const files = (release: string): Record<string, string> => ({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'greet/3.prompt': V3, 'promptpin.yaml': releaseYaml(release) });
const arms = (list: string, extra = '') => `  production:
    greet:
      stable: 1
      rollout:
        candidates: ${list}
${extra}        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
`;
const EXP = arms('[{ version: 2, percent: 10 }, { version: 3, percent: 10 }]');
const compile = (release: string) => compileFolder(folderFilesOf(files(release)));
const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('n-arm experiments: model and resolution', () => {
  it('should read candidates: with one salt <name>@<v1>+<v2> and keep candidate/percent as arm 1 / total', () => {
    const r = compile(EXP).environments.get('production')!.get('greet')!.rollout!;
    expect({ candidate: r.candidate, percent: r.percent, salt: r.salt, arms: r.arms }).toEqual({ candidate: 2, percent: 20, salt: 'greet@2+3', arms: [{ version: 2, percent: 10 }, { version: 3, percent: 10 }] });
  });
  it('should resolve each unit to the arm of its bucket (armRanges), arm 0 to stable', () => {
    const rel = compile(EXP).environments.get('production')!.get('greet')!;
    const rs = armRanges([10, 10]);
    for (let i = 0; i < 500; i++) {
      const id = `user-${i}`;
      const arm = armOf(rs, bucketOf('greet@2+3', id));
      expect(resolveRelease('greet', rel, id)).toMatchObject({ version: [1, 2, 3][arm], arm, slice: arm ? 'candidate' : 'stable' });
      expect(resolveRelease('greet', rel, id, { rolledBackArms: new Set([2]) }).version).toBe(arm === 2 ? 1 : [1, 2, 3][arm]);
    }
  });
  it('should refuse both forms at once, a stable arm, duplicates and arms wider than their lane', () => {
    const issues = (release: string): string[] => {
      try {
        compile(release);
      } catch (err) {
        expect(isPromptError(err)).toBe(true);
        return (err as { issues: { message: string }[] }).issues.map((i) => i.message);
      }
      return [];
    };
    expect(issues(arms('[{ version: 2, percent: 10 }]', '        candidate: 2\n        percent: 10\n'))).toEqual(['a rollout has either candidate + percent or candidates: [{ version, percent }, …], not both']);
    expect(issues(arms('[{ version: 1, percent: 10 }]'))[0]).toContain('is the stable version');
    expect(issues(arms('[{ version: 2, percent: 10 }, { version: 2, percent: 5 }]'))[0]).toContain('listed twice');
    expect(issues(arms('[{ version: 2, percent: 60 }, { version: 3, percent: 10 }]'))[0]).toMatchInlineSnapshot(`"arm 1 at 60% exceeds its lane of 50% (with 2 candidates each arm may take at most 50%): lower its percent, or run fewer candidates at once"`);
    expect(issues(arms('[{ version: 2, percent: 10, salt: x }]'))[0]).toContain('no other keys');
    expect(issues(arms('[]'))[0]).toContain('1 to 8 entries');
  });
});

describe('n-arm experiments: nothing existing moves', () => {
  it('should keep every existing vector and one-candidate lists on the two-arm rule', () => {
    const cases = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'bucketing-cases.json'), 'utf8')).cases as { salt: string; unitId: string; bucket: number; percent: number; candidate: boolean }[];
    expect(cases).toHaveLength(44);
    for (const c of cases) expect(armOf(armRanges([c.percent]), bucketOf(c.salt, c.unitId)) === 1).toBe(c.candidate);
    const classic = compile(arms('[{ version: 2, percent: 10 }]').replace('candidates: [{ version: 2, percent: 10 }]', 'candidate: 2\n        percent: 10'));
    const one = compile(arms('[{ version: 2, percent: 10 }]'));
    const a = classic.environments.get('production')!.get('greet')!;
    const b = one.environments.get('production')!.get('greet')!;
    for (let i = 0; i < 300; i++) expect(resolveRelease('greet', b, `u${i}`).version).toBe(resolveRelease('greet', a, `u${i}`).version);
  });
  it('should leave the revision and compiled form of a registry without the new fields unchanged', () => {
    const classic = arms('').replace('        candidates: \n', '        candidate: 2\n        percent: 10\n');
    const reg = compile(classic);
    const json = registryToJson(reg);
    const r = json.environments.production!.greet!.rollout as Record<string, unknown>;
    expect(Object.keys(r)).toEqual(['candidate', 'percent', 'salt', 'expected', 'guards', 'min_samples', 'on_breach']);
    expect(json.environments.production!.greet).not.toHaveProperty('rules');
    // Pinned: the revision of this folder before issue 15 (computed on main at a15fa89).
    expect(reg.revision).toBe(REVISION_BEFORE);
  });
  it('should change the revision with every arm edit and round-trip the compiled registry', () => {
    const base = compile(EXP);
    const edits = [arms('[{ version: 2, percent: 10 }, { version: 3, percent: 11 }]'), arms('[{ version: 3, percent: 10 }, { version: 2, percent: 10 }]'), arms('[{ version: 2, percent: 10 }]'), arms('[{ version: 2, percent: 10 }, { version: 3, percent: 10 }]', '        salt: s\n')];
    expect(new Set([base.revision, ...edits.map((e) => compile(e).revision)]).size).toBe(edits.length + 1);
    const json = JSON.parse(JSON.stringify(registryToJson(base)));
    expect(json.environments.production.greet.rollout.candidates).toEqual([{ version: 2, percent: 10 }, { version: 3, percent: 10 }]);
    expect(json.environments.production.greet.rollout).not.toHaveProperty('candidate');
    expect(parseCompiledRegistry(json).revision).toBe(base.revision);
    json.environments.production.greet.rollout.candidates[1].percent = 20;
    expect(() => parseCompiledRegistry(json)).toThrow(/revision/);
  });
});

describe('n-arm experiments: client, spans and per-arm guards', () => {
  it('should stamp prompt.arm and roll back only the arm whose guard tripped', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const breaches: GuardBreachEvent[] = [];
    const release = arms('[{ version: 2, percent: 25 }, { version: 3, percent: 25 }]').replace('        guards:', '        min_samples: 200\n        guards:');
    const client = await PromptClient.create({ source: createMemorySource({ files: files(release) }), tracerProvider, onBreach: (e) => breaches.push(e), now: () => 0 });
    clients.push(client);
    const rs = armRanges([25, 25]);
    const armOfId = (id: string) => armOf(rs, bucketOf('greet@2+3', id));
    client.get('greet', 'user-1').call(() => 1, { vars: { who: 'x' } });
    expect(exporter.getFinishedSpans()[0]!.attributes['prompt.arm']).toBe(armOfId('user-1'));
    // Arm 2 (v3) refuses far more often than the control; arm 1 (v2) does not.
    for (let i = 0; i < 20000 && breaches.length === 0; i++) {
      const id = `user-${i}`;
      const p = client.get('greet', id);
      expect(p.version).toBe([1, 2, 3][armOfId(id)]);
      p.record({ refusal: p.version === 3 ? i % 3 === 0 : i % 50 === 0 });
    }
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({ arm: 2, candidate: 3, stable: 1 });
    const status = client.status().guards[0]!;
    expect(status.arms!.map((a) => [a.arm, a.version, a.breach !== null])).toEqual([[1, 2, false], [2, 3, true]]);
    expect(status.arms![0]!.reports[0]!.text).toMatch(/^refusal /);
    for (let i = 0; i < 2000; i++) {
      const id = `user-${i}`;
      expect(client.get('greet', id).version).toBe(armOfId(id) === 1 ? 2 : 1);
    }
  });
  it('should split alpha over the arms and judge each arm on its own', () => {
    const m = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 10, arms: 3 });
    const two = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 10 });
    expect(m.state().guards[0]!.alpha).toBeCloseTo(two.state().guards[0]!.alpha / 3, 12);
    expect(m.state().guards[0]!.arms).toHaveLength(3);
    expect(m.record(4, { refusal: true }, 0)).toBeNull();
  });
});

const REVISION_BEFORE = 'sha256:054f6b4900ed821807195ab44d2455cad75ab857f040cfcc45d29f22389e922b';
