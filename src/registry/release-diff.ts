/**
 * What a change to `promptpin.yaml` changes for live traffic, and whether each such change was made
 * by the rules: `promptpin check --base <git ref>` runs this on a pull request, so that a release
 * flipped by hand, without its changelog line, is refused in CI.
 *
 * Pure: release-file and changelog text in, data out.
 */
import { LIMITS, canonicalJson } from '../internal/safe-data.js';
import { parseYamlSafely, type ParsedYaml } from '../internal/yaml.js';
import { parseChangelog, type ParsedChangelogEntry } from './changelog.js';
import { parseDuration, type SignalKind } from './release-model.js';

/**
 * The kinds of live change:
 * - `stable`: the stable version changed (a promote, a rollback to an older version).
 * - `release-added` / `release-removed`: a prompt is newly released in an environment, or no longer.
 * - `rollout-started` / `rollout-ended`: a rollout appeared or went away.
 * - `candidate`: a running rollout now rolls out another version.
 * - `percent`: a running rollout's share changed (a ramp, a pause).
 * - `rollout-rules`: a running rollout's guards, expected note, window, min samples, on-breach
 *   action, salt or start changed (loosening a threshold or restarting the count mid-rollout).
 */
export type LiveChangeKind = 'stable' | 'release-added' | 'release-removed' | 'rollout-started' | 'rollout-ended' | 'candidate' | 'percent' | 'rollout-rules';

/** One change of what an environment serves, between two release files. */
export interface LiveChange {
  readonly environment: string;
  readonly prompt: string;
  readonly kind: LiveChangeKind;
  /** What changed, for people: `stable v1 → v2`, `rollout v3 at 10% → 50%`. */
  readonly description: string;
  /** 1-based line in the new release file (of the changed field, or its nearest ancestor). */
  readonly line?: number;
  /** The YAML path of the changed field. */
  readonly field: string;
}

/** Why a live change is refused (see {@link liveChangeProblems}). */
export interface LiveChangeProblem {
  readonly change: LiveChange;
  readonly message: string;
}

const ROLLOUT_RULE_KEYS = ['guards', 'expected', 'window', 'min_samples', 'on_breach', 'salt', 'started'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Parses release text for comparison; `undefined`/empty text is an empty file. Throws YamlProblem. */
function parseRelease(text: string | undefined): ParsedYaml | null {
  if (text === undefined || text.trim() === '') return null;
  return parseYamlSafely(text, LIMITS.configFileChars);
}

function environmentsOf(value: unknown): Map<string, Map<string, Record<string, unknown>>> {
  const out = new Map<string, Map<string, Record<string, unknown>>>();
  const envs = isObject(value) ? own(value, 'environments') : undefined;
  if (!isObject(envs)) return out;
  for (const [env, releases] of Object.entries(envs)) {
    const map = new Map<string, Record<string, unknown>>();
    out.set(env, map);
    if (!isObject(releases)) continue;
    for (const [name, raw] of Object.entries(releases)) if (isObject(raw)) map.set(name, raw);
  }
  return out;
}

/** A value from the file, cut for a message (a hostile file may hold megabytes in one value). */
const clip = (t: string): string => (t.length > 80 ? `${t.slice(0, 77)}…` : t);
const show = (v: unknown): string => clip(v === undefined ? 'none' : typeof v === 'string' ? v : canonicalJson(v));

/**
 * The live changes from `baseText` to `headText` (two `promptpin.yaml` texts; `undefined` is a
 * file that does not exist, so everything in the other is new), in the new file's order.
 * Overrides (units pinned to a version, e.g. QA accounts) are not live changes.
 *
 * @throws YamlProblem when either text is not valid YAML (the caller says which file).
 */
export function diffReleases(baseText: string | undefined, headText: string | undefined): LiveChange[] {
  const base = parseRelease(baseText);
  const head = parseRelease(headText);
  const before = environmentsOf(base?.value);
  const after = environmentsOf(head?.value);
  const out: LiveChange[] = [];
  const add = (environment: string, prompt: string, kind: LiveChangeKind, description: string, rest: readonly string[], inHead: boolean): void => {
    const path = ['environments', environment, prompt, ...rest];
    const line = inHead ? head?.lineOf(path) : head?.lineOf(['environments', environment]);
    out.push({ environment, prompt, kind, description, field: path.join('.'), ...(line !== undefined ? { line } : {}) });
  };
  const envNames = [...after.keys(), ...[...before.keys()].filter((e) => !after.has(e))];
  for (const env of envNames) {
    const b = before.get(env) ?? new Map<string, Record<string, unknown>>();
    const a = after.get(env) ?? new Map<string, Record<string, unknown>>();
    const names = [...a.keys(), ...[...b.keys()].filter((n) => !a.has(n))];
    for (const name of names) {
      const rb = b.get(name);
      const ra = a.get(name);
      if (!ra) {
        add(env, name, 'release-removed', `release removed (was stable v${show(rb && own(rb, 'stable'))})`, [], false);
        continue;
      }
      if (!rb) add(env, name, 'release-added', `newly released: stable v${show(own(ra, 'stable'))}`, ['stable'], true);
      else if (canonicalJson(own(rb, 'stable')) !== canonicalJson(own(ra, 'stable'))) add(env, name, 'stable', `stable v${show(own(rb, 'stable'))} → v${show(own(ra, 'stable'))}`, ['stable'], true);
      const ob = rb ? own(rb, 'rollout') : undefined;
      const oa = own(ra, 'rollout');
      const rollB = isObject(ob) ? ob : undefined;
      const rollA = isObject(oa) ? oa : undefined;
      if (!rollB && !rollA) continue;
      if (!rollB && rollA) {
        add(env, name, 'rollout-started', `rollout v${show(own(rollA, 'candidate'))} at ${show(own(rollA, 'percent'))}%`, ['rollout'], true);
        continue;
      }
      if (rollB && !rollA) {
        add(env, name, 'rollout-ended', `rollout of v${show(own(rollB, 'candidate'))} at ${show(own(rollB, 'percent'))}% ended`, [], true);
        continue;
      }
      const x = rollB!;
      const y = rollA!;
      if (canonicalJson(own(x, 'candidate')) !== canonicalJson(own(y, 'candidate'))) {
        add(env, name, 'candidate', `rollout candidate v${show(own(x, 'candidate'))} → v${show(own(y, 'candidate'))}`, ['rollout', 'candidate'], true);
      }
      if (canonicalJson(own(x, 'percent')) !== canonicalJson(own(y, 'percent'))) {
        add(env, name, 'percent', `rollout v${show(own(y, 'candidate'))} at ${show(own(x, 'percent'))}% → ${show(own(y, 'percent'))}%`, ['rollout', 'percent'], true);
      }
      const changed = ROLLOUT_RULE_KEYS.filter((k) => canonicalJson(own(x, k) ?? null) !== canonicalJson(own(y, k) ?? null));
      if (changed.length) add(env, name, 'rollout-rules', `rollout ${changed.join(', ')} changed while it runs`, ['rollout', changed[0]!], true);
    }
  }
  return out;
}

/** Options of {@link liveChangeProblems}. */
export interface LiveChangeCheckInput {
  /** `promptpin.yaml` at the base (`undefined`: absent there, so every release is new). */
  readonly baseRelease: string | undefined;
  /** `promptpin.yaml` now. */
  readonly headRelease: string | undefined;
  /** `CHANGELOG.md` at the base (`undefined`: absent). */
  readonly baseChangelog: string | undefined;
  /** `CHANGELOG.md` now. */
  readonly headChangelog: string | undefined;
}

function entryKey(e: ParsedChangelogEntry): string {
  return canonicalJson([e.date, e.author, e.prompt, e.environment, e.change, e.why, e.expected]);
}

/**
 * The rule of a pull request: every live change of a prompt in an environment comes with its
 * changelog line, a line for that prompt and environment that the base did not have and that is
 * not older than the base's newest line for them (what `promptpin rollout|ramp|promote|rollback`
 * write). A rollout that starts or changes candidate also needs the expected note on that line.
 * The new file's own rules (guards, expected note, declared signals) are the loader's: run
 * `checkFolder` beside this.
 *
 * @returns the refused changes (empty when every change is logged) and every live change.
 * @throws YamlProblem when either release text is not valid YAML.
 */
export function liveChangeProblems(input: LiveChangeCheckInput): { readonly changes: readonly LiveChange[]; readonly problems: readonly LiveChangeProblem[] } {
  const changes = diffReleases(input.baseRelease, input.headRelease);
  const baseEntries = parseChangelog(input.baseChangelog);
  const baseKeys = new Set(baseEntries.map(entryKey));
  const newest = new Map<string, number>();
  for (const e of baseEntries) {
    const k = `${e.environment}\n${e.prompt}`;
    newest.set(k, Math.max(newest.get(k) ?? -Infinity, Date.parse(e.date)));
  }
  // New lines, indexed by environment and prompt: the work stays linear in the two files' sizes.
  const added = new Map<string, ParsedChangelogEntry[]>();
  for (const e of parseChangelog(input.headChangelog)) {
    if (baseKeys.has(entryKey(e))) continue;
    const k = `${e.environment}\n${e.prompt}`;
    const list = added.get(k);
    if (list) list.push(e);
    else added.set(k, [e]);
  }
  const problems: LiveChangeProblem[] = [];
  const groups = new Map<string, LiveChange[]>();
  for (const c of changes) {
    const k = `${c.environment}\n${c.prompt}`;
    const list = groups.get(k);
    if (list) list.push(c);
    else groups.set(k, [c]);
  }
  for (const [k, group] of groups) {
    const environment = clip(group[0]!.environment);
    const prompt = clip(group[0]!.prompt);
    const floor = newest.get(k) ?? -Infinity;
    const lines = (added.get(k) ?? []).filter((e) => Date.parse(e.date) >= floor);
    const what = group.map((c) => c.description).join('; ');
    if (lines.length === 0) {
      problems.push({
        change: group[0]!,
        message: `"${prompt}" in ${environment}: ${what}, without its changelog line: a live change is made with promptpin (rollout, ramp, promote, rollback), which writes the line, or comes with a CHANGELOG.md line for ${prompt} in ${environment} saying who changed what and why`,
      });
      continue;
    }
    const starts = group.find((c) => c.kind === 'rollout-started' || c.kind === 'candidate');
    if (starts && !lines.some((e) => e.expected.trim() !== '')) {
      problems.push({
        change: starts,
        message: `"${prompt}" in ${environment}: ${starts.description}: its changelog line (CHANGELOG.md:${lines[0]!.line}) has no expected effect: copy the rollout's expected: note into the Expected cell`,
      });
    }
  }
  return { changes, problems };
}

/** The rollout fields {@link rolloutStaleness} reads. */
export interface RolloutTiming {
  readonly started?: string;
  readonly window?: string | number;
}

/**
 * When a rollout's guard `window` closed, if it has: `{ since }` (ISO time) when `now` is past
 * `started + window`, else null (no window, no start, or still open). A rollout past its window
 * is no longer guarded; it stays stale until someone promotes or rolls back.
 */
export function rolloutStaleness(rollout: RolloutTiming, now: Date): { readonly since: string } | null {
  if (rollout.started === undefined || rollout.window === undefined) return null;
  const start = Date.parse(rollout.started);
  const w = parseDuration(rollout.window);
  if (Number.isNaN(start) || w === null) return null;
  const end = start + w;
  return now.getTime() > end ? { since: new Date(end).toISOString().replace(/\.\d{3}Z$/, 'Z') } : null;
}

/**
 * The custom signals declared in `promptpin.yaml` text (`signals: { name: rate | mean }`); entries
 * of another shape are left out (the loader reports them). Empty when the text cannot be read.
 */
export function declaredSignals(text: string | undefined): Readonly<Record<string, SignalKind>> {
  let value: unknown;
  try {
    value = parseRelease(text)?.value;
  } catch {
    return {};
  }
  const raw = isObject(value) ? own(value, 'signals') : undefined;
  const out: Record<string, SignalKind> = {};
  if (isObject(raw)) for (const [k, v] of Object.entries(raw)) if (k !== '__proto__' && (v === 'rate' || v === 'mean')) out[k] = v;
  return out;
}
