import { z } from 'zod';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { LIMITS, parseYamlSafely, YamlProblem, zodIssuesAt } from '../internal/safe-data.js';
import { nameProblem } from './names.js';
import type { BreachAction, GuardSpec, PromptEntry, Release, Rollout } from './types.js';
import { describeVersions } from './version-numbers.js';

/** Default samples per arm before a guard may judge. */
export const DEFAULT_MIN_SAMPLES = 500;
/** The release file's name inside a prompts folder. */
export const RELEASE_FILE = 'promptpin.yaml';

const num = (unit: 'pp' | '%') =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = new RegExp(`^\\s*[+-]?(\\d+(?:\\.\\d+)?)\\s*${unit === '%' ? '%' : 'pp'}\\s*$`).exec(v);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a threshold: write it like ${unit === 'pp' ? '0.5pp (percentage points)' : '25% (relative change)'}` });
      return z.NEVER;
    }
    return Number(m[1]);
  });

const GuardYamlSchema = z.strictObject({
  signal: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'signal names use letters, digits, _ and .')
    .refine((s) => s !== 'segment', '"segment" is the outcome\'s segment label, not a signal: use by_segment: true on a guard to judge per segment'),
  max_increase: num('pp').optional(),
  max_decrease: num('pp').optional(),
  max_change: num('%').optional(),
  by_segment: z.boolean().optional(),
});

const RolloutYamlSchema = z.strictObject({
  candidate: z.number().int().positive(),
  percent: z.number().min(0, 'percent is 0–100').max(100, 'percent is 0–100'),
  salt: z.string().min(1).optional(),
  started: z.string().optional(),
  author: z.string().optional(),
  expected: z.string({ error: 'a rollout needs an expected: note naming the signal that should move and its direction' }),
  guards: z.array(GuardYamlSchema, { error: 'a rollout needs guards: at least one regression threshold' }),
  min_samples: z.number().int().min(1).optional(),
  window: z.union([z.string(), z.number()]).optional(),
  on_breach: z.enum(['rollback', 'alert']).optional(),
});

const ReleaseYamlSchema = z.strictObject({
  stable: z.number().int().positive(),
  rollout: RolloutYamlSchema.optional(),
  overrides: z.record(z.string(), z.number().int().positive()).optional(),
});

const ReleaseFileSchema = z.strictObject({
  environments: z.record(z.string().min(1), z.record(z.string(), ReleaseYamlSchema).nullable()).default({}),
});

/** The raw (YAML-shaped) release file. */
export type ReleaseFileData = z.output<typeof ReleaseFileSchema>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optLine(line: number | undefined): { line?: number } {
  return line !== undefined ? { line } : {};
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Shortest rollout `window`: 1 ms. */
export const MIN_WINDOW_MS = 1;
/** Longest rollout `window`: 365 days. Check and every client refuse a longer one alike. */
export const MAX_WINDOW_MS = 365 * 86_400_000;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `24h`, `30m`, `7d`, `90s`, `500ms` (or a number of seconds) into milliseconds; null if invalid. */
export function parseDuration(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v * 1000 : null;
  const m = DURATION.exec(v.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * Parses the CLI guard shorthand: `refusal:+0.5pp` (max increase), `tool_call:-5pp` (max
 * decrease), `output_tokens:25%` (max relative change). Returns the guard or why it is invalid.
 */
export function parseGuardShorthand(text: string): GuardSpec | string {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*):([+-]?)(\d+(?:\.\d+)?)(pp|%)$/.exec(text.trim());
  if (!m) return `guard "${text}" is not of the form signal:+0.5pp, signal:-5pp or signal:25%`;
  const [, signal, sign, value, unit] = m as unknown as [string, string, string, string, string];
  if (signal === 'segment') return `guard "${text}": "segment" is the outcome's segment label, not a signal`;
  const n = Number(value);
  if (unit === '%') {
    if (sign) return `guard "${text}": a % guard is a two-sided relative change; write ${signal}:${value}%`;
    return { signal, maxChange: n };
  }
  if (!sign) return `guard "${text}": say the direction of a pp guard: ${signal}:+${value}pp (max increase) or ${signal}:-${value}pp (max decrease)`;
  return sign === '+' ? { signal, maxIncrease: n } : { signal, maxDecrease: n };
}

/** Formats a guard back to its shorthand (`refusal:+0.5pp`). */
export function formatGuard(g: GuardSpec): string {
  if (g.maxIncrease !== undefined) return `${g.signal}:+${g.maxIncrease}pp`;
  if (g.maxDecrease !== undefined) return `${g.signal}:-${g.maxDecrease}pp`;
  return `${g.signal}:${g.maxChange}%`;
}

const SIGNAL_WORDS =
  /\b(refus\w*|tool[\s_-]?call\w*|tools?|output|input|length|tokens?|latency|slow\w*|fast\w*|errors?|cost\w*|price|rate|share|accuracy|conversion\w*|resolution|escalat\w*|handoff\w*|satisfaction|csat|thumbs|retention|clicks?|hallucinat\w*|citations?|format\w*|json|words?|characters?|responses?|answers?|replies|reply)\b/i;
const DIRECTION_WORDS =
  /\b(increase\w*|decrease\w*|rise\w*|rising|falls?|falling|drops?|dropping|up|down|unchanged|flat|stable|same|steady|more|fewer|less|higher|lower|shorter|longer|grows?|shrinks?|reduc\w*|rais\w*|cuts?|halve\w*|doubl\w*|improv\w*|worse|better|[+-]\d)/i;
const VAGUE = /^(should be better|better|improved?|improvements?|tweaks?|minor (change|tweak|fix)|fix|wip|test|tbd|todo|n\/a|none|-)\.?$/i;

/**
 * Returns why a rollout's `expected` note lacks substance, or null. A note of substance is at least
 * a sentence (20+ characters) that names a signal (refusal, tool calls, output length, latency, …,
 * or one of the rollout's guard signals) and a direction (falls, unchanged, +5%, …).
 */
export function expectedNoteProblem(note: string | undefined, guards: readonly GuardSpec[] = []): string | null {
  const text = (note ?? '').trim();
  const hint = 'say which signal should move and which way, e.g. "Output length falls 10–20%; refusal and tool-call rates unchanged."';
  if (text === '') return `the expected effect is missing: ${hint}`;
  if (VAGUE.test(text) || text.length < 20) return `the expected effect "${text}" is too vague: ${hint}`;
  const namesGuardSignal = guards.some((g) => text.toLowerCase().includes(g.signal.toLowerCase().replace(/_/g, ' ')) || text.includes(g.signal));
  if (!namesGuardSignal && !SIGNAL_WORDS.test(text)) return `the expected effect "${text}" names no signal: ${hint}`;
  if (!DIRECTION_WORDS.test(text)) return `the expected effect "${text}" names no direction: ${hint}`;
  return null;
}

/** Parses and checks `promptpin.yaml` text against the known prompts. Returns releases plus issues. */
export function parseReleaseFile(
  text: string,
  prompts: ReadonlyMap<string, PromptEntry>,
  file: string = RELEASE_FILE,
): { environments: Map<string, Map<string, Release>>; issues: RegistryIssue[] } {
  const environments = new Map<string, Map<string, Release>>();
  const issues: RegistryIssue[] = [];
  let parsed;
  try {
    parsed = parseYamlSafely(text, LIMITS.configFileChars);
  } catch (e) {
    const p = e as YamlProblem;
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, message: `invalid YAML: ${p.message}`, ...(p.line !== undefined ? { line: p.line } : {}) });
    return { environments, issues };
  }
  const checked = validateReleases(parsed.value ?? {}, prompts, file, (path) => parsed.lineOf(path));
  issues.push(...checked.issues);
  return { environments: checked.environments, issues };
}

/**
 * Validates release data (the `promptpin.yaml` shape, also embedded in compiled registries)
 * against the known prompts.
 */
export function validateReleases(
  value: unknown,
  prompts: ReadonlyMap<string, PromptEntry>,
  file: string,
  lineOfPath?: (path: readonly (string | number)[]) => number | undefined,
): { environments: Map<string, Map<string, Release>>; issues: RegistryIssue[] } {
  const environments = new Map<string, Map<string, Release>>();
  const issues: RegistryIssue[] = [];
  const parsed = { lineOf: (path: readonly (string | number)[]) => lineOfPath?.(path) };
  // zod silently drops "__proto__" keys: refuse them first, so nothing is ignored without a word.
  const envs = (value as { environments?: unknown } | null)?.environments;
  if (isObject(envs)) {
    for (const env of Object.keys(envs)) {
      const releases = envs[env];
      const where = (...path: string[]) => ({ field: ['environments', ...path].join('.'), ...optLine(parsed.lineOf(['environments', ...path])) });
      if (env === '__proto__') issues.push({ code: ErrorCode.INVALID_CONFIG, file, message: 'an environment may not be named "__proto__"', ...where(env) });
      if (!isObject(releases)) continue;
      for (const name of Object.keys(releases)) {
        if (name === '__proto__') issues.push({ code: ErrorCode.INVALID_NAME, file, message: '"__proto__" is not a valid prompt name', ...where(env, name) });
        const overrides = (releases[name] as { overrides?: unknown } | null)?.overrides;
        if (isObject(overrides) && Object.prototype.hasOwnProperty.call(overrides, '__proto__')) {
          issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, message: 'an override unit id may not be "__proto__"', ...where(env, name, 'overrides') });
        }
      }
    }
    if (issues.length) return { environments, issues };
  }
  const result = ReleaseFileSchema.safeParse(value);
  if (!result.success) {
    issues.push(
      ...zodIssuesAt(result.error, {
        file,
        lineOf: (path) => parsed.lineOf(path),
        extra: (path) => (path[0] === 'environments' && path[2] !== undefined ? { prompt: path[2] } : {}),
      }),
    );
    return { environments, issues };
  }
  const lineOf = (path: (string | number)[]): { line?: number } => {
    const l = parsed.lineOf(path);
    return l !== undefined ? { line: l } : {};
  };
  for (const [env, releases] of Object.entries(result.data.environments)) {
    const map = new Map<string, Release>();
    environments.set(env, map);
    for (const [name, raw] of Object.entries(releases ?? {})) {
      const base = ['environments', env, name];
      const fieldOf = (...rest: string[]): string => [...base, ...rest].join('.');
      const problem = (message: string, rest: string[] = []): void => {
        issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, field: fieldOf(...rest), message, ...lineOf([...base, ...rest]) });
      };
      const badName = nameProblem(name);
      if (badName) {
        problem(`"${name}" is not a valid prompt name: ${badName}`);
        continue;
      }
      const entry = prompts.get(name);
      if (!entry) {
        problem(`release for unknown prompt "${name}": there is no ${name}/ folder with .prompt files`);
        continue;
      }
      const known = `known: ${describeVersions(entry.versions.keys())}`;
      if (!entry.versions.has(raw.stable)) problem(`stable: ${raw.stable} names a missing version of "${name}" (${known})`, ['stable']);
      const overrides = new Map<string, number>();
      for (const [unit, v] of Object.entries(raw.overrides ?? {})) {
        if (!entry.versions.has(v)) problem(`override for "${unit}" names missing version ${v} (${known})`, ['overrides', unit]);
        overrides.set(unit, v);
      }
      let rollout: Rollout | undefined;
      if (raw.rollout) {
        const r = raw.rollout;
        const before = issues.length;
        if (!entry.versions.has(r.candidate)) problem(`candidate: ${r.candidate} names a missing version of "${name}" (${known})`, ['rollout', 'candidate']);
        if (r.candidate === raw.stable) problem(`candidate and stable are both ${r.candidate}: a rollout needs a different candidate`, ['rollout', 'candidate']);
        if (Math.abs(r.percent * 100 - Math.round(r.percent * 100)) > 1e-9) problem(`percent ${r.percent} has more than two decimals`, ['rollout', 'percent']);
        const guards: GuardSpec[] = [];
        r.guards.forEach((g, i) => {
          const set = [g.max_increase, g.max_decrease, g.max_change].filter((x) => x !== undefined);
          if (set.length !== 1) {
            problem('a guard sets exactly one of max_increase (pp), max_decrease (pp) or max_change (%)', ['rollout', 'guards', String(i)]);
            return;
          }
          const t = set[0]!;
          if (!(t > 0) || (g.max_change === undefined && t > 100)) {
            problem(`guard threshold ${t} is out of range: pp thresholds are in (0, 100], % thresholds are > 0`, ['rollout', 'guards', String(i)]);
            return;
          }
          guards.push(
            Object.freeze({
              signal: g.signal,
              ...(g.max_increase !== undefined ? { maxIncrease: g.max_increase } : {}),
              ...(g.max_decrease !== undefined ? { maxDecrease: g.max_decrease } : {}),
              ...(g.max_change !== undefined ? { maxChange: g.max_change } : {}),
              ...(g.by_segment ? { bySegment: true } : {}),
            }),
          );
        });
        if (r.guards.length === 0) problem('a rollout needs at least one guard (e.g. { signal: refusal, max_increase: 0.5pp })', ['rollout', 'guards']);
        const note = expectedNoteProblem(r.expected, guards);
        if (note) problem(note, ['rollout', 'expected']);
        let windowMs: number | undefined;
        if (r.window !== undefined) {
          const w = parseDuration(r.window);
          if (w === null) problem(`window "${r.window}" is not a duration: write it like 24h, 30m or 7d`, ['rollout', 'window']);
          else if (!(w >= MIN_WINDOW_MS && w <= MAX_WINDOW_MS)) {
            // The compiled registry writes the window as `${ms}ms`: outside this range it would be
            // Infinity or exponent notation, which no client could read back.
            problem(`window "${r.window}" is out of range: a guard window is between 1ms and 365d. Write it like 24h, 30m or 7d`, ['rollout', 'window']);
          } else windowMs = w;
        }
        if (r.started !== undefined && Number.isNaN(Date.parse(r.started))) {
          problem(`started "${r.started}" is not an ISO-8601 time (e.g. 2026-11-20T15:00:00Z)`, ['rollout', 'started']);
        }
        if (issues.length === before) {
          rollout = Object.freeze({
            candidate: r.candidate,
            percent: r.percent,
            salt: r.salt ?? `${name}@${r.candidate}`,
            ...(r.started !== undefined ? { started: r.started } : {}),
            ...(r.author !== undefined ? { author: r.author } : {}),
            expected: r.expected.trim(),
            guards: Object.freeze(guards),
            minSamples: r.min_samples ?? DEFAULT_MIN_SAMPLES,
            ...(windowMs !== undefined ? { windowMs } : {}),
            onBreach: (r.on_breach ?? 'rollback') as BreachAction,
          });
        }
      }
      map.set(name, Object.freeze({ stable: raw.stable, ...(rollout ? { rollout } : {}), overrides }));
    }
  }
  return { environments, issues };
}
