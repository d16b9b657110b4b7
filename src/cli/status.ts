/** `promptpin status [name]`: per prompt and environment, what is live and since when. */
import { cutAtWithSpace } from '../internal/text.js';
import { join } from 'node:path';
import { ErrorCode, formatIssue, isPromptError } from '../errors.js';
import { oneLine, safeForTerminal } from '../internal/terminal.js';
import { latestChangelogEntry, parseChangelog } from '../registry/changelog.js';
import { listReleases, type ReleaseListing, type RolloutSnapshot } from '../registry/edit.js';
import { checkFolder } from '../registry/registry.js';
import { rolloutStaleness } from '../registry/release-diff.js';
import { DEFAULT_MIN_SAMPLES, RELEASE_FILE } from '../registry/release.js';
import { COMMON_OPTIONS, command, emit, loadFolder, show, versionNumbersOf } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `status`. */
export const STATUS_USAGE = `promptpin status [name] [--env ENV] [--dir DIR] [--json]

Per prompt and environment: the stable version, the rollout (candidate, percent, guards with their
units: pp for rates, % for means; since when, by whom), overrides, and the last change. A rollout
past its window is shown as stale: no guard judges it any more until it is promoted or rolled back.
Guard verdicts (observed change, interval, signals without data) live in the running clients:
client.status().guards. All environments unless --env is given.
When promptpin.yaml cannot be read, still lists each prompt's latest version and last logged change,
says why the releases cannot be shown, and exits 1.`;

/** One row of `status`. */
export interface StatusRow {
  readonly prompt: string;
  readonly environment: string | null;
  readonly latestVersion: number;
  readonly stable: number | null;
  readonly rollout: RolloutSnapshot | null;
  /**
   * The rollout is past its `window` (from `started`, at the CLI's clock): `since` is when the
   * window closed. No guard judges it any more; null when it has no window or it is still open.
   */
  readonly stale: { readonly since: string } | null;
  readonly overrides: Readonly<Record<string, number>>;
  readonly lastChange: { readonly date: string; readonly author: string; readonly change: string } | null;
}

/** Runs `status`. */
export const runStatus = defineVerb({ name: 'status', usage: STATUS_USAGE, options: COMMON_OPTIONS, positionals: ['name?'] }, async ({ io, ctx, args: [name] }) => {
  const state = await loadFolder(ctx);
  const check = checkFolder(state.files);
  const changelog = parseChangelog(state.changelogText);
  const names = [...new Set(state.files.promptFiles.map((f) => /^(.+)\/[1-9]\d*\.prompt$/.exec(f.path)?.[1]).filter((n): n is string => n !== undefined))].sort();
  // During an incident the release file may be the broken thing: show what the other files can
  // (versions, the last logged change), say why releases cannot be shown, and exit 1.
  let releases: ReleaseListing[] = [];
  let releaseError: string | undefined;
  try {
    releases = listReleases(state.files.releaseText);
  } catch (err) {
    if (!isPromptError(err)) throw err;
    const where = check.issues.filter((i) => i.file === RELEASE_FILE).map((i) => formatIssue({ ...i, file: show(ctx, join(ctx.dir, RELEASE_FILE)) }));
    releaseError = `${where.length ? where.join('; ') : cutAtWithSpace(err.message, 'Fix it')}: stable versions and rollouts cannot be shown. Clients keep serving their last valid registry. Fix ${show(ctx, join(ctx.dir, RELEASE_FILE))} (git diff shows what changed), then run \`${command(ctx, 'check')}\`.`;
  }
  const rows: StatusRow[] = [];
  for (const prompt of names) {
    if (name !== undefined && prompt !== name) continue;
    const nums = versionNumbersOf(state.files, prompt);
    const latestVersion = nums[nums.length - 1] ?? 0;
    if (releaseError !== undefined) {
      // The changelog names the environments and what was last done in each.
      const logged = [...new Set(changelog.filter((e) => e.prompt === prompt && e.environment !== '' && (!ctx.envGiven || e.environment === ctx.env)).map((e) => e.environment))].sort();
      const envs: (string | null)[] = logged.length ? logged : [ctx.envGiven ? ctx.env : null];
      for (const environment of envs) {
        const e = latestChangelogEntry(environment === null ? changelog : changelog.filter((x) => x.environment === environment), prompt, environment ?? undefined);
        rows.push({ prompt, environment, latestVersion, stable: null, rollout: null, stale: null, overrides: {}, lastChange: e ? { date: e.date, author: e.author, change: e.change } : null });
      }
      continue;
    }
    const mine = releases.filter((r) => r.prompt === prompt && (!ctx.envGiven || r.environment === ctx.env));
    if (mine.length === 0) {
      rows.push({ prompt, environment: ctx.envGiven ? ctx.env : null, latestVersion, stable: null, rollout: null, stale: null, overrides: {}, lastChange: null });
      continue;
    }
    for (const r of mine) {
      const last = changelog.filter((e) => e.environment === r.environment);
      const e = latestChangelogEntry(last, prompt, r.environment);
      rows.push({
        prompt,
        environment: r.environment,
        latestVersion,
        stable: r.release.stable ?? null,
        rollout: r.release.rollout ?? null,
        stale: r.release.rollout ? rolloutStaleness(r.release.rollout, io.now()) : null,
        overrides: r.release.overrides,
        lastChange: e ? { date: e.date, author: e.author, change: e.change } : null,
      });
    }
  }
  if (name !== undefined && !names.includes(name)) {
    emit(ctx, `No prompt "${name}" in the folder (prompts: ${names.join(', ') || 'none'}).`, { ok: false, rows: [] });
    return 1;
  }
  if (releaseError !== undefined) {
    io.err(`promptpin status: ${safeForTerminal(releaseError)}\n`);
    const human: string[] = [];
    for (const [i, r] of rows.entries()) {
      if (rows[i - 1]?.prompt !== r.prompt) human.push(`${r.prompt} (latest v${r.latestVersion})`);
      const last = r.lastChange ? `; last change ${oneLine(r.lastChange.date)} by ${oneLine(r.lastChange.author)}: ${oneLine(r.lastChange.change)}` : '';
      human.push(`  ${(r.environment ?? '').padEnd(12)} release unknown (${RELEASE_FILE} unreadable)${last}`);
    }
    emit(ctx, human.length ? human.join('\n') : 'No prompts in the folder.', { ok: false, error: { code: ErrorCode.INVALID_CONFIG, message: releaseError }, rows });
    return 1;
  }
  if (check.issues.length) io.err(`warning: the folder has ${check.issues.length} problem${check.issues.length === 1 ? '' : 's'}; clients keep serving their last valid registry. Run \`${command(ctx, 'check')}\`.\n`);
  const human: string[] = [];
  let current = '';
  for (const r of rows) {
    if (r.prompt !== current) {
      current = r.prompt;
      human.push(`${r.prompt} (latest v${r.latestVersion})`);
    }
    if (r.stable === null) {
      human.push(`  ${(r.environment ?? '').padEnd(12)} not released${r.environment ? ' here' : ''}: ${command(ctx, `promote ${r.prompt} --to ${r.latestVersion}`)}`);
      continue;
    }
    const o = Object.entries(r.overrides);
    const pad = ''.padEnd(12);
    human.push(`  ${(r.environment ?? '').padEnd(12)} stable v${r.stable}${o.length ? ` · overrides ${o.map(([u, v]) => `${u}→v${v}`).join(', ')}` : ''}`);
    const ro = r.rollout;
    if (ro) {
      if (ro.candidates) human.push(`  ${pad} experiment ${ro.candidates.map((a, i) => `arm ${i + 1} v${a.version} ${a.percent}%`).join(' · ')} vs control v${r.stable}; each arm's difference against the control: client.status().guards[].arms`);
      else human.push(`  ${pad} rollout v${ro.candidate} at ${ro.percent}%${ro.percent === 0 ? ' (paused)' : ''}${ro.started ? ` since ${oneLine(ro.started)}` : ''}${ro.author ? ` by ${oneLine(ro.author)}` : ''}`);
      human.push(`  ${pad} guards ${oneLine(ro.guards.join(', ')) || 'none'} (${ro.minSamples ?? DEFAULT_MIN_SAMPLES} samples per arm${ro.window ? `, window ${ro.window}` : ''}, on breach ${ro.onBreach ?? 'rollback'})`);
      if (ro.expected) human.push(`  ${pad} expected: ${oneLine(ro.expected)}`);
      if (r.stale) {
        const here = { ...ctx, env: r.environment ?? ctx.env };
        human.push(`  ${pad} STALE: its ${oneLine(ro.window ?? '')} window closed at ${r.stale.since}; no guard judges it any more. Promote or roll back: ${command(here, `promote ${r.prompt}`)} · ${command(here, `rollback ${r.prompt} --reason "…"`)}`);
      }
    }
    if (r.lastChange) human.push(`  ${''.padEnd(12)} last change ${oneLine(r.lastChange.date)} by ${oneLine(r.lastChange.author)}: ${oneLine(r.lastChange.change)}`);
  }
  emit(ctx, human.length ? human.join('\n') : 'No prompts in the folder.', { ok: true, rows });
  return 0;
});
