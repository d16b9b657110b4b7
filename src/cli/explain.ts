/** `promptpin explain <name>`: the four answers for the latest change. */
import { oneLine } from '../internal/terminal.js';
import { latestChangelogEntry, parseChangelog, type ParsedChangelogEntry } from '../registry/changelog.js';
import { readRelease } from '../registry/edit.js';
import { checkFolder } from '../registry/registry.js';
import type { PromptVersion } from '../registry/types.js';
import { maxVersion } from '../registry/version-numbers.js';
import { ChangeRefused, COMMON_OPTIONS, command, emit, loadFolder } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { compareVersions, summarizeDiff } from './version-diff.js';
import { expectedRanges } from '../fleet/observed.js';

/** Usage of `explain`. */
export const EXPLAIN_USAGE = `promptpin explain <name> [--env ENV] [--dir DIR] [--json]

Answers four questions about the latest change of <name> in ENV: what changed (the version diff),
why (the version's message and the changelog), which signal should move (the expected note and
guards), and how to reverse it (the exact command).`;

/** The four answers. */
export interface Explanation {
  readonly prompt: string;
  readonly environment: string;
  readonly change: Omit<ParsedChangelogEntry, 'line'> | null;
  readonly what: { readonly from: number | null; readonly to: number; readonly summary: string; readonly live: string };
  readonly why: readonly string[];
  readonly expected: {
    readonly note: string | null;
    readonly guards: readonly string[];
    readonly observed: string | null;
    /** Expected and observed side by side, per signal of the Observed cell (measured outcomes). */
    readonly bySignal: readonly { readonly signal: string; readonly expected: string | null; readonly observed: string }[];
  };
  readonly reverse: string;
}

function num(re: RegExp, text: string): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Runs `explain`. */
export const runExplain = defineVerb({ name: 'explain', usage: EXPLAIN_USAGE, options: COMMON_OPTIONS, positionals: ['name'] }, async ({ ctx, args: [name] }) => {
  const state = await loadFolder(ctx);
  const versions = new Map<number, PromptVersion>(checkFolder(state.files).versions.filter((v) => v.name === name).map((v) => [v.version, v]));
  if (versions.size === 0) throw new ChangeRefused(`There is no prompt "${name}" in the folder.`);
  const release = readRelease(state.files.releaseText, ctx.env, name);
  const entry = latestChangelogEntry(parseChangelog(state.changelogText), name, ctx.env);
  const action = entry?.action ?? (release?.rollout ? 'rollout' : release ? 'stable' : 'publish');
  const text = entry?.change ?? '';
  const latest = maxVersion(versions.keys());

  let from: number | undefined;
  let to: number;
  let reverse: string;
  let expectedNote: string | null = entry?.expected || null;
  let guards: readonly string[] = [];
  const why: string[] = [];
  const liveRollout = release?.rollout;
  switch (action) {
    case 'publish':
      to = num(/\bv(\d+)/, text) ?? latest;
      from = to > 1 ? to - 1 : undefined;
      reverse = `nothing to reverse: publishing is not a release (v${to} serves nobody until a rollout or promote).${release?.stable !== undefined ? ` Live in ${ctx.env}: v${release.stable}${liveRollout ? ` with v${liveRollout.candidate} at ${liveRollout.percent}%` : ''}.` : ''}`;
      break;
    case 'rollout':
    case 'ramp':
      to = num(/\bv(\d+)/, text) ?? liveRollout?.candidate ?? latest;
      from = num(/stable v(\d+)/, text) ?? release?.stable;
      reverse = liveRollout && liveRollout.candidate === to ? command(ctx, `rollback ${name} --reason "…"`) : `the rollout of v${to} has ended; live in ${ctx.env}: v${release?.stable ?? '?'}`;
      break;
    case 'promote':
      to = num(/\bv(\d+)/, text) ?? release?.stable ?? latest;
      from = num(/was v(\d+)/, text);
      reverse = from !== undefined ? command(ctx, `rollback ${name} --to ${from} --reason "…"`) : `v${to} is the first release of ${name} in ${ctx.env}; to stop serving it, remove its release from promptpin.yaml`;
      break;
    case 'rollback': {
      const target = num(/rollback to v(\d+)/, text) ?? num(/→ v(\d+)/, text) ?? release?.stable ?? latest;
      // `rollback v3 → v2 (…)` undid candidate v3; `rollback to v1 (was v2; …)` undid stable v2.
      const undone = num(/^rollback v(\d+)/, text) ?? num(/was v(\d+)/, text);
      from = undone;
      to = target;
      const started = undone !== undefined ? parseChangelog(state.changelogText).find((e) => e.prompt === name && e.action === 'rollout' && e.environment === ctx.env && num(/\bv(\d+)/, e.change) === undone) : undefined;
      if (started) {
        expectedNote = `back to v${target}'s levels on what v${undone} moved (its rollout expected: ${started.expected})`;
        const g = /guards ([^)]*)\)/.exec(started.change);
        if (g) guards = g[1]!.split(';')[0]!.split(/,\s*/);
      }
      reverse =
        undone !== undefined
          ? `start again from a guarded rollout: ${command(ctx, `rollout ${name} --to ${undone} --percent 10 --expect "…" --guard "…"`)}`
          : `nothing to reverse`;
      break;
    }
    default:
      // No changelog line: explain what the release file says.
      if (liveRollout) {
        to = liveRollout.candidate;
        from = release?.stable;
        reverse = command(ctx, `rollback ${name} --reason "…"`);
      } else {
        to = release?.stable ?? latest;
        from = to > 1 ? to - 1 : undefined;
        reverse = from !== undefined ? command(ctx, `rollback ${name} --to ${from} --reason "…"`) : 'nothing to reverse';
      }
  }
  if (liveRollout && liveRollout.candidate === to) {
    expectedNote = liveRollout.expected ?? expectedNote;
    guards = liveRollout.guards;
  } else if (entry && guards.length === 0) {
    const g = /guards ([^)]*)\)/.exec(entry.change);
    if (g) guards = g[1]!.split(';')[0]!.split(/,\s*/);
  }
  // Measured Observed cells are `signal +x [lo, hi], n=…; signal …`: pair each with its expectation.
  const observedText = entry?.observed ?? '';
  const bySignal = observedText
    .split('; ')
    .map((part) => ({ part, m: /^([A-Za-z_][A-Za-z0-9_.]*) [+\-−\d]/.exec(part) }))
    .filter((x) => x.m !== null)
    .map(({ part, m }) => {
      const signal = m![1]!;
      const e = expectedNote !== null ? expectedRanges(expectedNote, [signal])[0] : undefined;
      return { signal, expected: e?.text ?? null, observed: part.slice(signal.length + 1) };
    });
  const vTo = versions.get(to);
  const vFrom = from !== undefined ? versions.get(from) : undefined;
  if (vTo?.message) why.push(`v${to}: ${oneLine(vTo.message)}${vTo.author ? ` (${oneLine(vTo.author)})` : ''}`);
  if (entry?.why && entry.why !== vTo?.message) why.push(`${entry.action}: ${oneLine(entry.why)}${entry.author ? ` (${oneLine(entry.author)})` : ''}`);
  const summary = vTo && vFrom ? summarizeDiff(compareVersions(vFrom, vTo)) : vTo ? 'first version' : `v${to} is not in the folder`;
  const live = release?.stable === undefined ? `not released in ${ctx.env}` : liveRollout ? `v${release.stable} stable, v${liveRollout.candidate} at ${liveRollout.percent}%` : `v${release.stable} serves everyone`;
  const explanation: Explanation = {
    prompt: name,
    environment: ctx.env,
    change: entry ? (({ line: _l, ...rest }) => rest)(entry) : null,
    what: { from: from ?? null, to, summary, live },
    why,
    expected: { note: expectedNote, guards, observed: entry?.observed || null, bySignal },
    reverse,
  };
  const diffCmd = from !== undefined ? `  (${command(ctx, `diff ${name} ${from} ${to}`)})` : '';
  const pad = (s: string) => s.padEnd(20);
  const lines = [
    entry
      ? `${name} in ${ctx.env}: latest change ${oneLine(entry.date)} by ${oneLine(entry.author)}: ${oneLine(entry.change)}`
      : `${name} in ${ctx.env}: no changelog line yet; from promptpin.yaml`,
    `Live now: ${live}.`,
    '',
    `${pad('1. What changed:')}${from !== undefined ? `v${from} → v${to}` : `v${to}`}: ${summary}${diffCmd}`,
    `${pad('2. Why:')}${why[0] ?? '(no message recorded)'}`,
    ...why.slice(1).map((w) => `${pad('')}${w}`),
    `${pad('3. Expected signal:')}${expectedNote !== null ? oneLine(expectedNote) : (action === 'publish' ? '(none until a rollout states one)' : '(none recorded)')}`,
    ...(guards.length ? [`${pad('')}guards: ${oneLine(guards.join(', '))}`] : []),
    ...(action === 'publish' ? [] : [`${pad('')}observed: ${entry?.observed ? oneLine(entry.observed) : `(not recorded: ${command(ctx, `outcome ${name} "…"`)})`}`]),
    ...(bySignal.length ? [`${pad('')}${'signal'.padEnd(16)}${'expected'.padEnd(22)}observed`, ...bySignal.map((b) => `${pad('')}${oneLine(b.signal).padEnd(16)}${(b.expected ?? '(no number)').padEnd(22)}${oneLine(b.observed)}`)] : []),
    `${pad('4. How to reverse:')}${reverse}`,
  ];
  emit(ctx, lines.join('\n'), explanation);
  return 0;
});
