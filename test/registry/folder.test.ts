import { registryErrorOf } from '../support/errors.js';
import { describe, expect, it } from 'vitest';
import { checkFolder, compileFolder, folderFilesOf } from '../../src/authoring.js';
import { ErrorCode, parseCompiledRegistry, registryToJson } from '../../src/index.js';
import { formatLock } from '../../src/registry/lock.js';
import { nameProblem } from '../../src/registry/names.js';
import { GREET_ROLLOUT, GREET_V1, GREET_V2, greetFiles, promptFile, releaseYaml } from '../support/folders.js';

const folder = folderFilesOf;

function lockFor(files: Record<string, string>): string {
  const check = checkFolder(folder(files));
  const lock = new Map<string, Map<number, string>>();
  for (const v of check.versions) {
    if (!lock.has(v.name)) lock.set(v.name, new Map());
    lock.get(v.name)!.set(v.version, v.hash);
  }
  return formatLock(lock);
}

describe('compileFolder', () => {
  it('should compile a valid folder into a frozen registry with releases', () => {
    const reg = compileFolder(folder(greetFiles()));
    const greet = reg.prompts.get('greet')!;
    expect([...greet.versions.keys()]).toEqual([1, 2]);
    const release = reg.environments.get('production')!.get('greet')!;
    expect(release.stable).toBe(1);
    expect(release.rollout).toMatchObject({ candidate: 2, percent: 10, salt: 'greet@2', minSamples: 500, onBreach: 'rollback' });
    expect(release.rollout!.guards).toEqual([{ signal: 'refusal', maxIncrease: 0.5 }]);
    expect(Object.isFrozen(greet.versions.get(1))).toBe(true);
    expect(Object.isFrozen(greet.versions.get(1)!.variables)).toBe(true);
    expect(reg.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('should hash behaviour (template, variables, model, params) but not author or message', () => {
    const hashOf = (text: string) => compileFolder(folder({ 'p/1.prompt': text })).prompts.get('p')!.versions.get(1)!.hash;
    const base = hashOf(promptFile({ body: 'Hi.\n' }));
    expect(hashOf(promptFile({ body: 'Hi.\n', extra: 'author: someone\nmessage: why not\n' }))).toBe(base);
    expect(hashOf(promptFile({ body: 'Hi!\n' }))).not.toBe(base);
    expect(hashOf(promptFile({ body: 'Hi.\n', model: 'gpt-4o' }))).not.toBe(base);
    expect(hashOf(promptFile({ body: 'Hi.\n', extra: 'params: { temperature: 0.3 }\n' }))).not.toBe(base);
    // Key order and CRLF line endings are not behaviour.
    expect(hashOf(promptFile({ body: 'Hi.\n', extra: 'params: { a: 1, b: 2 }\n' }))).toBe(hashOf(promptFile({ body: 'Hi.\n', extra: 'params: { b: 2, a: 1 }\n' })));
    expect(hashOf(promptFile({ body: 'Hi.\n' }).replace(/\n/g, '\r\n'))).toBe(base);
  });

  it('should give equal content an equal revision', () => {
    expect(compileFolder(folder(greetFiles())).revision).toBe(compileFolder(folder(greetFiles())).revision);
    const other = { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('percent: 10', 'percent: 20') };
    expect(compileFolder(folder(other)).revision).not.toBe(compileFolder(folder(greetFiles())).revision);
  });

  it('should refuse an undeclared placeholder, naming file, line, prompt and version', () => {
    const err = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': promptFile({ variables: '  who: string', body: 'Hi {{who}}.\nBye {{whom}}.\n' }) })));
    expect(err.code).toBe(ErrorCode.INVALID_TEMPLATE);
    expect(err.file).toBe('greet/1.prompt');
    expect(err.prompt).toBe('greet');
    expect(err.version).toBe(1);
    expect(err.line).toBe(7);
    expect(err.message).toMatchInlineSnapshot(`"greet/1.prompt:7 (greet v1, field template): placeholder {{whom}} is not declared: add it under variables: (e.g. "whom: string")"`);
  });

  it('should refuse a required variable that the template never uses', () => {
    const err = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': promptFile({ variables: '  who: string\n  plan: string', body: 'Hi {{who}}.\n' }) })));
    expect(err.field).toBe('variables.plan');
    expect(err.message).toMatchInlineSnapshot(`"greet/1.prompt:5 (greet v1, field variables.plan): required variable "plan" is never used in the template: use {{plan}} or remove the declaration"`);
  });

  it('should refuse malformed templates with the line of the tag', () => {
    const cases: Array<[string, RegExp]> = [
      ['{{#system}}\nHi\n', /never closed/],
      ['{{#system}}\nHi\n{{/user}}\n', /closes \{\{#system\}\}/],
      ['{{#tool}}x{{/tool}}', /unknown role block "tool"/],
      ['Hello {{ 1abc }}', /unrecognized tag/],
      ['Hello\n{{#user}}x{{/user}}', /outside role blocks/],
      ['{{#user}}{{#system}}x{{/system}}{{/user}}', /do not nest/],
    ];
    for (const [body, pattern] of cases) {
      const err = registryErrorOf(() => compileFolder(folder({ 't/1.prompt': promptFile({ body }) })));
      expect(err.code).toBe(ErrorCode.INVALID_TEMPLATE);
      expect(err.message).toMatch(pattern);
      expect(err.line).toBeGreaterThanOrEqual(4);
    }
  });

  it('should refuse bad front matter: missing, unknown keys, bad variable declarations', () => {
    expect(registryErrorOf(() => compileFolder(folder({ 't/1.prompt': 'Hello' }))).message).toMatch(/missing front matter/);
    expect(registryErrorOf(() => compileFolder(folder({ 't/1.prompt': promptFile({ extra: 'modle: x\n' }) }))).message).toMatch(/unknown front-matter key\(s\) modle/);
    expect(registryErrorOf(() => compileFolder(folder({ 't/1.prompt': '---\nparams: {}\n---\nHi' }))).field).toBe('model');
    const badDefault = registryErrorOf(() => compileFolder(folder({ 't/1.prompt': promptFile({ variables: '  n: { type: integer, default: 1.5 }', body: '{{n}}' }) })));
    expect(badDefault.message).toMatch(/default 1.5 is not a valid integer/);
    const badEnum = registryErrorOf(() => compileFolder(folder({ 't/1.prompt': promptFile({ variables: '  n: { enum: [a, b], default: c }', body: '{{n}}' }) })));
    expect(badEnum.message).toMatch(/not a valid value of enum \[a, b\]/);
  });

  it('should require sequential versions and well-named files', () => {
    const gap = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'greet/3.prompt': GREET_V1 })));
    expect(gap.message).toMatch(/versions are sequential: greet has v3 but no v2/);
    const named = registryErrorOf(() => compileFolder(folder({ 'greet/draft.prompt': GREET_V1 })));
    expect(named.message).toMatch(/<prompt-name>\/<version>\.prompt/);
    const zero = registryErrorOf(() => compileFolder(folder({ 'greet/01.prompt': GREET_V1 })));
    expect(zero.file).toBe('greet/01.prompt');
  });

  it('should refuse release references to missing versions and prompts', () => {
    const err = registryErrorOf(() =>
      compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'promptpin.yaml': releaseYaml('  production:\n    greet:\n      stable: 3\n      overrides: { qa: 9 }\n    ghost: { stable: 1 }\n') })),
    );
    expect(err.issues.map((i) => i.message)).toEqual([
      'stable: 3 names a missing version of "greet" (known: 1)',
      'override for "qa" names missing version 9 (known: 1)',
      'release for unknown prompt "ghost": there is no ghost/ folder with .prompt files',
    ]);
    expect(err.issues[0]).toMatchObject({ file: 'promptpin.yaml', line: 4, prompt: 'greet', field: 'environments.production.greet.stable' });
  });

  it('should enforce rollout rules: percent range and precision, an expected note of substance, a guard', () => {
    const rollout = (lines: string) =>
      registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': releaseYaml(`  production:\n    greet:\n      stable: 1\n      rollout:\n${lines}`) })));
    const ok = '        candidate: 2\n        percent: 10\n        expected: Refusal rate unchanged, output length falls.\n        guards: [{ signal: refusal, max_increase: 0.5pp }]\n';
    // One percent rule, one message (src/registry/percent.ts), with the field and line it is at.
    for (const [bad, shown] of [['120', '120'], ['10.125', '10.125'], ['-0.5', '-0.5']] as const) {
      const err = rollout(ok.replace('percent: 10', `percent: ${bad}`));
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]).toMatchObject({
        file: 'promptpin.yaml',
        line: 7,
        field: 'environments.production.greet.rollout.percent',
        message: `percent ${shown} is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)`,
      });
    }
    expect(rollout(ok.replace('Refusal rate unchanged, output length falls.', 'should be better')).message).toMatch(/too vague/);
    expect(rollout(ok.replace('Refusal rate unchanged, output length falls.', 'We rewrote the intro paragraph entirely')).message).toMatch(/names no signal/);
    expect(rollout(ok.replace(/ {8}expected.*\n/, '')).message).toMatch(/expected: note/);
    expect(rollout(ok.replace('[{ signal: refusal, max_increase: 0.5pp }]', '[]')).message).toMatch(/at least one guard/);
    expect(rollout(ok.replace('max_increase: 0.5pp', 'max_increase: 0.5pp, max_change: 10%')).message).toMatch(/exactly one of/);
    expect(rollout(ok.replace('max_increase: 0.5pp', 'max_increase: half')).message).toMatch(/"half" is not a threshold/);
    expect(rollout(ok.replace('candidate: 2', 'candidate: 1')).message).toMatch(/both 1/);
    expect(rollout(`${ok}        window: forever\n`).message).toMatch(/window "forever" is not a duration/);
  });

  it('should refuse a released version edited in place (hash differs from the lock)', () => {
    const files = greetFiles();
    const lock = lockFor(files);
    expect(() => compileFolder(folder({ ...files, 'promptpin.lock': lock }))).not.toThrow();
    const edited = { ...files, 'greet/1.prompt': GREET_V1.replace('Be brief.', 'Be very brief.'), 'promptpin.lock': lock };
    const err = registryErrorOf(() => compileFolder(folder(edited)));
    expect(err.code).toBe(ErrorCode.VERSION_IMMUTABLE);
    expect(err.prompt).toBe('greet');
    expect(err.version).toBe(1);
    expect(err.message).toMatch(/^greet\/1\.prompt \(greet v1\): greet v1 was edited in place \(locked sha256:[0-9a-f]{12}, file now sha256:[0-9a-f]{12}\): restore v1 from git and publish the change as v3 \(promptpin publish greet\)$/);
  });

  it('should refuse a released version whose file was deleted, and load unlocked versions', () => {
    const files = greetFiles();
    const lock = lockFor(files);
    const { ['greet/2.prompt']: _gone, ...rest } = files;
    const err = registryErrorOf(() => compileFolder(folder({ ...rest, 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 1 }\n'), 'promptpin.lock': lock })));
    expect(err.message).toMatch(/greet v2 is released \(recorded in promptpin.lock\) but its file is missing/);
    const check = checkFolder(folder(files));
    expect(check.registry).not.toBeNull();
    expect(check.unlocked.map((u) => `${u.name}@${u.version}`)).toEqual(['greet@1', 'greet@2']);
  });

  it('should refuse, when a lock exists, a release that makes an unlocked version live', () => {
    const locked = lockFor({ 'greet/1.prompt': GREET_V1 });
    const err = registryErrorOf(() => compileFolder(folder({ ...greetFiles(), 'promptpin.lock': locked })));
    expect(err.message).toBe('promptpin.yaml (greet v2, field environments.production.greet): greet v2 is live in production but not recorded in promptpin.lock: lock it first (promptpin lock, or promptpin publish), so every live version is immutable');
    const stableOnly = { ...greetFiles(), 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 1 }\n'), 'promptpin.lock': locked };
    expect(() => compileFolder(folder(stableOnly))).not.toThrow();
  });

  it('should report every problem at once, not just the first', () => {
    const err = registryErrorOf(() => compileFolder(folder({ 'a/1.prompt': 'x', 'b/1.prompt': promptFile({ body: '{{y}}' }) })));
    expect(err.issues).toHaveLength(2);
    expect(err.message).toMatch(/^2 problems in the prompt registry:/);
  });
});

describe('hostile input', () => {
  it('should refuse unsafe prompt names', () => {
    for (const bad of ['../etc/passwd', '/abs', 'a\\b', 'a/../b', 'a\u0000b', 'new\nline', 'a//b', '', '.hidden', 'a/./b']) {
      expect(nameProblem(bad), bad).not.toBeNull();
    }
    for (const good of ['support-agent', 'billing/refund-agent', 'v2.prompt-x', 'A_b']) expect(nameProblem(good)).toBeNull();
    const err = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'promptpin.yaml': releaseYaml('  production:\n    "../greet": { stable: 1 }\n') })));
    expect(err.message).toMatch(/not a valid prompt name/);
  });

  it('should refuse __proto__, constructor and prototype-member keys by name, and pollute nothing', () => {
    const params = (key: string) => promptFile({ extra: `params:\n  ${key}: { polluted: yes }\n` });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const err = registryErrorOf(() => compileFolder(folder({ 'p/1.prompt': params(key) })));
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]).toMatchObject({ field: `params.${key}`, message: `params key "${key}" is not allowed: it names a JavaScript prototype member` });
    }
    for (const key of ['__proto__', 'valueOf', 'toString', 'constructor']) {
      const err = registryErrorOf(() => compileFolder(folder({ 'p/1.prompt': promptFile({ variables: `  ${key}: { type: string, optional: true }`, body: 'Hi' }) })));
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]!.message).toBe(`variable name "${key}" is not allowed: it names a JavaScript prototype member`);
    }
    const releaseErr = (yaml: string) => registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'promptpin.yaml': releaseYaml(yaml) })));
    expect(releaseErr('  production:\n    __proto__: { stable: 1 }\n').issues[0]!.message).toBe('"__proto__" is not a valid prompt name');
    expect(releaseErr('  production:\n    greet: { stable: 1, overrides: { __proto__: 1 } }\n').issues[0]!.message).toBe('an override unit id may not be "__proto__"');
    expect(releaseErr('  __proto__:\n    greet: { stable: 1 }\n').issues[0]!.message).toBe('an environment may not be named "__proto__"');
    const json = registryToJson(compileFolder(folder(greetFiles())));
    const hostile = JSON.parse(JSON.stringify(json).replace('"prompts":{', '"prompts":{"__proto__":{"versions":{}},'));
    expect(registryErrorOf(() => parseCompiledRegistry(hostile)).code).toBe(ErrorCode.INVALID_NAME);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).stable).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).versions).toBeUndefined();
  });

  it('should refuse "segment" as a guard signal (it is the segment label)', () => {
    const err = registryErrorOf(() =>
      compileFolder(folder({ ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('signal: refusal', 'signal: segment') })),
    );
    expect(err.message).toMatch(/"segment" is the outcome's segment label, not a signal/);
  });

  it('should bound YAML aliases, nesting and size', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    const err = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'promptpin.yaml': bomb })));
    expect(err.message).toMatch(/alias|resource exhaustion/i);
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(() => compileFolder(folder({ 'p/1.prompt': promptFile({ extra: `params: { x: ${deep} }\n` }) }))).toThrow(/nested deeper than 32/);
    const huge = promptFile({ body: 'x'.repeat(300 * 1024) });
    expect(() => compileFolder(folder({ 'p/1.prompt': huge }))).toThrow(/at most 262144/);
  });

  it('should never evaluate templates or values as code', () => {
    const reg = compileFolder(folder({ 'p/1.prompt': promptFile({ variables: '  x: string', body: '${process.exit(1)} {{x}} `{{x}}`' }) }));
    expect(reg.prompts.get('p')!.versions.get(1)!.template).toBe('${process.exit(1)} {{x}} `{{x}}`');
  });
});

describe('compiled registry', () => {
  it('should round-trip: folder → JSON → registry gives the same versions, releases and revision', () => {
    const reg = compileFolder(folder({ ...greetFiles(), 'other/1.prompt': promptFile({ extra: 'operation: text_completion\nprovider: openai\nparams: { temperature: 0.1 }\n' }) }));
    const json = JSON.parse(JSON.stringify(registryToJson(reg)));
    const back = parseCompiledRegistry(json);
    expect(back.revision).toBe(reg.revision);
    expect(registryToJson(back)).toEqual(registryToJson(reg));
    expect(back.prompts.get('other')!.versions.get(1)).toEqual(reg.prompts.get('other')!.versions.get(1));
  });

  it('should refuse a wrong schema version, a tampered hash and a mismatched revision', () => {
    const json = registryToJson(compileFolder(folder(greetFiles()))) as unknown as Record<string, any>;
    const err = registryErrorOf(() => parseCompiledRegistry({ ...json, schemaVersion: 3 }, 'https://cdn/registry.json'));
    expect(err.message).toMatchInlineSnapshot(`"https://cdn/registry.json (field schemaVersion): schemaVersion 3 is not supported (this promptpin reads 1 and 2): rebuild with a matching \`promptpin build\` or upgrade promptpin"`);
    const tampered = structuredClone(json);
    tampered.prompts.greet.versions['1'].template = tampered.prompts.greet.versions['1'].template.replace('Be brief.', 'Be evil.');
    expect(registryErrorOf(() => parseCompiledRegistry(tampered)).code).toBe(ErrorCode.VERSION_IMMUTABLE);
    const wrongRev = { ...json, revision: `sha256:${'0'.repeat(64)}` };
    expect(registryErrorOf(() => parseCompiledRegistry(wrongRev)).field).toBe('revision');
    expect(registryErrorOf(() => parseCompiledRegistry([])).message).toMatch(/JSON object/);
  });
});
