/**
 * Targeting: does a unit's attributes satisfy a `when:` block, and which rule serves it. Pure, no
 * allocation; work per call is O(rules × conditions), each condition O(1) (set lookups), whatever
 * the size of the attributes object (only the attributes the rules name are read).
 *
 * @module
 */
import type { TargetingCondition, TargetingRule, TargetingWhen } from '../registry/types.js';

/** A unit's attributes as `get` receives them; values other than string/finite number/boolean are treated as absent. */
export type UnitAttributes = Readonly<Record<string, unknown>>;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function valueOf(attributes: UnitAttributes | undefined, name: string): string | number | boolean | undefined {
  if (attributes === undefined || attributes === null || typeof attributes !== 'object' || !hasOwn(attributes, name)) return undefined;
  const v = attributes[name];
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/** True when one condition holds. A missing attribute satisfies only `exists: false`. */
export function conditionHolds(c: TargetingCondition, attributes: UnitAttributes | undefined): boolean {
  const v = valueOf(attributes, c.attribute);
  if (c.op === 'exists') return (v !== undefined) === c.values[0];
  if (v === undefined) return false;
  switch (c.op) {
    case 'eq':
    case 'in':
      return c.keys.has(`${typeof v}:${String(v)}`);
    case 'ne':
    case 'not_in':
      return !c.keys.has(`${typeof v}:${String(v)}`);
    default: {
      if (typeof v !== 'number') return false;
      const t = c.values[0] as number;
      return c.op === 'gt' ? v > t : c.op === 'gte' ? v >= t : c.op === 'lt' ? v < t : v <= t;
    }
  }
}

/** True when every condition of `when` holds (an empty block matches everyone). */
export function whenMatches(when: TargetingWhen, attributes: UnitAttributes | undefined): boolean {
  const cs = when.conditions;
  for (let i = 0; i < cs.length; i++) if (!conditionHolds(cs[i]!, attributes)) return false;
  return true;
}

/** Index of the first rule whose `when` matches, or -1. */
export function firstMatchingRule(rules: readonly TargetingRule[], attributes: UnitAttributes | undefined): number {
  for (let i = 0; i < rules.length; i++) if (whenMatches(rules[i]!.when, attributes)) return i;
  return -1;
}
