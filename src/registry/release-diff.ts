import { parseChangelog } from './changelog.js';
import { listReleases, type ReleaseSnapshot } from './edit.js';

/** One change to what serves, between two versions of `promptpin.yaml`. */
export interface LiveChange {
  readonly environment: string;
  readonly prompt: string;
  /** `stable` flip, a rollout `started`/`ended`, its `percent` or `candidate` changed, a release `added`/`removed`, `overrides` changed. */
  readonly kind: 'stable' | 'started' | 'ended' | 'percent' | 'candidate' | 'added' | 'removed' | 'overrides';
  /** Human-readable: `stable v1 → v2`, `rollout of v2 at 10%`, `percent 10% → 50%`. */
  readonly what: string;
}

/**
 * The live changes from `baseText` to `headText` (release files), per environment and prompt: what
 * a pull request changes in what serves. Pure; `promptpin check --base` reads both from git.
 */
export function liveChanges(baseText: string | undefined, headText: string | undefined): LiveChange[] {
  const key = (env: string, prompt: string): string => `${env}\u0000${prompt}`;
  const base = new Map(listReleases(baseText).map((l) => [key(l.environment, l.prompt), l.release]));
  const out: LiveChange[] = [];
  const seen = new Set<string>();
  for (const { environment, prompt, release } of listReleases(headText)) {
    const k = key(environment, prompt);
    seen.add(k);
    const before = base.get(k);
    const push = (kind: LiveChange['kind'], what: string): void => void out.push({ environment, prompt, kind, what });
    if (before === undefined) {
      push('added', `release added (stable v${release.stable ?? '?'}${release.rollout ? `, rollout of v${release.rollout.candidate} at ${release.rollout.percent}%` : ''})`);
      continue;
    }
    diffRelease(before, release, push);
  }
  for (const l of listReleases(baseText)) {
    if (!seen.has(key(l.environment, l.prompt))) out.push({ environment: l.environment, prompt: l.prompt, kind: 'removed', what: 'release removed' });
  }
  return out;
}

function diffRelease(a: ReleaseSnapshot, b: ReleaseSnapshot, push: (kind: LiveChange['kind'], what: string) => void): void {
  if (a.stable !== b.stable) push('stable', `stable v${a.stable ?? '?'} → v${b.stable ?? '?'}`);
  const ra = a.rollout;
  const rb = b.rollout;
  if (ra === undefined && rb !== undefined) push('started', `rollout of v${rb.candidate} at ${rb.percent}%`);
  else if (ra !== undefined && rb === undefined) push('ended', `rollout of v${ra.candidate} ended`);
  else if (ra !== undefined && rb !== undefined) {
    if (ra.candidate !== rb.candidate) push('candidate', `candidate v${ra.candidate} → v${rb.candidate}`);
    else if (ra.percent !== rb.percent) push('percent', `percent ${ra.percent}% → ${rb.percent}%`);
  }
  if (JSON.stringify(a.overrides) !== JSON.stringify(b.overrides)) push('overrides', 'overrides changed');
}

/**
 * The live changes that come without a changelog line: a change to a prompt in an environment
 * needs a row for that prompt and environment that the base changelog does not have.
 */
export function changesWithoutChangelog(changes: readonly LiveChange[], baseChangelog: string | undefined, headChangelog: string | undefined): LiveChange[] {
  const row = (e: { date: string; author: string; prompt: string; environment: string; change: string }): string => [e.date, e.author, e.prompt, e.environment, e.change].join('\u0000');
  const old = new Set(parseChangelog(baseChangelog).map(row));
  const covered = new Set(parseChangelog(headChangelog).filter((e) => !old.has(row(e))).map((e) => `${e.environment}\u0000${e.prompt}`));
  return changes.filter((c) => !covered.has(`${c.environment}\u0000${c.prompt}`));
}
