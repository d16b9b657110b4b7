/**
 * The release file's targeting and n-arm shapes (issue 15), validated by hand so every problem
 * gets a message that says what to write: `rules:` (per environment → prompt), a rollout's
 * `when:` scope and its `candidates:` list. Work is bounded by the input: at most
 * {@link TARGETING_LIMITS} rules, conditions and values, each checked once.
 *
 * Pure: no I/O. `release-model.ts` calls these; `compiled.ts` writes them back with the `*ToJson`
 * functions (present only when present, so registries without them keep their revision).
 *
 * @module
 */
import { armRanges, MAX_ARMS } from '../internal/arms.js';
import type { AttributeValue, RolloutArm, TargetingCondition, TargetingOperator, TargetingRule, TargetingWhen } from './types.js';

/** Bounds on targeting input (per release). */
export const TARGETING_LIMITS = Object.freeze({ rules: 100, conditions: 16, values: 1000, valueChars: 1024 });

const OPERATORS: readonly TargetingOperator[] = ['eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists'];
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const RULE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Reports a problem at a path below the release (`['rules', '0', 'when']`). */
export type ProblemAt = (message: string, path: string[]) => void;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarProblem(v: unknown): string | null {
  if (typeof v === 'string') return v.length > TARGETING_LIMITS.valueChars ? `a value is at most ${TARGETING_LIMITS.valueChars} characters` : null;
  if (typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : 'a number must be finite';
  return `a value is a string, a number or a boolean, not ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`;
}

const keyOf = (v: AttributeValue): string => `${typeof v}:${String(v)}`;

/**
 * Validates a `when:` block: `{ attribute: value }` (equals), `{ attribute: [a, b] }` (one of), or
 * `{ attribute: { <op>: operand } }` with op one of eq, ne, in, not_in, gt, gte, lt, lte, exists.
 * @returns the frozen block, or undefined after reporting each problem.
 */
export function readWhen(raw: unknown, problem: ProblemAt, at: string[]): TargetingWhen | undefined {
  if (!isRecord(raw)) {
    problem('when: is a map of attribute → value, e.g. when: { plan: [pro, team], region: eu }', at);
    return undefined;
  }
  const names = Object.keys(raw);
  if (names.length > TARGETING_LIMITS.conditions) {
    problem(`when: has ${names.length} attributes; at most ${TARGETING_LIMITS.conditions}. Split it into several rules`, at);
    return undefined;
  }
  const conditions: TargetingCondition[] = [];
  let ok = true;
  for (const attribute of names) {
    const here = [...at, attribute];
    const bad = (m: string): void => {
      ok = false;
      problem(m, here);
    };
    if (!ATTRIBUTE_NAME.test(attribute) || attribute === '__proto__') {
      bad(`"${attribute.slice(0, 64)}" is not an attribute name: letters, digits, _ . and -, starting with a letter or _, at most 64 characters`);
      continue;
    }
    let v = raw[attribute];
    let op: TargetingOperator = Array.isArray(v) ? 'in' : 'eq';
    if (isRecord(v)) {
      const ops = Object.keys(v);
      if (ops.length !== 1 || !(OPERATORS as readonly string[]).includes(ops[0]!)) {
        bad(`${attribute}: ${ops.length === 1 ? `"${ops[0]!.slice(0, 32)}" is not an operator` : 'give exactly one operator'}: use one of ${OPERATORS.join(', ')}, e.g. { in: [pro, team] } or { gte: 3 }`);
        continue;
      }
      op = ops[0] as TargetingOperator;
      v = v[op];
    }
    let values: AttributeValue[];
    if (op === 'in' || op === 'not_in') {
      if (!Array.isArray(v) || v.length === 0 || v.length > TARGETING_LIMITS.values) {
        bad(`${attribute}: ${op} takes a list of 1 to ${TARGETING_LIMITS.values} values, e.g. [pro, team]`);
        continue;
      }
      const p = v.map(scalarProblem).find((x) => x !== null);
      if (p) {
        bad(`${attribute}: ${p}`);
        continue;
      }
      values = v as AttributeValue[];
    } else if (op === 'exists') {
      if (typeof v !== 'boolean') {
        bad(`${attribute}: exists takes true or false`);
        continue;
      }
      values = [v];
    } else if (op === 'eq' || op === 'ne') {
      const p = scalarProblem(v);
      if (p) {
        bad(`${attribute}: ${p}`);
        continue;
      }
      values = [v as AttributeValue];
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        bad(`${attribute}: ${op} compares numbers; give a finite number, e.g. { ${op}: 3 }`);
        continue;
      }
      values = [v];
    }
    conditions.push(Object.freeze({ attribute, op, values: Object.freeze(values), keys: new Set(values.map(keyOf)) }));
  }
  if (!ok) return undefined;
  return Object.freeze({ source: Object.freeze(structuredClone(raw)), conditions: Object.freeze(conditions) });
}

/** Validates `rules:`; `hasVersion` says whether a version exists (its message names the known ones). */
export function readRules(raw: unknown, hasVersion: (v: number) => string | null, problem: ProblemAt): TargetingRule[] | undefined {
  if (!Array.isArray(raw)) {
    problem('rules: is a list, e.g. rules: [{ when: { plan: [pro, team] }, version: 3 }]', ['rules']);
    return undefined;
  }
  if (raw.length > TARGETING_LIMITS.rules) {
    problem(`rules: has ${raw.length} rules; at most ${TARGETING_LIMITS.rules} per release`, ['rules']);
    return undefined;
  }
  const rules: TargetingRule[] = [];
  const names = new Set<string>();
  let ok = true;
  raw.forEach((r: unknown, i) => {
    const at = ['rules', String(i)];
    const bad = (m: string, path = at): void => {
      ok = false;
      problem(m, path);
    };
    if (!isRecord(r)) return bad('a rule is a map: { name?, when: { … }, version: N }');
    const extra = Object.keys(r).filter((k) => k !== 'name' && k !== 'when' && k !== 'version');
    if (extra.length) return bad(`unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k.slice(0, 32)}"`).join(', ')} in a rule: a rule has name (optional), when and version`);
    let name: string | undefined;
    if (r.name !== undefined) {
      if (typeof r.name !== 'string' || !RULE_NAME.test(r.name) || /^\d+$/.test(r.name)) return bad('a rule name uses letters, digits, _ . and - (1–64 characters, not only digits: those are rule indexes)', [...at, 'name']);
      if (names.has(r.name)) return bad(`two rules are named "${r.name}": names say which rule served (prompt.slice rule:${r.name}), so they are unique`, [...at, 'name']);
      names.add(r.name);
      name = r.name;
    }
    if (typeof r.version !== 'number' || !Number.isInteger(r.version) || r.version < 1) return bad('a rule needs version: N (a whole number ≥ 1)', [...at, 'version']);
    const missing = hasVersion(r.version);
    if (missing) bad(missing, [...at, 'version']);
    if (r.when === undefined) return bad('a rule needs when: { attribute: value }', at);
    const when = readWhen(r.when, problem, [...at, 'when']);
    if (when === undefined) {
      ok = false;
      return;
    }
    rules.push(Object.freeze({ ...(name !== undefined ? { name } : {}), slice: `rule:${name ?? i}` as const, when, version: r.version }));
  });
  return ok ? rules : undefined;
}

/**
 * Validates `candidates: [{ version, percent }, …]` (1 to 8 arms, distinct versions, none the
 * stable one, each percent within its lane: see `armRanges`).
 */
export function readArms(raw: unknown, stable: number, hasVersion: (v: number) => string | null, problem: ProblemAt): RolloutArm[] | undefined {
  const at = ['rollout', 'candidates'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_ARMS) {
    problem(`candidates: is a list of 1 to ${MAX_ARMS} entries { version: N, percent: P }`, at);
    return undefined;
  }
  const arms: RolloutArm[] = [];
  let ok = true;
  const seen = new Set<number>();
  raw.forEach((a: unknown, i) => {
    const here = [...at, String(i)];
    const bad = (m: string): void => {
      ok = false;
      problem(m, here);
    };
    if (!isRecord(a) || Object.keys(a).some((k) => k !== 'version' && k !== 'percent')) return bad('a candidate is { version: N, percent: P } (no other keys: the experiment has one salt)');
    const { version, percent } = a;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return bad('version: a whole number ≥ 1');
    if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) return bad('percent: a number from 0 to 100');
    if (Math.abs(percent * 100 - Math.round(percent * 100)) > 1e-9) return bad(`percent ${percent} has more than two decimals`);
    if (version === stable) return bad(`v${version} is the stable version: it is the control (arm 0), not a candidate`);
    if (seen.has(version)) return bad(`v${version} is listed twice: each candidate once`);
    seen.add(version);
    const missing = hasVersion(version);
    if (missing) return bad(missing);
    arms.push(Object.freeze({ version, percent }));
  });
  if (!ok) return undefined;
  try {
    armRanges(arms.map((a) => a.percent));
  } catch (err) {
    problem(`${(err as Error).message}: lower its percent, or run fewer candidates at once`, at);
    return undefined;
  }
  return arms;
}

/** The compiled-registry form of a `when:` block (as written). */
export function whenToJson(when: TargetingWhen): Record<string, unknown> {
  return structuredClone(when.source);
}

/** The compiled-registry form of `rules:`. */
export function rulesToJson(rules: readonly TargetingRule[]): Record<string, unknown>[] {
  return rules.map((r) => ({ ...(r.name !== undefined ? { name: r.name } : {}), when: whenToJson(r.when), version: r.version }));
}
