// Targeting (issue 15): rules pin a version for units matching attribute rules (ordered, first
// match wins, after overrides), a rollout's `when:` scopes it; the slice names the rule.
import { InMemorySpanExporter, BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { bucketOf, createMemorySource, isPromptError, parseCompiledRegistry, PromptClient, registryToJson, resolveRelease } from '../../src/index.js';
import { compileFolder, folderFilesOf } from '../../src/registry/registry.js';
import { GREET_V1, GREET_V2, promptFile, releaseYaml } from '../support/folders.js';

const V3 = promptFile({ variables: '  who: string', body: 'Hi {{who}}, v3.\n' });
const files = (release: string): Record<string, string> => ({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'greet/3.prompt': V3, 'promptpin.yaml': releaseYaml(release) });
const RULES = `  production:
    greet:
      stable: 1
      overrides: { qa-1: 2 }
      rules:
        - name: enterprise
          when: { plan: enterprise }
          version: 1
        - when: { plan: [pro, team], seats: { gte: 5 } }
          version: 3
        - when: { beta: true }
          version: 2
      rollout:
        candidate: 2
        percent: 50
        when: { region: { in: [eu, uk] } }
        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
`;
const compile = (release: string) => compileFolder(folderFilesOf(files(release)));
const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function issuesOf(release: string): string[] {
  try {
    compile(release);
  } catch (err) {
    expect(isPromptError(err)).toBe(true);
    return (err as { issues: { field?: string; message: string }[] }).issues.map((i) => `${i.field}: ${i.message}`);
  }
  throw new Error('expected a RegistryError');
}

describe('targeting rules: resolution order (docs/bucketing.md "Resolution order")', () => {
  const release = compile(RULES).environments.get('production')!.get('greet')!;
  const r = (unit: Parameters<typeof resolveRelease>[2], opts = {}) => resolveRelease('greet', release, unit, opts);

  it('should put the pin first, then the override, then the first matching rule', () => {
    expect(r({ id: 'qa-1', attributes: { plan: 'pro', seats: 9 } }, { version: 3 })).toMatchObject({ version: 3, reason: 'pinned' });
    expect(r({ id: 'qa-1', attributes: { plan: 'pro', seats: 9 } })).toMatchObject({ version: 2, reason: 'override' });
    expect(r({ id: 'u', attributes: { plan: 'enterprise', beta: true } })).toMatchObject({ version: 1, slice: 'rule:enterprise', reason: 'rule' });
    expect(r({ id: 'u', attributes: { plan: 'team', seats: 5, beta: true } })).toMatchObject({ version: 3, slice: 'rule:1' });
    expect(r({ id: 'u', attributes: { plan: 'team', seats: 4, beta: true } })).toMatchObject({ version: 2, slice: 'rule:2' });
  });
  it('should match types strictly and treat a missing or non-scalar attribute as absent', () => {
    expect(r({ id: 'u', attributes: { beta: 'true' } }).reason).not.toBe('rule');
    expect(r({ id: 'u', attributes: { plan: 'pro', seats: '9' } }).reason).not.toBe('rule');
    expect(r({ attributes: { plan: ['pro'] as never, seats: 9 } }).reason).toBe('stable');
    expect(r({ attributes: Object.create({ plan: 'enterprise' }) as never }).reason).toBe('stable');
  });
  it('should apply rules without a unit id but bucket only with one', () => {
    expect(r({ attributes: { beta: true } })).toMatchObject({ version: 2, slice: 'rule:2' });
    expect(r({ attributes: { region: 'eu' } })).toMatchObject({ version: 1, reason: 'stable', bucket: null });
  });
  it('should scope the rollout with when: (units outside it get stable, unbucketed)', () => {
    let inside = 0;
    for (let i = 0; i < 400; i++) {
      const id = `user-${i}`;
      const eu = r({ id, attributes: { region: 'eu' } });
      expect(eu.version).toBe(bucketOf('greet@2', id) < 5000 ? 2 : 1);
      if (eu.version === 2) inside++;
      expect(r({ id, attributes: { region: 'us' } })).toMatchObject({ version: 1, reason: 'stable', bucket: null });
      expect(r(id)).toMatchObject({ version: 1, bucket: null });
    }
    expect(inside).toBeGreaterThan(150);
  });
});

describe('targeting in the client', () => {
  it('should serve rules through get(name, { id, attributes }) and stamp only safe attributes', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const client = await PromptClient.create({ source: createMemorySource({ files: files(RULES) }), tracerProvider, safeAttributes: ['plan'] });
    clients.push(client);
    const p = client.get('greet', { id: 'u-1', attributes: { plan: 'team', seats: 7, email: 'a@b.c' } });
    expect(p).toMatchObject({ version: 3, slice: 'rule:1' });
    p.call(() => 'ok', { vars: { who: 'Ann' } });
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.attributes['prompt.slice']).toBe('rule:1');
    expect(span.attributes['prompt.unit.plan']).toBe('team');
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('prompt.unit.'))).toEqual(['prompt.unit.plan']);
    expect(JSON.stringify(span.attributes)).not.toContain('a@b.c');
    // The same decisions as the pure resolver, for many units.
    const release = compile(RULES).environments.get('production')!.get('greet')!;
    for (let i = 0; i < 300; i++) {
      const unit = { id: `user-${i}`, attributes: { region: i % 2 ? 'eu' : 'us', plan: i % 7 === 0 ? 'pro' : 'free', seats: i % 10 } };
      const want = resolveRelease('greet', release, unit);
      expect([client.get('greet', unit).version, client.get('greet', unit).slice]).toEqual([want.version, want.slice]);
    }
    // A plain string id still works and never matches attribute rules.
    expect(client.get('greet', 'qa-1').version).toBe(2);
  });
  it('should stamp no attribute value by default', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const client = await PromptClient.create({ source: createMemorySource({ files: files(RULES) }), tracerProvider });
    clients.push(client);
    client.get('greet', { id: 'u', attributes: { plan: 'enterprise' } }).call(() => 1, { vars: { who: 'x' } });
    expect(Object.keys(exporter.getFinishedSpans()[0]!.attributes).some((k) => k.startsWith('prompt.unit.'))).toBe(false);
    await expect(PromptClient.create({ source: createMemorySource({ files: files(RULES) }), safeAttributes: ['bad name'] })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

describe('targeting validation: typed errors, bounded work', () => {
  const base = (rules: string) => `  production:\n    greet:\n      stable: 1\n      rules:\n${rules}`;
  it('should refuse unknown operators, bad shapes and missing versions with what to write', () => {
    expect(issuesOf(base('        - { when: { plan: { like: pro } }, version: 2 }\n'))).toMatchInlineSnapshot(`
      [
        "environments.production.greet.rules.0.when.plan: plan: "like" is not an operator: use one of eq, ne, in, not_in, gt, gte, lt, lte, exists, e.g. { in: [pro, team] } or { gte: 3 }",
      ]
    `);
    expect(issuesOf(base('        - { when: { plan: pro }, version: 9 }\n        - { when: [pro], version: 2 }\n        - { when: { seats: { gt: ten } }, version: 2, extra: 1 }\n        - { name: "0", when: {}, version: 2 }\n'))).toMatchInlineSnapshot(`
      [
        "environments.production.greet.rules.0.version: v9 is not a version of "greet" (known: 1, 2, 3)",
        "environments.production.greet.rules.1.when: when: is a map of attribute → value, e.g. when: { plan: [pro, team], region: eu }",
        "environments.production.greet.rules.2: unknown key "extra" in a rule: a rule has name (optional), when and version",
        "environments.production.greet.rules.3.name: a rule name uses letters, digits, _ . and - (1–64 characters, not only digits: those are rule indexes)",
      ]
    `);
    expect(issuesOf(base('        - { when: { plan: { in: [] } }, version: 2 }\n        - { when: { plan: null }, version: 2 }\n'))).toHaveLength(2);
    expect(issuesOf(`  production:\n    greet:\n      stable: 1\n      rollout:\n        candidate: 2\n        percent: 5\n        when: { plan: { regex: ".*" } }\n        expected: Output length falls 10-20%; refusal rate unchanged.\n        guards: [{ signal: refusal, max_increase: 0.5pp }]\n`)[0]).toContain('"regex" is not an operator');
  });
  it('should bound rules, conditions and values', () => {
    const many = Array.from({ length: 101 }, () => '        - { when: { a: 1 }, version: 2 }\n').join('');
    expect(issuesOf(base(many))[0]).toContain('at most 100 per release');
    const wide = `        - { when: { ${Array.from({ length: 17 }, (_, i) => `a${i}: 1`).join(', ')} }, version: 2 }\n`;
    expect(issuesOf(base(wide))[0]).toContain('at most 16');
    const list = `        - { when: { a: [${Array.from({ length: 1001 }, (_, i) => i).join(',')}] }, version: 2 }\n`;
    expect(issuesOf(base(list))[0]).toContain('1 to 1000 values');
  });
});

describe('targeting: the revision moves with every behaviour-changing edit, and only then', () => {
  const rev = (release: string) => compile(release).revision;
  it('should change the revision when a rule, its order, its version or a scope changes', () => {
    const r0 = rev(RULES);
    const edits = [
      RULES.replace('{ plan: enterprise }', '{ plan: Enterprise }'),
      RULES.replace('seats: { gte: 5 }', 'seats: { gt: 5 }'),
      RULES.replace('          version: 3', '          version: 2'),
      RULES.replace('[eu, uk]', '[eu]'),
      RULES.replace('        when: { region: { in: [eu, uk] } }\n', ''),
      RULES.replace('        - name: enterprise\n          when: { plan: enterprise }\n          version: 1\n', '') + '',
      RULES.replace('name: enterprise', 'name: ent'),
    ];
    const revs = edits.map(rev);
    expect(new Set([r0, ...revs]).size).toBe(edits.length + 1);
  });
  it('should round-trip rules and scopes through the compiled registry with the same revision', () => {
    const reg = compile(RULES);
    const json = JSON.parse(JSON.stringify(registryToJson(reg)));
    expect(json.environments.production.greet.rules).toHaveLength(3);
    expect(json.environments.production.greet.rollout.when).toEqual({ region: { in: ['eu', 'uk'] } });
    const back = parseCompiledRegistry(json);
    expect(back.revision).toBe(reg.revision);
    const rel = back.environments.get('production')!.get('greet')!;
    expect(resolveRelease('greet', rel, { id: 'x', attributes: { plan: 'pro', seats: 6 } }).slice).toBe('rule:1');
    // Editing a rule inside the compiled file without rebuilding is caught by the revision.
    json.environments.production.greet.rules[1].version = 2;
    expect(() => parseCompiledRegistry(json)).toThrow(/revision/);
  });
});
