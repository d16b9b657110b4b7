/**
 * Edits of a prompts folder's files, as pure functions: release-file text in, release-file text out.
 * The `promptpin` CLI makes every change through these, and an `onBreach` handler can make the same
 * change (e.g. {@link rollbackRelease}) to flip a whole fleet. The release file is edited through
 * the `yaml` Document API, so comments, key order and flow/block styles in `promptpin.yaml` survive.
 *
 * These functions check the rules a change must follow (one rollout at a time, a rollout has an
 * expected note of substance and a guard, …) and throw `PromptError` `CHANGE_REFUSED` when it
 * breaks one. They do not know which versions exist or are locked: validate the folder after the
 * edit (`checkFolder`) before writing it, as the CLI does.
 */
import { isMap, isScalar, isSeq, stringify as yamlStringify, type Document, type YAMLMap } from 'yaml';
import { ErrorCode, PromptError } from '../errors.js';
import { LIMITS } from '../internal/safe-data.js';
import { parseYamlDocument, parseYamlSafely } from '../internal/yaml.js';
import { collapseLineBreaks, isLf, stripSuffixWithSpace } from '../internal/text.js';
import { formatLock, parseLock, type Lock } from './lock.js';
import { splitFrontMatter } from './prompt-file.js';
import { percentProblem } from '../internal/percent.js';
import { BUILTIN_SIGNALS, DEFAULT_MIN_SAMPLES, expectedNoteProblem, parseDuration } from './release.js';
import type { BreachAction, GuardSpec } from './types.js';
import { MAX_VERSION, versionNumberProblem } from './version-numbers.js';
import { assertNotFrozen } from './freeze-edit.js';
import { rampStepsProblem } from './ramp-model.js';

/** A rollout as written in `promptpin.yaml` (raw values, as read, not validated further). */
export interface RolloutSnapshot {
  readonly candidate: number;
  readonly percent: number;
  /** The salt as written; the effective default is `<name>@<candidate>`. */
  readonly salt?: string;
  readonly started?: string;
  readonly author?: string;
  readonly expected?: string;
  /** Guards in their shorthand form (`refusal:+0.5pp`). */
  readonly guards: readonly string[];
  readonly minSamples?: number;
  readonly window?: string;
  readonly onBreach?: string;
  /** n-arm experiments (`candidates:`): each arm; then `candidate` is arm 1 and `percent` the total. */
  readonly candidates?: readonly { readonly version: number; readonly percent: number }[];
  /** Progressive ramp steps, as written. */
  readonly steps?: readonly number[];
  readonly minSamplesPerStep?: number;
}

/** One prompt's release in one environment, as written in `promptpin.yaml`. */
export interface ReleaseSnapshot {
  readonly stable: number | undefined;
  readonly rollout?: RolloutSnapshot;
  /** Unit id → pinned version. */
  readonly overrides: Readonly<Record<string, number>>;
}

/** A release with its environment and prompt name (see {@link listReleases}). */
export interface ReleaseListing {
  readonly environment: string;
  readonly prompt: string;
  readonly release: ReleaseSnapshot;
}

/** Options of {@link startRollout}. */
export interface StartRolloutOptions {
  /** The version to roll out; it must be released (recorded in the lock). */
  readonly candidate: number;
  /** Share of units on the candidate, 0–100 with at most two decimals. */
  readonly percent: number;
  /** The expected effect: which signal should move, and which way. Required. */
  readonly expected: string;
  /** Regression thresholds, decided now. At least one. */
  readonly guards: readonly GuardSpec[];
  /** Who starts the rollout. */
  readonly author: string;
  /** ISO-8601 start time (guards judge within `window` after it). */
  readonly started: string;
  /** Bucketing salt. @defaultValue `<name>@<candidate>` */
  readonly salt?: string;
  /** Samples per arm before a guard may judge. @defaultValue 500 */
  readonly minSamples?: number;
  /** How long guards judge after `started`, e.g. `24h`. @defaultValue unset: guards judge for the whole rollout */
  readonly window?: string;
  /** What a tripped guard does. @defaultValue 'rollback' */
  readonly onBreach?: BreachAction;
  /** Progressive ramp: ascending percents, `percent` one of them. @defaultValue unset: no ramp */
  readonly steps?: readonly number[];
  /** Candidate samples per step before it may advance. @defaultValue `minSamples` */
  readonly minSamplesPerStep?: number;
}

/** Options of {@link rollbackRelease}. */
export interface RollbackOptions {
  /**
   * Set `stable` to this version (and end any rollout). Without it, the rollout is removed and the
   * current stable serves everyone.
   */
  readonly to?: number;
  /**
   * Only roll back the rollout of this candidate: when the running rollout has another candidate,
   * or none (already rolled back or promoted by another instance), the text is returned unchanged.
   * Makes the edit idempotent for `onBreach` handlers of a fleet.
   */
  readonly candidate?: number;
}

function refuse(message: string): never {
  throw new PromptError(ErrorCode.CHANGE_REFUSED, message);
}

function releaseLabel(env: string, name: string): string {
  return `"${name}" in ${env}`;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function guardText(g: unknown): string {
  if (typeof g !== 'object' || g === null) return String(g);
  const r = g as Record<string, unknown>;
  const signal = str(r.signal) ?? '?';
  const sign = (v: unknown): string => (str(v) ?? '?').trim().replace(/^[+-]/, '');
  // Not /\s*(pp|%)$/: that backtracked quadratically over a long run of spaces.
  const value = (v: unknown): string => {
    const t = sign(v);
    return stripSuffixWithSpace(t, t.endsWith('pp') ? 'pp' : '%');
  };
  // A one-sided guard keeps the unit it was written in (`max_increase: 10%` on a mean is `+10%`);
  // a plain number takes the signal's own unit (pp for a rate, % for a built-in mean).
  const unit = (v: unknown): string => {
    const t = (str(v) ?? '').trim();
    if (t.endsWith('%')) return '%';
    if (t.endsWith('pp')) return 'pp';
    return BUILTIN_SIGNALS[signal] === 'mean' ? '%' : 'pp';
  };
  if (r.max_increase !== undefined) return `${signal}:+${value(r.max_increase)}${unit(r.max_increase)}`;
  if (r.max_decrease !== undefined) return `${signal}:-${value(r.max_decrease)}${unit(r.max_decrease)}`;
  if (r.max_change !== undefined) return `${signal}:${value(r.max_change)}%`;
  return signal;
}

function snapshotOf(raw: unknown): ReleaseSnapshot | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const overrides: Record<string, number> = {};
  if (typeof r.overrides === 'object' && r.overrides !== null) {
    for (const [k, v] of Object.entries(r.overrides)) {
      const n = num(v);
      if (n !== undefined) overrides[k] = n;
    }
  }
  let rollout: RolloutSnapshot | undefined;
  if (typeof r.rollout === 'object' && r.rollout !== null) {
    const o = r.rollout as Record<string, unknown>;
    // The n-arm form (issue 15): arm 1 stands for the candidate, the total for the percent.
    const list = Array.isArray(o.candidates) ? o.candidates.map((a: unknown) => ({ version: num((a as { version?: unknown } | null)?.version), percent: num((a as { percent?: unknown } | null)?.percent) })) : undefined;
    const candidates = list && list.length > 0 && list.every((a) => a.version !== undefined && a.percent !== undefined) ? (list as { version: number; percent: number }[]) : undefined;
    const candidate = candidates ? candidates[0]!.version : num(o.candidate);
    const percent = candidates ? Math.round(candidates.reduce((t, a) => t + a.percent * 100, 0)) / 100 : num(o.percent);
    if (candidate !== undefined && percent !== undefined) {
      const salt = str(o.salt);
      const started = str(o.started);
      const author = str(o.author);
      const expected = str(o.expected);
      const minSamples = num(o.min_samples);
      const window = str(o.window);
      const onBreach = str(o.on_breach);
      const steps = Array.isArray(o.steps) && o.steps.every((x) => num(x) !== undefined) ? (o.steps as number[]) : undefined;
      const minSamplesPerStep = num(o.min_samples_per_step);
      rollout = {
        candidate,
        percent,
        ...(salt !== undefined ? { salt } : {}),
        ...(started !== undefined ? { started } : {}),
        ...(author !== undefined ? { author } : {}),
        ...(expected !== undefined ? { expected: expected.trim() } : {}),
        guards: Array.isArray(o.guards) ? o.guards.map(guardText) : [],
        ...(minSamples !== undefined ? { minSamples } : {}),
        ...(window !== undefined ? { window } : {}),
        ...(onBreach !== undefined ? { onBreach } : {}),
        ...(candidates ? { candidates } : {}),
        ...(steps !== undefined ? { steps } : {}),
        ...(minSamplesPerStep !== undefined ? { minSamplesPerStep } : {}),
      };
    }
  }
  return { stable: num(r.stable), ...(rollout ? { rollout } : {}), overrides };
}

function readData(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = parseYamlSafely(text, LIMITS.configFileChars).value;
  } catch (e) {
    refuse(`promptpin.yaml is not valid YAML (${(e as Error).message}). Fix it (promptpin check shows where), then retry.`);
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Reads one prompt's release in one environment from `promptpin.yaml` text; null when there is none. */
export function readRelease(text: string | undefined, env: string, name: string): ReleaseSnapshot | null {
  const envs = readData(text).environments;
  if (typeof envs !== 'object' || envs === null) return null;
  const releases = (envs as Record<string, unknown>)[env];
  if (typeof releases !== 'object' || releases === null || !Object.prototype.hasOwnProperty.call(releases, name)) return null;
  return snapshotOf((releases as Record<string, unknown>)[name]);
}

/** Lists every release in `promptpin.yaml` text, in file order. */
export function listReleases(text: string | undefined): ReleaseListing[] {
  const envs = readData(text).environments;
  const out: ReleaseListing[] = [];
  if (typeof envs !== 'object' || envs === null) return out;
  for (const [environment, releases] of Object.entries(envs)) {
    if (typeof releases !== 'object' || releases === null) continue;
    for (const [prompt, raw] of Object.entries(releases as Record<string, unknown>)) {
      const release = snapshotOf(raw);
      if (release) out.push({ environment, prompt, release });
    }
  }
  return out;
}


function openDoc(text: string | undefined): Document {
  const doc = parseYamlDocument(text === undefined || text.trim() === '' ? 'environments: {}\n' : text, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) refuse(`promptpin.yaml is not valid YAML (${err.message.split('\n')[0]}). Fix it (promptpin check shows where), then retry.`);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) doc.contents = doc.createNode({ environments: {} });
  if (!isMap(doc.contents)) refuse('promptpin.yaml must be a mapping with an environments: key. Fix it, then retry.');
  return doc;
}

/** Makes sure `environments.<env>` is a block mapping (an empty `production:` is null in YAML). */
function envMap(doc: Document, env: string): YAMLMap {
  let envs: unknown = doc.get('environments', true);
  if (!isMap(envs)) {
    envs = doc.createNode({});
    doc.set('environments', envs);
  }
  const envsMap = envs as YAMLMap;
  if (envsMap.flow && envsMap.items.length === 0) envsMap.flow = false;
  let m: unknown = envsMap.get(env, true);
  if (!isMap(m)) {
    m = doc.createNode({});
    (m as YAMLMap).flow = false;
    envsMap.set(env, m);
  }
  return m as YAMLMap;
}

function releaseMap(doc: Document, env: string, name: string): YAMLMap | undefined {
  const m = doc.getIn(['environments', env, name], true);
  return isMap(m) ? m : undefined;
}

function serialize(doc: Document): string {
  return doc.toString({ lineWidth: 0 });
}

function guardNode(doc: Document, g: GuardSpec): unknown {
  const data: Record<string, unknown> = { signal: g.signal };
  const unit = g.unit ?? 'pp';
  if (g.maxIncrease !== undefined) data.max_increase = `${g.maxIncrease}${unit}`;
  else if (g.maxDecrease !== undefined) data.max_decrease = `${g.maxDecrease}${unit}`;
  else data.max_change = `${g.maxChange}%`;
  if (g.bySegment) data.by_segment = true;
  const node = doc.createNode(data) as YAMLMap;
  node.flow = true;
  return node;
}

/**
 * Starts a rollout: `candidate` serves `percent`% of units in `env`, the stable version the rest.
 *
 * @throws {PromptError} CHANGE_REFUSED when the prompt has no stable release in `env`, a rollout
 * is already running, the candidate is the stable version, there is no guard, the expected note
 * lacks substance, or percent, window or minSamples are invalid.
 */
export function startRollout(text: string | undefined, env: string, name: string, options: StartRolloutOptions): string {
  assertNotFrozen(text, `start a rollout of ${releaseLabel(env, name)}`);
  const current = readRelease(text, env, name);
  const label = releaseLabel(env, name);
  if (!current || current.stable === undefined) {
    refuse(`Cannot start a rollout of ${label}: it has no stable release there to compare against. Release a first version with \`promptpin promote ${name} --to N\`${env === 'production' ? '' : ` --env ${env}`}.`);
  }
  if (current.rollout) {
    const r = current.rollout;
    refuse(
      `${label} already has a rollout: v${r.candidate} at ${r.percent}%${r.started ? ` since ${r.started}` : ''}${r.author ? ` by ${r.author}` : ''}. One rollout at a time: ramp, promote or roll back v${r.candidate} first.`,
    );
  }
  const badCandidate = versionNumberProblem(options.candidate);
  if (badCandidate) refuse(`Cannot start a rollout of ${label}: candidate ${badCandidate}. Use --to N with 1 ≤ N ≤ ${MAX_VERSION}.`);
  if (options.candidate === current.stable) refuse(`v${options.candidate} is already stable for ${label}: a rollout needs a different candidate.`);
  const p = percentProblem(options.percent);
  if (p) refuse(`Cannot start a rollout of ${label}: ${p}.`);
  if (options.guards.length === 0) {
    refuse(`Cannot start a rollout of ${label} without a guard: decide now what regression stops it, e.g. --guard "refusal:+0.5pp" --guard "output_tokens:25%".`);
  }
  const note = expectedNoteProblem(options.expected, options.guards);
  if (note) refuse(`Cannot start a rollout of ${label}: ${note}`);
  if (options.window !== undefined && parseDuration(options.window) === null) refuse(`Window "${options.window}" is not a duration: write it like 24h, 30m or 7d.`);
  if (options.minSamples !== undefined && (!Number.isInteger(options.minSamples) || options.minSamples < 1)) refuse(`min samples ${options.minSamples} must be a whole number ≥ 1.`);
  if (options.author.trim() === '') refuse(`A rollout needs an author. Pass --author or set PROMPTPIN_AUTHOR.`);
  if (options.steps !== undefined) {
    const bad = rampStepsProblem(options.steps, options.percent);
    if (bad) refuse(`Cannot start a rollout of ${label}: ${bad}.`);
  }
  if (options.minSamplesPerStep !== undefined && (options.steps === undefined || !Number.isInteger(options.minSamplesPerStep) || options.minSamplesPerStep < 1)) {
    refuse(`min samples per step ${options.minSamplesPerStep} needs steps and must be a whole number ≥ 1.`);
  }

  const doc = openDoc(text);
  const release = releaseMap(doc, env, name)!;
  if (release.has('rollout')) refuse(`${label} already has a rollout: entry (not a valid one: run promptpin check). One rollout at a time: fix or remove it first.`);
  release.flow = false;
  const rollout = doc.createNode({
    candidate: options.candidate,
    percent: options.percent,
    salt: options.salt ?? `${name}@${options.candidate}`,
    started: options.started,
    author: options.author,
    expected: collapseLineBreaks(options.expected.trim(), isLf),
    guards: [],
    min_samples: options.minSamples ?? DEFAULT_MIN_SAMPLES,
    ...(options.window !== undefined ? { window: options.window } : {}),
    on_breach: options.onBreach ?? 'rollback',
    ...(options.steps !== undefined ? { steps: [...options.steps] } : {}),
    ...(options.minSamplesPerStep !== undefined ? { min_samples_per_step: options.minSamplesPerStep } : {}),
  }) as YAMLMap;
  const stepsNode = rollout.get('steps', true);
  if (isSeq(stepsNode)) stepsNode.flow = true;
  const expected = rollout.get('expected', true);
  if (isScalar(expected)) expected.type = 'BLOCK_FOLDED';
  const guards = rollout.get('guards', true);
  if (isSeq(guards)) {
    guards.flow = false;
    for (const g of options.guards) guards.items.push(guardNode(doc, g));
  }
  // Keep the rollout right after stable (before overrides), where people look for it.
  const stableIndex = release.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === 'stable');
  const pair = doc.createPair('rollout', rollout);
  release.items.splice(stableIndex === -1 ? release.items.length : stableIndex + 1, 0, pair as never);
  return serialize(doc);
}

/**
 * Changes the running rollout's percent (`0` pauses it; the same salt keeps units already on the
 * candidate there when ramping up).
 *
 * @throws {PromptError} CHANGE_REFUSED when no rollout is running, percent is invalid or unchanged.
 */
export function rampRollout(text: string | undefined, env: string, name: string, percent: number): string {
  assertNotFrozen(text, `ramp ${releaseLabel(env, name)}`);
  const current = readRelease(text, env, name);
  const label = releaseLabel(env, name);
  if (!current?.rollout) refuse(`${label} has no rollout to ramp. Start one with \`promptpin rollout ${name} --to N --percent P --expect "…" --guard "…"\`.`);
  const p = percentProblem(percent);
  if (p) refuse(`Cannot ramp ${label}: ${p}.`);
  if (current.rollout.percent === percent) refuse(`The rollout of v${current.rollout.candidate} for ${label} is already at ${percent}%.`);
  const steps = current.rollout.steps;
  if (steps !== undefined && percent !== 0 && !steps.includes(percent)) {
    refuse(`Cannot ramp ${label} to ${percent}%: its ramp has the steps [${steps.join(', ')}], so it moves from step to step (or to 0, paused). Use \`promptpin ramp ${name} --next\`, promote after the last step, or edit steps: in promptpin.yaml.`);
  }
  const doc = openDoc(text);
  doc.setIn(['environments', env, name, 'rollout', 'percent'], percent);
  return serialize(doc);
}

/**
 * Promotes the running rollout: its candidate becomes stable and the rollout is removed.
 *
 * @throws {PromptError} CHANGE_REFUSED when no rollout is running.
 */
export function promoteRollout(text: string | undefined, env: string, name: string, to?: number): string {
  assertNotFrozen(text, `promote ${releaseLabel(env, name)}`);
  const current = readRelease(text, env, name);
  const label = releaseLabel(env, name);
  if (!current?.rollout) refuse(`${label} has no rollout to promote. To make a version stable directly, use \`promptpin promote ${name} --to N\`.`);
  const arms = current.rollout.candidates?.map((a) => a.version);
  if (to !== undefined && arms && !arms.includes(to)) refuse(`v${to} is not a candidate of the experiment of ${label} (candidates: ${arms.map((v) => `v${v}`).join(', ')}). Promote one of them with --to N.`);
  if (to === undefined && arms && arms.length > 1) refuse(`The experiment of ${label} has ${arms.length} candidates (${arms.map((v) => `v${v}`).join(', ')}): pick the winner with --to N (\`promptpin status ${name}\` shows each arm against the control).`);
  const doc = openDoc(text);
  doc.setIn(['environments', env, name, 'stable'], to ?? current.rollout.candidate);
  doc.deleteIn(['environments', env, name, 'rollout']);
  return serialize(doc);
}

/**
 * Makes `version` the stable version of `name` in `env` directly, without a rollout (a new prompt's
 * first release, or an environment such as staging). Creates the release when there is none.
 *
 * @throws {PromptError} CHANGE_REFUSED when a rollout is running or `version` is already stable.
 */
export function releaseVersion(text: string | undefined, env: string, name: string, version: number): string {
  assertNotFrozen(text, `release v${version} of ${releaseLabel(env, name)}`);
  const current = readRelease(text, env, name);
  const label = releaseLabel(env, name);
  const bad = versionNumberProblem(version);
  if (bad) refuse(`Cannot release ${label}: ${bad}. Use --to N with 1 ≤ N ≤ ${MAX_VERSION}.`);
  if (current?.rollout) {
    refuse(`${label} has a rollout of v${current.rollout.candidate} running: promote it (\`promptpin promote ${name}\`) or roll it back before releasing another version.`);
  }
  if (current?.stable === version) refuse(`v${version} is already stable for ${label}.`);
  const doc = openDoc(text);
  const existing = releaseMap(doc, env, name);
  if (existing) existing.set('stable', version);
  else envMap(doc, env).set(name, doc.createNode({ stable: version }));
  return serialize(doc);
}

/**
 * Rolls back: without `to`, removes the running rollout so the stable version serves everyone;
 * with `to`, makes that version stable and removes any rollout. Overrides are kept (they pin QA
 * units on purpose). With `candidate`, acts only on that candidate's rollout and is a no-op
 * otherwise, so every instance of a fleet can call it from `onBreach`.
 *
 * @example
 * // onBreach handler flipping the fleet: one edit every watching client picks up.
 * const text = await readFile('prompts/promptpin.yaml', 'utf8');
 * const next = rollbackRelease(text, 'production', event.prompt, { candidate: event.candidate });
 * if (next !== text) await writeFile('prompts/promptpin.yaml', next);
 *
 * @throws {PromptError} CHANGE_REFUSED when there is nothing to roll back (no release, no rollout
 * and no `to`, or `to` is already stable with no rollout).
 */
export function rollbackRelease(text: string | undefined, env: string, name: string, options: RollbackOptions = {}): string {
  const current = readRelease(text, env, name);
  const label = releaseLabel(env, name);
  if (options.candidate !== undefined && current?.rollout?.candidate !== options.candidate) return text ?? '';
  if (!current || current.stable === undefined) refuse(`${label} has no release to roll back.`);
  const doc = openDoc(text);
  if (options.to === undefined) {
    if (!current.rollout) {
      refuse(`${label} has no rollout to roll back; v${current.stable} serves everyone. To return to an earlier version, pass --to N (e.g. \`promptpin rollback ${name} --to ${Math.max(1, current.stable - 1)} --reason "…"\`).`);
    }
    doc.deleteIn(['environments', env, name, 'rollout']);
    return serialize(doc);
  }
  const badTo = versionNumberProblem(options.to);
  if (badTo) refuse(`Cannot roll back ${label}: ${badTo}. Use --to N with 1 ≤ N ≤ ${MAX_VERSION}.`);
  if (options.to === current.stable && !current.rollout) refuse(`v${options.to} is already stable for ${label} and no rollout is running: nothing to roll back.`);
  doc.setIn(['environments', env, name, 'stable'], options.to);
  if (current.rollout) doc.deleteIn(['environments', env, name, 'rollout']);
  return serialize(doc);
}

/**
 * Returns the lock text with `versions` recorded (existing entries are never changed: a released
 * version's hash is immutable).
 *
 * @throws {PromptError} VERSION_IMMUTABLE when a version is already locked with a different hash.
 */
export function addToLock(lockText: string | undefined, versions: readonly { readonly name: string; readonly version: number; readonly hash: string }[]): string {
  let lock: Lock = new Map();
  if (lockText !== undefined) {
    const parsed = parseLock(lockText);
    if (parsed.issues.length) refuse(`promptpin.lock is invalid (${parsed.issues[0]!.message}). Restore it from git, then retry.`);
    lock = parsed.lock;
  }
  const next = new Map<string, Map<number, string>>();
  for (const [name, vs] of lock) next.set(name, new Map(vs));
  for (const v of versions) {
    const bad = versionNumberProblem(v.version);
    if (bad) refuse(`Cannot lock ${v.name} v${v.version}: ${bad}.`);
    const existing = next.get(v.name)?.get(v.version);
    if (existing !== undefined && existing !== v.hash) {
      throw new PromptError(ErrorCode.VERSION_IMMUTABLE, `${v.name} v${v.version} is locked with ${existing.slice(0, 19)}, not ${v.hash.slice(0, 19)}: a released version is never rewritten. Restore it from git and publish the change as a new version.`);
    }
    if (!next.has(v.name)) next.set(v.name, new Map());
    next.get(v.name)!.set(v.version, v.hash);
  }
  return formatLock(next);
}

/** Input of {@link preparePublishText}. */
export interface PreparePublishInput {
  /**
   * The new version: a full `.prompt` file (front matter + template) or a bare template, which
   * reuses the front matter of `baseText` (model, params, variables, examples).
   */
  readonly sourceText: string;
  /** The latest version's `.prompt` text, used when `sourceText` is a bare template. */
  readonly baseText?: string;
  /** Written to the front matter's `author:`. */
  readonly author: string;
  /** Written to the front matter's `message:`; when absent, the source file's own message is kept. */
  readonly message?: string;
}

/**
 * Builds the text of a version to publish: the front matter gets `author` and `message` (edited
 * with the Document API, so the rest of it stays as written). Line endings become `\n`.
 *
 * @throws {PromptError} CHANGE_REFUSED when a bare template has no `baseText` to take front matter
 * from, the front matter is not valid YAML, or no message is given or present.
 */
export function preparePublishText(input: PreparePublishInput): string {
  const src = input.sourceText.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  let front: string;
  let body: string;
  // NB: the runtime parser's own split, so fences are whole `---` lines: a message ending in
  // "---" must not close the front matter here while the registry reads the file differently.
  const parts = splitFrontMatter(src);
  if (parts) {
    front = parts.yaml;
    body = parts.template;
  } else {
    if (input.baseText === undefined) {
      refuse('The new version has no front matter and there is no earlier version to take it from: write a full .prompt file (---, model:, variables:, ---, then the template).');
    }
    const base = splitFrontMatter(input.baseText);
    if (!base) refuse('The latest version has no front matter to reuse: write a full .prompt file.');
    front = base.yaml;
    body = src;
    if (input.message === undefined) refuse('A bare template reuses the previous front matter, whose message explains the previous version: pass --message "why this version exists".');
  }
  if (input.author.trim() === '') refuse('A version needs an author. Pass --author or set PROMPTPIN_AUTHOR.');
  if (input.message !== undefined && input.message.trim() === '') refuse('The message is empty: say why this version exists.');
  let edited = setTopLevelScalar(front, 'author', input.author.trim());
  if (input.message !== undefined) edited = setTopLevelScalar(edited, 'message', input.message.trim());
  const message = parseYamlDocument(edited, { schema: 'core' }).get('message');
  if (typeof message !== 'string' || message.trim() === '') refuse('A version needs a message saying why it exists: pass --message "…".');
  const out = `---\n${edited}${edited === '' || edited.endsWith('\n') ? '' : '\n'}---\n${body}`;
  // Defensive (no known input reaches it): the file must read back as written, so no front-matter
  // line may be exactly `---`.
  if (splitFrontMatter(out)?.template !== body) refuse('The front matter has a line that is exactly "---", which would end it early: indent or quote that value.');
  return out;
}

/**
 * Sets a top-level key of a YAML mapping to a string by splicing the text: the value's own range
 * is replaced (or a `key: value` line appended), so every other byte of the front matter, flow
 * styles and spacing included, stays as the author wrote it.
 */
function setTopLevelScalar(yamlText: string, key: string, value: string): string {
  const doc = parseYamlDocument(yamlText === '' ? '{}' : yamlText, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) refuse(`The front matter is not valid YAML (${err.message.split('\n')[0]}).`);
  if (!isMap(doc.contents)) refuse('The front matter must be a YAML mapping (model:, variables:, …).');
  // Stringified as a map entry so a multi-line value gets a block scalar indented under its key.
  const rendered = yamlStringify({ [key]: value }, { lineWidth: 0 }).slice(key.length + 2).replace(/\n$/, '');
  if (yamlText.trim() === '') return `${key}: ${rendered}\n`;
  if (doc.contents.flow) refuse('The front matter is a single flow mapping ({ … }); write it as one key per line.');
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  const node = pair?.value as { range?: [number, number, number] } | null | undefined;
  if (pair && node && node.range) {
    const [start, end] = node.range;
    // A block scalar's range ends after its last line break: keep the break.
    const keepBreak = yamlText.slice(start, end).endsWith('\n') ? '\n' : '';
    // An empty value (`author:`) has an empty range right after the colon.
    const space = start === end ? ' ' : '';
    return `${yamlText.slice(0, start)}${space}${rendered}${keepBreak}${yamlText.slice(end)}`;
  }
  if (pair) {
    // `key:` with no value: put the value right after the colon.
    const keyNode = pair.key as { range?: [number, number, number] };
    const at = yamlText.indexOf(':', keyNode.range?.[1] ?? 0);
    return `${yamlText.slice(0, at + 1)} ${rendered}${yamlText.slice(at + 1)}`;
  }
  return `${yamlText}${yamlText.endsWith('\n') ? '' : '\n'}${key}: ${rendered}\n`;
}
