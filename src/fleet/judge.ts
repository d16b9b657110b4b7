/**
 * The fleet judge: reads each live guarded rollout from a prompts folder, queries a
 * Prometheus-compatible HTTP API (`/api/v1/query`) for the fleet's sums of the evidence every client
 * exports (`promptpin_guard_evidence_total`), runs the same sequential test as a client
 * ({@link GuardMonitor.mergeEvidence} + `state()`), appends each judgement to the evidence log and,
 * on a breach with `on_breach: rollback`, rolls the rollout back in the folder (under the folder
 * lock, compare-and-swap on the judged rollout), commits it in git and runs the publish command.
 * See docs/fleet.md §7.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PromptError } from '../errors.js';
import { GuardMonitor, guardKind } from '../guards/monitor.js';
import { rolloutEvidenceId, snapshotFromPoints, type EvidencePoint } from '../guards/evidence-points.js';
import { DEFAULT_CLUSTERS } from '../guards/evidence.js';
import { withFolderLock } from '../internal/fs/folder-lock.js';
import { writeFileAtomic } from '../internal/fs/atomic-write.js';
import { readOptionalBounded } from '../internal/fs/read-file.js';
import { addChangelogEntry, CHANGELOG_FILE, changelogDate } from '../registry/changelog.js';
import { readRelease, rollbackRelease } from '../registry/edit.js';
import { checkFolder } from '../registry/registry.js';
import { RELEASE_FILE } from '../registry/release.js';
import type { Release, Rollout } from '../registry/types.js';
import { readFolder } from '../sources/folder-source.js';
import { PROM_GUARD_EVIDENCE } from '../telemetry/fleet-attributes.js';
import { observedCell } from './observed.js';
import { advanceRamp, promoteRamp, rampDecision } from './ramp.js';

/** Exit codes of `promptpin judge`. */
/** The author of every change the judge makes (changelog and git commit). */
const JUDGE_AUTHOR = 'promptpin-judge';

export const JUDGE_EXIT = { ok: 0, error: 1, usage: 2, tripped: 3, acted: 4 } as const;

import type { EvidenceRecord } from './evidence-record.js';
export type { EvidenceRecord } from './evidence-record.js';

/** Options of {@link judgeFleet}. */
export interface JudgeFleetOptions {
  /** The prompts folder. */
  readonly dir: string;
  /** Base URL of the Prometheus-compatible API (`http://127.0.0.1:9090`). */
  readonly prometheus: string;
  /** Environment to judge. @defaultValue 'production' */
  readonly environment?: string;
  /** Judge and log, but never edit the folder. @defaultValue false */
  readonly dryRun?: boolean;
  /** Shell command run after a rollback was written (build + upload). */
  readonly publish?: string;
  /** @defaultValue `<dir>/.promptpin/evidence.jsonl` */
  readonly evidenceLog?: string;
  /** Range of `last_over_time` when a rollout has no `started`. @defaultValue 7 days */
  readonly lookbackMs?: number;
  /** Clock. @defaultValue Date.now */
  readonly now?: () => number;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** One rollout's judgement. */
export interface RolloutJudgement {
  readonly prompt: string;
  readonly stable: number;
  readonly candidate: number;
  readonly percent: number;
  readonly rolloutId: string;
  readonly records: readonly EvidenceRecord[];
  /** What the judge decided: hold, roll back (a trip), advance a ramp step, or promote after the last step. */
  readonly action: 'rollback' | 'hold' | 'advance' | 'promote';
  /** True when this judge wrote the rollback (false: dry run, alert only, or another judge did it first). */
  readonly applied: boolean;
  readonly note: string;
}

/** Result of {@link judgeFleet}. */
export interface JudgeFleetResult {
  readonly rollouts: readonly RolloutJudgement[];
  /** {@link JUDGE_EXIT}: 0 nothing tripped, 3 tripped without action, 4 a rollback applied. */
  readonly exitCode: number;
}

function promQuery(id: string, rangeS: number, metric: string): string {
  const by = 'promptpin_guard_signal, promptpin_guard_segment, promptpin_guard_arm, promptpin_guard_phase, promptpin_guard_cluster, promptpin_guard_stat';
  // NB: each client incarnation is its own series (promptpin_instance_id), never reset: the last
  // value of each, summed, is the fleet's evidence; a restarted instance adds a series.
  return `sum by (${by}) (last_over_time(${metric}{promptpin_guard_rollout="${id.replace(/["\\]/g, '\\$&')}"}[${Math.max(1, Math.ceil(rangeS))}s]))`;
}

async function queryPrometheus(base: string, query: string, at: number, f: typeof fetch): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query`;
  let res: Response;
  try {
    res = await f(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query, time: String(at / 1000) }) });
  } catch (err) {
    throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Prometheus query to ${url} failed: ${(err as Error).message}. Check --prometheus and that the server is up.`, { cause: err });
  }
  const body = (await res.json().catch(() => null)) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } } | null;
  if (!res.ok || body?.status !== 'success' || body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) {
    throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Prometheus query to ${url} failed: HTTP ${res.status}${body?.error ? `, ${body.error}` : ''}. Check the URL points at a Prometheus-compatible API.`);
  }
  return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
}

/** Judges every live guarded rollout of one environment on the fleet's sums. */
export async function judgeFleet(options: JudgeFleetOptions): Promise<JudgeFleetResult> {
  const now = options.now ?? Date.now;
  const f = options.fetch ?? fetch;
  const env = options.environment ?? 'production';
  const files = await readFolder(options.dir);
  const checked = checkFolder(files);
  if (!checked.registry) throw new PromptError(ErrorCode.INVALID_CONFIG, `The prompts folder ${options.dir} is invalid (${checked.issues.length} problems). Run promptpin check.`);
  const releases: ReadonlyMap<string, Release> = checked.registry.environments.get(env) ?? new Map<string, Release>();
  const out: RolloutJudgement[] = [];
  const t = now();
  const logLines: string[] = [];
  for (const [prompt, release] of releases) {
    const rollout: Rollout | undefined = release.rollout;
    if (!rollout || rollout.percent <= 0 || rollout.guards.length === 0) continue;
    const id = rolloutEvidenceId(env, prompt, release.stable, rollout);
    const started = rollout.started !== undefined ? Date.parse(rollout.started) : Number.NaN;
    const rangeMs = Number.isFinite(started) ? Math.max(60_000, t - started + 60_000) : (options.lookbackMs ?? 7 * 86_400_000);
    const rows = await queryPrometheus(options.prometheus, promQuery(id, rangeMs / 1000, PROM_GUARD_EVIDENCE), t, f);
    const monitor = new GuardMonitor({ guards: rollout.guards, minSamples: rollout.minSamples });
    const groups = new Map<string, { guard: number; segment: string | undefined; points: EvidencePoint[] }>();
    for (const r of rows) {
      const m = r.metric;
      const gi = rollout.guards.findIndex((g) => g.signal === m.promptpin_guard_signal);
      if (gi < 0) continue;
      const seg = m.promptpin_guard_segment !== undefined && m.promptpin_guard_segment !== '' ? m.promptpin_guard_segment : undefined;
      const key = `${gi}\u0000${seg ?? ''}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { guard: gi, segment: seg, points: [] }));
      const cluster = m.promptpin_guard_cluster === 'all' ? 'all' : Number(m.promptpin_guard_cluster);
      g.points.push({ arm: Number(m.promptpin_guard_arm), phase: Number(m.promptpin_guard_phase), cluster, stat: m.promptpin_guard_stat as EvidencePoint['stat'], value: Number(r.value[1]) });
    }
    for (const g of groups.values()) {
      const spec = rollout.guards[g.guard]!;
      if (g.segment !== undefined && !spec.bySegment) continue;
      monitor.mergeEvidence(g.guard, snapshotFromPoints(g.points, guardKind(spec), DEFAULT_CLUSTERS).snapshot, g.segment);
    }
    const state = monitor.state();
    const records: EvidenceRecord[] = state.guards.map((gs) => {
      const spec = gs.guard;
      const kind = guardKind(spec);
      const j = gs.judgement;
      return {
        v: 1, t: new Date(t).toISOString(), env, prompt, stable: release.stable, candidate: rollout.candidate, arm: 1, percent: rollout.percent, step: 0,
        signal: spec.signal, kind, unit: gs.report.unit,
        direction: spec.maxIncrease !== undefined ? 'increase' : spec.maxDecrease !== undefined ? 'decrease' : 'change',
        threshold: (spec.maxIncrease ?? spec.maxDecrease ?? spec.maxChange) as number,
        n_control: j.stableN, n_arm: j.candidateN, control: j.stableMean, treatment: j.candidateMean,
        estimate: gs.report.observed, lower: gs.report.interval[0], upper: gs.report.interval[1], alpha: gs.alpha,
        verdict: j.tripped ? 'tripped' : gs.excluded ? 'excluded' : 'continue', action: null,
      };
    });
    // Progressive ramps (src/fleet/ramp.ts): advance only when every guard excluded a regression at
    // this step, promote after the last step, roll back on a trip; without steps: hold or roll back.
    const ramp = rampDecision(rollout, records.map((r) => ({ signal: r.signal, verdict: r.verdict, nArm: r.n_arm })));
    const decision = ramp.action;
    let applied = false;
    let note = decision === 'hold' ? ramp.reason : decision === 'rollback' ? (rollout.onBreach === 'rollback' ? 'tripped' : 'tripped (on_breach: alert: nothing changed)') : ramp.reason;
    const final = [...records];
    if (decision === 'rollback' && rollout.onBreach === 'rollback' && !options.dryRun) {
      const tripped = records.filter((r) => r.verdict === 'tripped');
      const reason = `fleet judge: ${tripped.map((r) => `${r.signal} ${r.estimate > 0 ? '+' : ''}${r.estimate}${r.unit} [${r.lower}, ${r.upper}] > ${r.threshold}${r.unit}; n = ${r.n_arm} candidate / ${r.n_control} stable`).join('; ')}`;
      const res = await applyRollback(options.dir, env, prompt, rollout, reason, t, observedCell(records, rollout.expected));
      applied = res.applied;
      note = res.note;
      if (applied) {
        for (const r of tripped) final.push({ ...r, action: 'rollback' });
        if (options.publish) await runPublish(options.publish, options.dir);
      }
    } else if ((decision === 'advance' || decision === 'promote') && !options.dryRun) {
      const reason = `fleet judge: ${ramp.reason}`;
      const edit = { author: JUDGE_AUTHOR, reason, now: () => new Date(t) };
      try {
        if (decision === 'advance') await advanceRamp(options.dir, env, prompt, ramp.toPercent!, edit);
        else await promoteRamp(options.dir, env, prompt, { ...edit, observed: observedCell(records, rollout.expected) });
        applied = true;
        note = decision === 'advance' ? `advanced to ${ramp.toPercent}%: ${ramp.reason}` : `promoted v${rollout.candidate}: ${ramp.reason}`;
        for (const r of records) final.push({ ...r, action: decision });
        if (options.publish) await runPublish(options.publish, options.dir);
      } catch (e) {
        // Another judge or a person changed the rollout first: nothing applied; the next run re-judges.
        if (!(e instanceof PromptError && (e.code === ErrorCode.EDIT_CONFLICT || e.code === ErrorCode.CHANGE_REFUSED))) throw e;
        note = `not applied: ${e.message}`;
      }
    }
    for (const r of final) logLines.push(JSON.stringify(r));
    out.push({ prompt, stable: release.stable, candidate: rollout.candidate, percent: rollout.percent, rolloutId: id, records: final, action: decision, applied, note });
  }
  if (logLines.length) {
    const log = options.evidenceLog ?? join(options.dir, '.promptpin', 'evidence.jsonl');
    await mkdir(dirname(log), { recursive: true });
    // One append of whole lines (O_APPEND): concurrent judges never interleave within a line.
    await appendFile(log, `${logLines.join('\n')}\n`);
  }
  const exitCode = out.some((r) => r.applied) ? JUDGE_EXIT.acted : out.some((r) => r.action === 'rollback') ? JUDGE_EXIT.tripped : JUDGE_EXIT.ok;
  return { rollouts: out, exitCode };
}

const MAX = 4 * 1024 * 1024;

/**
 * The same edit as `promptpin rollback` (author `promptpin-judge`, the evidence as the reason, one
 * changelog line), under the folder lock, and only if the rollout judged is still the live one
 * (compare-and-swap): a second judge finds it ended and does nothing. Commits in git when the
 * folder is a checkout.
 */
async function applyRollback(dir: string, env: string, prompt: string, rollout: Rollout, reason: string, t: number, observed: string): Promise<{ applied: boolean; note: string }> {
  return withFolderLock(dir, async () => {
    const releasePath = join(dir, RELEASE_FILE);
    const changelogPath = join(dir, CHANGELOG_FILE);
    const releaseText = await readOptionalBounded(releasePath, { maxBytes: MAX });
    const live = readRelease(releaseText, env, prompt);
    if (!live?.rollout || live.rollout.candidate !== rollout.candidate || (live.rollout.started ?? undefined) !== rollout.started) {
      return { applied: false, note: 'already ended (another judge or a person rolled it back first)' };
    }
    const next = rollbackRelease(releaseText, env, prompt);
    const files = await readFolder(dir);
    const after = checkFolder({ ...files, releaseText: next });
    if (!after.registry) throw new PromptError(ErrorCode.CHANGE_REFUSED, `The rollback of ${prompt} would leave the folder invalid; run promptpin check.`);
    const changelogText = await readOptionalBounded(changelogPath, { maxBytes: MAX });
    const change = `rollback v${rollout.candidate} → v${live.stable} (rollout of v${rollout.candidate} at ${rollout.percent}% ended)`;
    const entry = { date: changelogDate(new Date(t)), author: JUDGE_AUTHOR, prompt, environment: env, change, why: reason, expected: rollout.expected, observed };
    // Changelog first, the release (the write that makes it live) last, as `promptpin rollback`.
    await writeFileAtomic(changelogPath, addChangelogEntry(changelogText, entry));
    if ((await readOptionalBounded(releasePath, { maxBytes: MAX })) !== releaseText) {
      throw new PromptError(ErrorCode.EDIT_CONFLICT, `${RELEASE_FILE} changed while the judge was rolling back ${prompt}. Re-run promptpin judge.`);
    }
    await writeFileAtomic(releasePath, next);
    await gitCommit(dir, `promptpin-judge: ${change}\n\n${reason}\n`);
    return { applied: true, note: `rolled back: v${live.stable} serves everyone` };
  });
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: 300_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr });
    });
  });
}

async function gitCommit(dir: string, message: string): Promise<void> {
  const inside = await run('git', ['rev-parse', '--is-inside-work-tree'], dir);
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') return;
  const env = { ...process.env, GIT_AUTHOR_NAME: 'promptpin-judge', GIT_AUTHOR_EMAIL: 'promptpin-judge@localhost', GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'promptpin-judge', GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'promptpin-judge@localhost' };
  await run('git', ['add', '--', RELEASE_FILE, CHANGELOG_FILE], dir, env);
  const c = await run('git', ['commit', '-m', message, '--', RELEASE_FILE, CHANGELOG_FILE], dir, env);
  if (c.code !== 0) throw new PromptError(ErrorCode.CHANGE_REFUSED, `The rollback was written but git commit failed: ${c.stderr.trim()}. Commit ${RELEASE_FILE} and ${CHANGELOG_FILE} by hand.`);
}

async function runPublish(command: string, dir: string): Promise<void> {
  const r = await run('sh', ['-c', command], dir);
  if (r.code !== 0) throw new PromptError(ErrorCode.CHANGE_REFUSED, `The rollback was written but the publish command failed (exit ${r.code}): ${r.stderr.trim().slice(0, 500)}. Run it by hand: ${command}`);
}

