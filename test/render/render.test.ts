import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isPromptError, PromptRenderError } from '../../src/index.js';
import { compileTemplate, variablesSchema } from '../../src/render/compile.js';
import { parseTemplate } from '../../src/render/template.js';
import type { VariableSpec } from '../../src/registry/types.js';
import { fcParams } from '../support/property.js';

const spec = (s: Partial<VariableSpec> & Pick<VariableSpec, 'type'>): VariableSpec => ({ optional: false, ...s });

function compile(template: string, variables: Record<string, VariableSpec>) {
  return compileTemplate({ name: 'demo', version: 3, template, variables });
}

function renderError(fn: () => unknown): PromptRenderError {
  try {
    fn();
  } catch (err) {
    expect(isPromptError(err)).toBe(true);
    expect(err).toBeInstanceOf(PromptRenderError);
    return err as PromptRenderError;
  }
  throw new Error('expected a PromptRenderError');
}

describe('parseTemplate', () => {
  it('should make a text prompt without role blocks, trimming only the final newline', () => {
    const t = parseTemplate('\nLine one {{a}}\n\nLine two\n');
    expect(t.kind).toBe('text');
    expect(t.placeholders).toEqual(['a']);
    expect(compile('\nLine one {{a}}\n\nLine two\n', { a: spec({ type: 'string' }) }).render({ a: 'A' })).toBe('\nLine one A\n\nLine two');
  });

  it('should make chat messages from role blocks, trimming leading and trailing blank lines of each', () => {
    const tpl = '{{#system}}\n\n  Be brief.\n\n{{/system}}\n\n{{#user}}\n{{q}}\n   \n{{/user}}\n{{#assistant}}Sure.{{/assistant}}\n';
    const out = compile(tpl, { q: spec({ type: 'string' }) }).render({ q: 'Why?' });
    expect(out).toEqual([
      { role: 'system', content: '  Be brief.' },
      { role: 'user', content: 'Why?' },
      { role: 'assistant', content: 'Sure.' },
    ]);
  });

  it('should trim blank lines left at the edges of a role block by an empty variable, and nothing else', () => {
    const r = compile('{{#user}}\n{{history}}\nAsk: {{q}}\n{{tail}}\n{{/user}}', {
      history: spec({ type: 'string', optional: true, default: '' }),
      q: spec({ type: 'string' }),
      tail: spec({ type: 'string', optional: true, default: '' }),
    });
    expect(r.render({ q: 'why?' })).toEqual([{ role: 'user', content: 'Ask: why?' }]);
    expect(r.render({ q: 'why?', history: '  indented\n\nearlier', tail: 'bye  ' })).toEqual([{ role: 'user', content: '  indented\n\nearlier\nAsk: why?\nbye  ' }]);
    expect(r.render({ q: 'why?', history: '\n\n  \nreal' })).toEqual([{ role: 'user', content: 'real\nAsk: why?' }]);
  });

  it('should accept spaces inside braces and list placeholders once in first-use order', () => {
    expect(parseTemplate('{{ b }} {{a}} {{b}}').placeholders).toEqual(['b', 'a']);
  });
});

describe('render', () => {
  const vars = {
    name: spec({ type: 'string' }),
    plan: spec({ type: 'enum', values: ['free', 'pro'] }),
    count: spec({ type: 'integer' }),
    ratio: spec({ type: 'number', optional: true, default: 0.5 }),
    vip: spec({ type: 'boolean', optional: true }),
  };
  const tpl = '{{name}}|{{plan}}|{{count}}|{{ratio}}|{{vip}}';

  it('should insert values literally: never re-expanded, never escaped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const out = compile('<{{x}}>', { x: spec({ type: 'string' }) }).render({ x: value });
        expect(out).toBe(`<${value}>`);
      }),
      fcParams(),
    );
    expect(compile('{{x}} {{y}}', { x: spec({ type: 'string' }), y: spec({ type: 'string' }) }).render({ x: '{{y}}', y: '<b>&amp;' })).toBe('{{y}} <b>&amp;');
  });

  it('should apply defaults, stringify numbers and booleans', () => {
    const r = compile(tpl, vars);
    expect(r.render({ name: 'Ann', plan: 'pro', count: 3 })).toBe('Ann|pro|3|0.5|');
    expect(r.render({ name: 'Ann', plan: 'free', count: -1, ratio: 2.25, vip: false })).toBe('Ann|free|-1|2.25|false');
  });

  it('should name every bad variable and the prompt version, without echoing values', () => {
    const err = renderError(() => compile(tpl, vars).render({ name: 42, plan: 'gold', count: 1.5, vip: 'yes', nmae: 'x' } as never));
    expect(err.code).toBe(ErrorCode.INVALID_VARIABLES);
    expect(err.prompt).toBe('demo');
    expect(err.version).toBe(3);
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['count', 'name', 'nmae', 'plan', 'vip']);
    expect(err.message).not.toContain('gold');
    expect(err.message).toMatchInlineSnapshot(`
      "Invalid variables for "demo" v3:
        ✖ name: expected a string, got number
        ✖ plan: expected one of "free", "pro", got string
        ✖ count: expected an integer, got number
        ✖ vip: expected a boolean, got string
        ✖ nmae: not declared (declared: name, plan, count, ratio, vip); check the spelling or declare it in the .prompt file
      Pass every required variable with its declared type; see the variables: block of the .prompt file."
    `);
  });

  it('should report missing variables, and no variables at all', () => {
    const err = renderError(() => compile(tpl, vars).render(undefined));
    expect(err.issues.map((i) => `${i.variable}: ${i.message}`)).toEqual([
      'name: missing (required, a string)',
      'plan: missing (required, one of "free", "pro")',
      'count: missing (required, an integer)',
    ]);
    expect(compile('static', {}).render(undefined)).toBe('static');
  });

  it('should use only own properties: inherited or polluted values are never rendered', () => {
    const r = compile('Hi {{name}} {{opt}}', { name: spec({ type: 'string' }), opt: spec({ type: 'string', optional: true, default: 'D' }) });
    const inherited = Object.assign(Object.create({ name: 'INHERITED' }) as object, { bogus: 1 });
    const err = renderError(() => r.render(inherited as never));
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['bogus', 'name']);
    (Object.prototype as Record<string, unknown>).opt = 'POLLUTED';
    try {
      expect(r.render({ name: 'Ann' })).toBe('Hi Ann D');
    } finally {
      delete (Object.prototype as Record<string, unknown>).opt;
    }
  });

  it('should accept exactly what the zod schema accepts (fast path agrees with zod)', () => {
    const schema = variablesSchema(vars);
    const r = compile(tpl, vars);
    const value = fc.oneof(fc.string(), fc.constantFrom('free', 'pro'), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined), fc.constant(null));
    fc.assert(
      fc.property(fc.record({ name: value, plan: value, count: value, ratio: value, vip: value, extra: value }, { requiredKeys: [] }), (input) => {
        const zodOk = schema.safeParse(input).success;
        let ok = true;
        try {
          r.render(input);
        } catch (err) {
          expect(err).toBeInstanceOf(PromptRenderError);
          ok = false;
        }
        expect(ok).toBe(zodOk);
      }),
      fcParams({ numRuns: 2000 }),
    );
  });
});
