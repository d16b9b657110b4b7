/**
 * BoundedCache (src/internal/lru.ts) replaced lru-cache on the runtime path (issue 10, size budget):
 * the caches of compiled templates (2,000 entries), validated compiled-registry versions (64 MB) and
 * parsed .prompt files (32 MB) rely on it staying bounded and evicting the least recently used.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/internal/lru.js';

describe('BoundedCache', () => {
  it('should evict the least recently used entry past max, a get counting as a use', () => {
    const c = new BoundedCache<string, number>({ max: 2 });
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.count]).toEqual([1, undefined, 3, 2]);
  });

  it('should bound the total size, replace a key without counting it twice, and skip an entry larger than maxSize', () => {
    const c = new BoundedCache<string, string>({ maxSize: 10, sizeOf: (v) => v.length });
    c.set('a', 'xxxx');
    c.set('b', 'yyyy');
    c.set('a', 'zzzz');
    expect([c.size, c.count]).toEqual([8, 2]);
    c.set('c', 'www');
    expect([c.get('b'), c.get('a'), c.get('c'), c.size]).toEqual([undefined, 'zzzz', 'www', 7]);
    c.set('huge', 'x'.repeat(11));
    expect([c.get('huge'), c.size, c.count]).toEqual([undefined, 7, 2]);
    c.set('a', 'x'.repeat(11));
    expect([c.get('a'), c.size]).toEqual([undefined, 3]);
  });

  it('should refuse bounds and sizes it cannot honour', () => {
    expect(() => new BoundedCache({ max: 0 })).toThrow(/max must be at least 1/);
    expect(() => new BoundedCache({ maxSize: 10 })).toThrow(/needs sizeOf/);
    const c = new BoundedCache<string, number>({ maxSize: 10, sizeOf: (v) => v });
    for (const bad of [-1, NaN, Infinity]) expect(() => c.set('k', bad)).toThrow(/sizeOf returned/);
    expect(c.count).toBe(0);
  });

  it('should behave like a reference LRU model under random operations (seeded)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }), size: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 60 }), (max, maxSize, ops) => {
        const c = new BoundedCache<number, number>({ max, maxSize, sizeOf: (v) => v });
        let model: Array<[number, number]> = []; // oldest first
        for (const o of ops) {
          if (o.kind === 'get') {
            const hit = model.find(([k]) => k === o.key);
            expect(c.get(o.key)).toBe(hit?.[1]);
            if (hit) model = [...model.filter(([k]) => k !== o.key), hit];
          } else if (o.kind === 'delete') {
            expect(c.delete(o.key)).toBe(model.some(([k]) => k === o.key));
            model = model.filter(([k]) => k !== o.key);
          } else {
            c.set(o.key, o.size);
            model = model.filter(([k]) => k !== o.key);
            if (o.size <= maxSize) model.push([o.key, o.size]);
            const total = () => model.reduce((s, [, v]) => s + v, 0);
            while (model.length > max || total() > maxSize) model.shift();
          }
          expect(c.count).toBe(model.length);
          expect(c.size).toBe(model.reduce((s, [, v]) => s + v, 0));
        }
      }),
      { seed: 10, numRuns: 300 },
    );
  });
});
