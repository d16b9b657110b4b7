import * as z from 'zod/mini';
import { ErrorCode, type RegistryIssue } from '../errors.js';
import { safeParse, zodIssuesAt } from '../internal/safe-data.js';
import { nameProblem } from './names.js';
import { percentProblem } from '../internal/percent.js';
import { readArms, readRules, readWhen } from './targeting.js';
import type { GuardSpec, PromptEntry, Release, Rollout, RolloutArm, TargetingRule, TargetingWhen } from './types.js';
import { FreezeYamlSchema, RampYamlFields, rampStepsProblem } from './ramp-model.js';
import { describeVersions } from './version-numbers.js';

/** Default samples per arm before a guard may judge. */
export const DEFAULT_MIN_SAMPLES = 500;
/** The release file's name inside a prompts folder. */
export const RELEASE_FILE = 'promptpin.yaml';

/** Refuses `v` from inside a transform with `message` (zod/mini transforms get the parse payload). */
function refuse(payload: z.core.ParsePayload, v: string, message: string): never {
  payload.issues.push({ code: 'custom', message, input: v });
  return z.NEVER;
}

const num = (unit: 'pp' | '%') =>
  z.pipe(
    z.union([z.number(), z.string()]),
    z.transform((v, payload) => {
      if (typeof v === 'number') return v;
      const m = new RegExp(`^\\s*[+-]?(\\d+(?:\\.\\d+)?)\\s*${unit === '%' ? '%' : 'pp'}\\s*$`).exec(v);
      if (!m) return refuse(payload, v, `"${v}" is not a threshold: write it like ${unit === 'pp' ? '0.5pp (percentage points)' : '25% (relative change)'}`);
      return Number(m[1]);
    }),
  );

/** A threshold with its unit: `0.5pp`, `10%`, or a plain number (the signal's own unit). */
const threshold = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((v, payload) => {
    if (typeof v === 'number') return { value: v, unit: undefined as 'pp' | '%' | undefined };
    const m = /^\s*[+-]?(\d+(?:\.\d+)?)\s*(pp|%)\s*$/.exec(v);
    if (!m) return refuse(payload, v, `"${v}" is not a threshold: write it like 0.5pp (percentage points, for a rate) or 10% (relative change, for a mean)`);
    return { value: Number(m[1]), unit: m[2] as 'pp' | '%' };
  }),
);

/** Kind of a signal: `rate` (a boolean per call; thresholds in pp) or `mean` (a number; thresholds in %). */
export type SignalKind = 'rate' | 'mean';

/** The built-in signals and their kinds (what `call` reads from results and `PromptOutcome` types). */
export const BUILTIN_SIGNALS: Readonly<Record<string, SignalKind>> = Object.freeze({
  refusal: 'rate',
  tool_call: 'rate',
  error: 'rate',
  output_tokens: 'mean',
  input_tokens: 'mean',
  latency_ms: 'mean',
  cost: 'mean',
});

const SIGNAL_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

const SignalsSchema = z.record(z.string().check(z.regex(SIGNAL_NAME, 'signal names use letters, digits, _ and .')), z.enum(['rate', 'mean'], { error: 'a signal is declared as rate (a boolean per call) or mean (a number per call)' }));

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/**
 * Why a guard cannot be judged against the known signals, or null: an unknown (e.g. misspelled)
 * signal, or a threshold unit that does not fit the signal's kind (pp on a mean, % on a rate).
 *
 * @param signals - the declared custom signals (`signals:` in promptpin.yaml); built-ins are always known.
 *   Pass `null` to skip the unknown-name check (a compiled registry, checked when it was built).
 */
export function guardSignalProblem(g: GuardSpec, signals: Readonly<Record<string, SignalKind>> | null): string | null {
  const kind = BUILTIN_SIGNALS[g.signal] ?? (signals !== null && Object.prototype.hasOwnProperty.call(signals, g.signal) ? signals[g.signal] : undefined);
  if (kind === undefined) {
    if (signals === null) return null;
    const known = [...Object.keys(BUILTIN_SIGNALS), ...Object.keys(signals)];
    const near = known.filter((k) => editDistance(k, g.signal) <= 2);
    return `guard signal "${g.signal}" is not a known signal${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : ''}: the built-in signals are ${Object.keys(BUILTIN_SIGNALS).join(', ')}; declare a custom one at the top of promptpin.yaml, e.g. signals: { ${g.signal}: rate }`;
  }
  const isMean = g.maxChange !== undefined || g.unit === '%';
  if (kind === 'rate' && isMean) {
    return `guard ${formatGuard(g)}: "${g.signal}" is a rate, so its threshold is in percentage points (e.g. ${g.signal}:+0.5pp), not a relative %`;
  }
  if (kind === 'mean' && !isMean) {
    return `guard ${formatGuard(g)}: "${g.signal}" is a mean, so its threshold is a relative change in % (e.g. ${g.signal}:+10% or ${g.signal}:25%), not percentage points`;
  }
  return null;
}

const positiveInt = () => z.number().check(z.int(), z.positive());

const GuardYamlSchema = z.strictObject({
  signal: z.string().check(
    z.regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'signal names use letters, digits, _ and .'),
    z.refine((s) => s !== 'segment', '"segment" is the outcome\'s segment label, not a signal: use by_segment: true on a guard to judge per segment'),
  ),
  max_increase: z.optional(threshold),
  max_decrease: z.optional(threshold),
  max_change: z.optional(num('%')),
  by_segment: z.optional(z.boolean()),
});

const RolloutYamlSchema = z.strictObject({
  // Exactly one of candidate + percent, or candidates (issue 15: checked in validateReleases).
  candidate: z.optional(positiveInt()),
  percent: z.optional(z.number().check(z.refine((p) => percentProblem(p) === null, { error: (issue) => percentProblem(issue.input) ?? undefined }))),
  candidates: z.optional(z.unknown()),
  when: z.optional(z.unknown()),
  salt: z.optional(z.string().check(z.minLength(1))),
  started: z.optional(z.string()),
  author: z.optional(z.string()),
  expected: z.string({ error: 'a rollout needs an expected: note naming the signal that should move and its direction' }),
  guards: z.array(GuardYamlSchema, { error: 'a rollout needs guards: at least one regression threshold' }),
  min_samples: z.optional(z.number().check(z.int(), z.gte(1))),
  window: z.optional(z.union([z.string(), z.number()])),
  on_breach: z.optional(z.enum(['rollback', 'alert'])),
  ...RampYamlFields,
});

const ReleaseYamlSchema = z.strictObject({
  stable: positiveInt(),
  rollout: z.optional(RolloutYamlSchema),
  overrides: z.optional(z.record(z.string(), positiveInt())),
  rules: z.optional(z.unknown()),
});

/** The fleet judge's settings (`promptpin judge` reads them; clients ignore them). */
const JudgeYamlSchema = z.strictObject({
  prometheus: z.optional(z.string().check(z.minLength(1))),
  publish: z.optional(z.string()),
  interval: z.optional(z.union([z.string(), z.number()])),
});

const ReleaseFileSchema = z.strictObject({
  signals: z.optional(SignalsSchema),
  judge: z.optional(JudgeYamlSchema),
  freeze: z.optional(FreezeYamlSchema),
  environments: z._default(z.record(z.string().check(z.minLength(1)), z.nullable(z.record(z.string(), ReleaseYamlSchema))), {}),
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
 * decrease), `output_tokens:25%` (max relative change either way), `latency_ms:+20%` / `-20%` (one-sided
 * relative change of a mean). Returns the guard or why it is invalid.
 */
export function parseGuardShorthand(text: string): GuardSpec | string {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*):([+-]?)(\d+(?:\.\d+)?)(pp|%)$/.exec(text.trim());
  if (!m) return `guard "${text}" is not of the form signal:+0.5pp, signal:-5pp or signal:25%`;
  const [, signal, sign, value, unit] = m as unknown as [string, string, string, string, string];
  if (signal === 'segment') return `guard "${text}": "segment" is the outcome's segment label, not a signal`;
  const n = Number(value);
  if (unit === '%') {
    if (!sign) return { signal, maxChange: n };
    if (sign === '-' && n >= 100) return `guard "${text}": a mean cannot fall by 100% or more`;
    return sign === '+' ? { signal, maxIncrease: n, unit: '%' } : { signal, maxDecrease: n, unit: '%' };
  }
  if (!sign) return `guard "${text}": say the direction of a pp guard: ${signal}:+${value}pp (max increase) or ${signal}:-${value}pp (max decrease)`;
  return sign === '+' ? { signal, maxIncrease: n } : { signal, maxDecrease: n };
}

/** Formats a guard back to its shorthand (`refusal:+0.5pp`). */
export function formatGuard(g: GuardSpec): string {
  const u = g.unit ?? 'pp';
  if (g.maxIncrease !== undefined) return `${g.signal}:+${g.maxIncrease}${u}`;
  if (g.maxDecrease !== undefined) return `${g.signal}:-${g.maxDecrease}${u}`;
  return `${g.signal}:${g.maxChange}%`;
}

const SIGNAL_WORDS =
  /\b(refus\w*|tool[\s_-]?call\w*|tools?|output|input|length|tokens?|latency|slow\w*|fast\w*|errors?|cost\w*|price|rate|share|accuracy|conversion\w*|resolution|escalat\w*|handoff\w*|satisfaction|csat|thumbs|retention|clicks?|hallucinat\w*|citations?|format\w*|json|words?|characters?|responses?|answers?|replies|reply)\b/i;
const DIRECTION_WORDS =
  /\b(increase\w*|decrease\w*|rise\w*|rising|falls?|falling|drops?|dropping|up|down|unchanged|flat|stable|same|steady|more|fewer|less|higher|lower|shorter|longer|grows?|shrinks?|reduc\w*|rais\w*|cuts?|halve\w*|doubl\w*|improv\w*|worse|better|[+-]\d)/i;
/** Words that name each built-in signal in a sentence. */
const SIGNAL_SYNONYMS: Readonly<Record<string, RegExp>> = {
  refusal: /\brefus\w*/i,
  tool_call: /\btool[\s_-]?call\w*|\btools?\b/i,
  error: /\berrors?\b|\bfail\w*/i,
  output_tokens: /\boutput\b|\blength\b|\btokens?\b|\blonger\b|\bshorter\b|\bverbos\w*/i,
  input_tokens: /\binput\b|\bprompt (size|length)\b|\btokens?\b/i,
  latency_ms: /\blatency\b|\bslow\w*|\bfast\w*|\bspeed\w*|\bresponse time\b/i,
  cost: /\bcost\w*|\bprice\b|\bspend\w*/i,
};

function namesSignal(text: string, signal: string): boolean {
  const lower = text.toLowerCase();
  if (lower.includes(signal.toLowerCase()) || lower.includes(signal.toLowerCase().replace(/[_.]/g, ' '))) return true;
  const syn = SIGNAL_SYNONYMS[signal];
  return syn !== undefined && syn.test(text);
}

const VAGUE = /^(should be better|better|improved?|improvements?|tweaks?|minor (change|tweak|fix)|fix|wip|test|tbd|todo|n\/a|none|-)\.?$/i;

/**
 * Returns why a rollout's `expected` note lacks substance, or null. A note of substance is at least
 * a sentence (20+ characters) that names a direction (falls, unchanged, +5%, …) and, when guards
 * are given, at least one of the rollout's guard signals (by name or a word for it: "refusals",
 * "output length", "latency" …); without guards, any signal word.
 */
export function expectedNoteProblem(note: string | undefined, guards: readonly GuardSpec[] = []): string | null {
  const text = (note ?? '').trim();
  const hint = 'say which signal should move and which way, e.g. "Output length falls 10–20%; refusal and tool-call rates unchanged."';
  if (text === '') return `the expected effect is missing: ${hint}`;
  if (VAGUE.test(text) || text.length < 20) return `the expected effect "${text}" is too vague: ${hint}`;
  if (guards.length > 0) {
    if (!guards.some((g) => namesSignal(text, g.signal))) {
      const names = [...new Set(guards.map((g) => g.signal))].join(', ');
      return `the expected effect "${text}" names no signal of the rollout's guards (${names}): say what should happen to them, e.g. "${guards[0]!.signal.replace(/_/g, ' ')} unchanged; …"`;
    }
  } else if (!SIGNAL_WORDS.test(text)) return `the expected effect "${text}" names no signal: ${hint}`;
  if (!DIRECTION_WORDS.test(text)) return `the expected effect "${text}" names no direction: ${hint}`;
  return null;
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
  options?: { readonly checkSignals?: boolean },
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
  const result = safeParse(ReleaseFileSchema, value);
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
  // promptpin.yaml: every guard signal must be built in or declared. A compiled registry was
  // checked when it was built, so unknown names pass there (units of built-ins are still checked).
  const declared: Readonly<Record<string, SignalKind>> | null = options?.checkSignals ? (result.data.signals ?? {}) : (result.data.signals ?? null);
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
      // Targeting and n-arm experiments (issue 15, ./targeting.ts): present only when written.
      const missingVersion = (v: number): string | null => (entry.versions.has(v) ? null : `v${v} is not a version of "${name}" (${known})`);
      const at = (m: string, path: string[]): void => problem(m, path);
      let rules: TargetingRule[] | undefined;
      if (raw.rules !== undefined) rules = readRules(raw.rules, missingVersion, at);
      let arms: RolloutArm[] | undefined;
      let when: TargetingWhen | undefined;
      if (raw.rollout) {
        const r0 = raw.rollout;
        const classic = r0.candidate !== undefined || r0.percent !== undefined;
        if (r0.candidates !== undefined && classic) problem('a rollout has either candidate + percent or candidates: [{ version, percent }, …], not both', ['rollout']);
        else if (r0.candidates !== undefined) arms = readArms(r0.candidates, raw.stable, missingVersion, at);
        else if (r0.candidate === undefined || r0.percent === undefined) problem(`a rollout needs candidate: N and percent: P (or candidates: [{ version, percent }, …])`, ['rollout', r0.candidate === undefined ? 'candidate' : 'percent']);
        if (r0.when !== undefined) when = readWhen(r0.when, at, ['rollout', 'when']);
      }
      let rollout: Rollout | undefined;
      if (raw.rollout && (arms !== undefined || (raw.rollout.candidate !== undefined && raw.rollout.percent !== undefined))) {
        const r = { ...raw.rollout, candidate: arms ? arms[0]!.version : raw.rollout.candidate!, percent: arms ? Math.round(arms.reduce((t, a) => t + a.percent * 100, 0)) / 100 : raw.rollout.percent! };
        const before = issues.length;
        if (arms === undefined && !entry.versions.has(r.candidate)) problem(`candidate: ${r.candidate} names a missing version of "${name}" (${known})`, ['rollout', 'candidate']);
        if (arms === undefined && r.candidate === raw.stable) problem(`candidate and stable are both ${r.candidate}: a rollout needs a different candidate`, ['rollout', 'candidate']);
        const guards: GuardSpec[] = [];
        r.guards.forEach((g, i) => {
          const set = [g.max_increase, g.max_decrease, g.max_change].filter((x) => x !== undefined);
          const at = ['rollout', 'guards', String(i)];
          if (set.length !== 1) {
            problem('a guard sets exactly one of max_increase, max_decrease (pp for a rate, % for a mean) or max_change (%)', at);
            return;
          }
          const oneSided = g.max_increase ?? g.max_decrease;
          // A plain number takes the signal's own unit (pp for a rate, % for a mean).
          const kind = BUILTIN_SIGNALS[g.signal] ?? (Object.prototype.hasOwnProperty.call(declared ?? {}, g.signal) ? declared![g.signal] : undefined);
          const unit: 'pp' | '%' = g.max_change !== undefined ? '%' : (oneSided!.unit ?? (kind === 'mean' ? '%' : 'pp'));
          const t = g.max_change ?? oneSided!.value;
          if (!(t > 0) || (unit === 'pp' && t > 100) || (g.max_decrease !== undefined && unit === '%' && t >= 100)) {
            problem(`guard threshold ${t}${unit} is out of range: pp thresholds are in (0, 100], % thresholds are > 0 (a decrease < 100%)`, at);
            return;
          }
          const spec: GuardSpec = Object.freeze({
            signal: g.signal,
            ...(g.max_increase !== undefined ? { maxIncrease: t } : {}),
            ...(g.max_decrease !== undefined ? { maxDecrease: t } : {}),
            ...(g.max_change !== undefined ? { maxChange: t } : {}),
            ...(oneSided !== undefined && unit === '%' ? { unit: '%' as const } : {}),
            ...(g.by_segment ? { bySegment: true } : {}),
          });
          const bad = guardSignalProblem(spec, declared);
          if (bad) {
            problem(bad, [...at, 'signal']);
            return;
          }
          guards.push(spec);
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
        // Progressive ramp (issue 13): see ramp-model.ts.
        const rampBad = r.steps !== undefined ? rampStepsProblem(r.steps, r.percent) : null;
        if (rampBad) problem(rampBad, ['rollout', 'steps']);
        if (r.min_samples_per_step !== undefined && r.steps === undefined) problem('min_samples_per_step needs steps: (the ramp it applies to), e.g. steps: [1, 5, 25, 50]', ['rollout', 'min_samples_per_step']);
        // A frozen registry serves stable for everything: a rollout left in the file (a stale
        // edit, a merge) is checked but never served.
        if (issues.length === before && result.data.freeze === undefined) {
          rollout = Object.freeze({
            candidate: r.candidate,
            percent: r.percent,
            salt: r.salt ?? `${name}@${arms ? arms.map((a) => a.version).join('+') : r.candidate}`,
            ...(r.started !== undefined ? { started: r.started } : {}),
            ...(r.author !== undefined ? { author: r.author } : {}),
            expected: r.expected.trim(),
            guards: Object.freeze(guards),
            minSamples: r.min_samples ?? DEFAULT_MIN_SAMPLES,
            ...(windowMs !== undefined ? { windowMs } : {}),
            onBreach: (r.on_breach ?? 'rollback'),
            ...(arms !== undefined ? { arms: Object.freeze(arms) } : {}),
            ...(when !== undefined ? { when } : {}),
            ...(r.steps !== undefined ? { steps: Object.freeze([...r.steps]), minSamplesPerStep: r.min_samples_per_step ?? r.min_samples ?? DEFAULT_MIN_SAMPLES } : {}),
          });
        }
      }
      map.set(name, Object.freeze({ stable: raw.stable, ...(rollout ? { rollout } : {}), overrides, ...(rules !== undefined && rules.length > 0 ? { rules: Object.freeze(rules) } : {}) }));
    }
  }
  return { environments, issues };
}
