/**
 * Issue 9, item 9b: an `integer` variable accepted unsafe integers (2^53, 1e21) on the fast
 * `typeof` path of render and refused them on the zod path. One validation, one answer: the two
 * paths must agree on every number, and `render` must say the same whichever path it takes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTemplate, variablesSchema } from '../../src/render/compile.js';

const EDGES = [2 ** 53, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53), -(2 ** 53 - 1), -0, 0, NaN, Infinity, -Infinity, 1e21, -1e21, 1e300, 0.5, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON];
const numbers = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.integer({ min: -8, max: 8 }).map((d) => 2 ** 53 + d),
  fc.integer({ min: -8, max: 8 }).map((d) => -(2 ** 53) + d),
  fc.double(),
  fc.integer(),
  fc.maxSafeInteger(),
);

function template(type: 'integer' | 'number') {
  const version = { name: 'p', version: 1, template: 'n={{n}}', variables: { n: { type, optional: false } } } as const;
  return { compiled: compileTemplate(version as never), schema: variablesSchema(version.variables as never) };
}

function renders(compiled: ReturnType<typeof compileTemplate>, vars: unknown): string | 'refused' {
  try {
    return compiled.render(vars as never) as string;
  } catch (err) {
    expect((err as { code?: string }).code).toBe('INVALID_VARIABLES');
    return 'refused';
  }
}

describe('integer and number variables: the fast path and the schema give one answer', () => {
  it.each(['integer', 'number'] as const)('should agree for %s variables on integers near 2^53, -0, NaN, Infinity, 1e21, floats (seeded)', (type) => {
    const { compiled, schema } = template(type);
    fc.assert(
      fc.property(numbers, (v) => {
        const bySchema = schema.safeParse({ n: v }).success;
        const fast = renders(compiled, { n: v });
        expect(fast === 'refused').toBe(!bySchema);
        if (bySchema) expect(fast).toBe(`n=${String(v)}`);
        if (type === 'integer') expect(bySchema).toBe(Number.isSafeInteger(v));
      }),
      { seed: 53, numRuns: 1000 },
    );
  });

  it('should refuse 2^53 for an integer with a message naming the variable', () => {
    const { compiled } = template('integer');
    expect(() => compiled.render({ n: 2 ** 53 } as never)).toThrow(/n/);
    expect(compiled.render({ n: 2 ** 53 - 1 } as never)).toBe('n=9007199254740991');
  });
});
