/**
 * The messages users read when a schema refuses input come partly from zod's English locale
 * (`Invalid input: expected number, received string`, `Too small: …`, `Unrecognized key: …`).
 * These snapshots were taken with zod's classic API before the runtime moved to `zod/mini`
 * (issue 10, the 50 KB budget): every message, field and line must read the same after the move.
 */
import { describe, expect, it } from 'vitest';
import { checkFolder, folderFilesOf } from '../../src/authoring.js';
import { parseCompiledRegistry, registryToJson, type RegistryIssue } from '../../src/index.js';
import { compileTemplate } from '../../src/render/compile.js';
import { compileFolder } from '../../src/registry/registry.js';
import { registryErrorOf } from '../support/errors.js';
import { GREET_V1, GREET_V2, promptFile, releaseYaml } from '../support/folders.js';

function lines(issues: readonly RegistryIssue[]): string[] {
  return issues.map((i) => `${i.file}${i.line !== undefined ? `:${i.line}` : ''} [${i.field ?? ''}] ${i.message}`);
}

function releaseIssues(body: string): string[] {
  return lines(checkFolder(folderFilesOf({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': body })).issues);
}

describe('zod-made messages stay word for word', () => {
  it('should word front-matter problems as before', () => {
    const files = {
      'a/1.prompt': '---\nmodel: 3\n---\nHi.\n',
      'b/1.prompt': '---\nprovider: ""\noperation: chat2\nparams: [1]\n---\nHi.\n',
      'c/1.prompt': promptFile({ variables: '  x: strin\n  y: { enum: [] }\n  z: { type: string, optional: yes }' }),
      'd/1.prompt': promptFile({ extra: 'examples: [1]\nauthor: 5\ncolour: red\n' }),
      'e/1.prompt': promptFile({ variables: '  x: { type: string, default: [1] }', body: 'Hi {{x}}.\n' }),
      'f/1.prompt': '---\nmodel: ""\n---\nHi.\n',
      'g/1.prompt': '---\n[1, 2]\n---\nHi.\n',
    };
    expect(lines(checkFolder(folderFilesOf(files)).issues)).toMatchInlineSnapshot(`
      [
        "a/1.prompt:2 [model] Invalid input: expected string, received number",
        "b/1.prompt:2 [model] Invalid input: expected string, received undefined",
        "b/1.prompt:2 [provider] Too small: expected string to have >=1 characters",
        "b/1.prompt:3 [operation] Invalid option: expected one of "chat"|"text_completion"",
        "b/1.prompt:4 [params] Invalid input: expected record, received array",
        "c/1.prompt:4 [variables.x] Invalid input",
        "c/1.prompt:5 [variables.y.enum] Too small: expected array to have >=1 items",
        "c/1.prompt:6 [variables.z] Invalid input",
        "d/1.prompt:4 [author] Invalid input: expected string, received number",
        "d/1.prompt:3 [examples.0] Invalid input: expected record, received number",
        "d/1.prompt:2 [(front matter)] unknown front-matter key(s) colour: allowed are model, provider, operation, params, variables, tools, output_schema, snippets, author, message, examples",
        "e/1.prompt:4 [variables.x] Invalid input",
        "f/1.prompt:2 [model] model is required (provider model id, e.g. gpt-4o-mini)",
        "g/1.prompt:2 [(front matter)] Invalid input: expected object, received array",
      ]
    `);
  });

  it('should word release-file problems as before', () => {
    expect(releaseIssues(releaseYaml('  production:\n    greet:\n      stable: "1"\n      overrides: { u1: 0, u2: 1.5 }\n'))).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:4 [environments.production.greet.stable] Invalid input: expected number, received string",
        "promptpin.yaml:5 [environments.production.greet.overrides.u1] Too small: expected number to be >0",
        "promptpin.yaml:5 [environments.production.greet.overrides.u2] Invalid input: expected int, received number",
      ]
    `);
    expect(
      releaseIssues(
        releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2.5
        percent: 200
        salt: ""
        min_samples: 0
        on_breach: page
        window: [1]
        extra: 1
`),
      ),
    ).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:6 [environments.production.greet.rollout.candidate] Invalid input: expected int, received number",
        "promptpin.yaml:7 [environments.production.greet.rollout.percent] percent 200 is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)",
        "promptpin.yaml:8 [environments.production.greet.rollout.salt] Too small: expected string to have >=1 characters",
        "promptpin.yaml:6 [environments.production.greet.rollout.expected] a rollout needs an expected: note naming the signal that should move and its direction",
        "promptpin.yaml:6 [environments.production.greet.rollout.guards] a rollout needs guards: at least one regression threshold",
        "promptpin.yaml:9 [environments.production.greet.rollout.min_samples] Too small: expected number to be >=1",
        "promptpin.yaml:11 [environments.production.greet.rollout.window] Invalid input",
        "promptpin.yaml:10 [environments.production.greet.rollout.on_breach] Invalid option: expected one of "rollback"|"alert"",
        "promptpin.yaml:6 [environments.production.greet.rollout] Unrecognized key: "extra"",
      ]
    `);
    expect(
      releaseIssues(
        releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: 10
        expected: Output length falls; refusal rate unchanged.
        guards:
          - { signal: segment, max_increase: 0.5pp }
          - { signal: "bad name", max_increase: abc }
          - { signal: refusal, max_change: 5pp }
          - { signal: refusal, max_decrease: [1], by_segment: 1, more: 2 }
          - 7
`),
      ),
    ).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:10 [environments.production.greet.rollout.guards.0.signal] "segment" is the outcome's segment label, not a signal: use by_segment: true on a guard to judge per segment",
        "promptpin.yaml:11 [environments.production.greet.rollout.guards.1.signal] signal names use letters, digits, _ and .",
        "promptpin.yaml:11 [environments.production.greet.rollout.guards.1.max_increase] "abc" is not a threshold: write it like 0.5pp (percentage points, for a rate) or 10% (relative change, for a mean)",
        "promptpin.yaml:12 [environments.production.greet.rollout.guards.2.max_change] "5pp" is not a threshold: write it like 25% (relative change)",
        "promptpin.yaml:13 [environments.production.greet.rollout.guards.3.max_decrease] Invalid input",
        "promptpin.yaml:13 [environments.production.greet.rollout.guards.3.by_segment] Invalid input: expected boolean, received number",
        "promptpin.yaml:13 [environments.production.greet.rollout.guards.3] Unrecognized key: "more"",
        "promptpin.yaml:14 [environments.production.greet.rollout.guards.4] Invalid input: expected object, received number",
      ]
    `);
    expect(releaseIssues('signals:\n  "bad name": rate\n  ok: median\nenvironments:\n  "": {}\n  staging: 5\n')).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:2 [signals.bad name] Invalid key in record",
        "promptpin.yaml:3 [signals.ok] a signal is declared as rate (a boolean per call) or mean (a number per call)",
        "promptpin.yaml:5 [environments.] Invalid key in record",
        "promptpin.yaml:6 [environments.staging] Invalid input: expected record, received number",
      ]
    `);
    expect(releaseIssues('environments: [1]\nother: 1\n')).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:1 [environments] Invalid input: expected record, received array",
        "promptpin.yaml:1 [(root)] Unrecognized key: "other"",
      ]
    `);
    expect(releaseIssues('- 1\n')).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:1 [(root)] Invalid input: expected object, received array",
      ]
    `);
    expect(releaseIssues(releaseYaml('  production:\n    greet:\n      stable: 1\n      rollout: { candidate: 2, percent: 10, guards: 3 }\n'))).toMatchInlineSnapshot(`
      [
        "promptpin.yaml:5 [environments.production.greet.rollout.expected] a rollout needs an expected: note naming the signal that should move and its direction",
        "promptpin.yaml:5 [environments.production.greet.rollout.guards] a rollout needs guards: at least one regression threshold",
      ]
    `);
  });

  it('should word lock-file problems as before', () => {
    const base = { 'greet/1.prompt': GREET_V1 };
    expect(lines(checkFolder(folderFilesOf({ ...base, 'promptpin.lock': 'lockVersion: 2\nprompts:\n  greet:\n    "01": abc\n    2: 5\n' })).issues)).toMatchInlineSnapshot(`
      [
        "promptpin.lock:1 [lockVersion] Invalid input: expected 1",
        "promptpin.lock:4 [prompts.greet.2] Invalid input: expected string, received number",
        "promptpin.lock:4 [prompts.greet.01] Invalid key in record",
      ]
    `);
    expect(lines(checkFolder(folderFilesOf({ ...base, 'promptpin.lock': 'prompts: 3\nextra: 1\n' })).issues)).toMatchInlineSnapshot(`
      [
        "promptpin.lock:1 [lockVersion] Invalid input: expected 1",
        "promptpin.lock:1 [prompts] Invalid input: expected record, received number",
        "promptpin.lock:1 [(root)] Unrecognized key: "extra"",
      ]
    `);
  });

  it('should word compiled-registry problems as before', () => {
    const json = registryToJson(compileFolder(folderFilesOf({ 'greet/1.prompt': GREET_V1 })));
    const bad = (edit: (j: Record<string, unknown>) => void) => {
      const copy = structuredClone(json) as unknown as Record<string, unknown>;
      edit(copy);
      return lines(registryErrorOf(() => parseCompiledRegistry(copy)).issues);
    };
    expect(bad((j) => ((j.revision = 'sha1:x'), (j.prompts = 5)))).toMatchInlineSnapshot(`
      [
        "registry.json [revision] Invalid string: must match pattern /^sha256:[0-9a-f]{64}$/",
        "registry.json [prompts] Invalid input: expected record, received number",
      ]
    `);
    expect(
      bad((j) => {
        const greet = (j.prompts as Record<string, Record<string, unknown>>).greet!;
        greet.extra = 1;
        greet.versions = { '01': { hash: 1 }, '2': 'x' };
      }),
    ).toMatchInlineSnapshot(`
      [
        "registry.json [prompts.greet.versions.2] Invalid input: expected object, received string",
        "registry.json [prompts.greet.versions.01] Invalid key in record",
        "registry.json [prompts.greet] Unrecognized key: "extra"",
      ]
    `);
    expect(
      bad((j) => {
        const v = (j.prompts as Record<string, { versions: Record<string, Record<string, unknown>> }>).greet!.versions['1']!;
        v.model = 5;
        v.variables = { who: 'text' };
      }),
    ).toMatchInlineSnapshot(`
      [
        "registry.json [model] Invalid input: expected string, received number",
        "registry.json [variables.who] Invalid input",
      ]
    `);
  });

  it('should word render problems outside the declared variables as before', () => {
    const t = compileTemplate({ name: 'p', version: 1, template: 'Hi {{who}}', variables: { who: { type: 'string', optional: false } } });
    const messageOf = (vars: unknown): string => {
      try {
        t.render(vars as never);
        return 'rendered';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(['x', 5, [1], null].map(messageOf)).toMatchInlineSnapshot(`
      [
        "Invalid variables for "p" v1:
        ✖ (variables): Invalid input: expected object, received string
      Pass every required variable with its declared type; see the variables: block of the .prompt file.",
        "Invalid variables for "p" v1:
        ✖ (variables): Invalid input: expected object, received number
      Pass every required variable with its declared type; see the variables: block of the .prompt file.",
        "Invalid variables for "p" v1:
        ✖ who: missing (required, a string)
        ✖ 0: not declared (declared: who); check the spelling or declare it in the .prompt file
      Pass every required variable with its declared type; see the variables: block of the .prompt file.",
        "Invalid variables for "p" v1:
        ✖ who: missing (required, a string)
      Pass every required variable with its declared type; see the variables: block of the .prompt file.",
      ]
    `);
  });
});

describe('zod/mini locale', () => {
  it("should leave an app's own zod locale in charge, as zod's classic API does", async () => {
    const z = await import('zod/mini');
    const t = compileTemplate({ name: 'p', version: 1, template: 'Hi {{who}}', variables: { who: { type: 'string', optional: false } } });
    const rootMessage = (): string => {
      try {
        t.render('x' as never);
        return 'rendered';
      } catch (err) {
        return (err as Error).message.split('\n')[1]!.trim();
      }
    };
    expect(rootMessage()).toBe('✖ (variables): Invalid input: expected object, received string');
    const before = z.config().localeError;
    z.config(z.locales.fr());
    try {
      expect(rootMessage()).toMatch(/^✖ \(variables\): Entrée invalide/);
    } finally {
      z.config({ localeError: before });
    }
    expect(rootMessage()).toBe('✖ (variables): Invalid input: expected object, received string');
  });
});
