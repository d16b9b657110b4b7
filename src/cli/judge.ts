/** `promptpin judge`: one verdict for the whole fleet, from the evidence every instance exports. */
import { join } from 'node:path';
import { judgeFleet, JUDGE_EXIT, type JudgeFleetResult } from '../fleet/judge.js';
import { parseDuration } from '../registry/release.js';
import { parseYamlSafely } from '../internal/yaml.js';
import { LIMITS } from '../internal/safe-data.js';
import { COMMON_OPTIONS, makeCtx, readOptional, UsageError, type Io } from '../edit/context.js';
import { parseVerbArgs } from './parse-args.js';

/** Usage of `judge`. */
export const JUDGE_USAGE = `promptpin judge [--prometheus URL] [--publish "CMD"] [--watch SECONDS] [--dry-run] [--evidence-log FILE] [--env ENV] [--dir DIR] [--json]

Judges every live guarded rollout on the fleet's sums of the evidence clients export
(promptpin_guard_evidence_total), with the same anytime-valid test a client runs. On a breach with
on_breach: rollback it rolls back (author promptpin-judge, evidence as the reason), commits when the
folder is a git checkout, and runs the publish command. Defaults come from promptpin.yaml
judge: { prometheus, publish, interval }.

Exit codes: 0 nothing tripped, 3 tripped but nothing changed (alert, --dry-run, or another judge
acted first), 4 a rollback was applied, 1 error, 2 usage error. --watch runs until stopped.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  prometheus: { type: 'string' },
  publish: { type: 'string' },
  watch: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'evidence-log': { type: 'string' },
} as const;

function print(io: Io, json: boolean, r: JudgeFleetResult): void {
  if (json) {
    io.out(`${JSON.stringify({ ok: true, exitCode: r.exitCode, rollouts: r.rollouts })}\n`);
    return;
  }
  if (r.rollouts.length === 0) io.out('No live guarded rollout to judge.\n');
  for (const ro of r.rollouts) {
    io.out(`${ro.prompt} v${ro.candidate} at ${ro.percent}% (stable v${ro.stable}): ${ro.note}\n`);
    for (const rec of ro.records.filter((x) => x.action === null)) {
      io.out(`  ${rec.verdict.padEnd(8)} ${rec.signal} ${rec.estimate > 0 ? '+' : ''}${rec.estimate}${rec.unit} [${rec.lower}, ${rec.upper}] threshold ${rec.threshold}${rec.unit}; n = ${rec.n_arm} candidate / ${rec.n_control} stable\n`);
    }
  }
}

/** Runs `judge`. */
export async function runJudge(io: Io, args: readonly string[]): Promise<number> {
  const { values } = parseVerbArgs(args, OPTIONS, JUDGE_USAGE);
  if (values.help) {
    io.out(`${JUDGE_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  const text = await readOptional(join(ctx.dir, 'promptpin.yaml'));
  const cfg = ((text ? (parseYamlSafely(text, LIMITS.configFileChars).value as { judge?: Record<string, unknown> } | null) : null)?.judge ?? {}) as { prometheus?: string; publish?: string; interval?: string | number };
  const prometheus = values.prometheus ?? cfg.prometheus;
  if (!prometheus) throw new UsageError('no Prometheus URL: pass --prometheus URL or set judge: { prometheus: URL } in promptpin.yaml.', JUDGE_USAGE);
  const publish = values.publish ?? cfg.publish;
  const watchS = values.watch !== undefined ? Number(values.watch) : undefined;
  if (watchS !== undefined && !(Number.isFinite(watchS) && watchS > 0)) throw new UsageError(`--watch "${values.watch}" is not a number of seconds > 0.`, JUDGE_USAGE);
  const once = (): Promise<JudgeFleetResult> =>
    judgeFleet({
      dir: ctx.dir,
      prometheus,
      environment: ctx.env,
      now: () => io.now().getTime(),
      ...(values['dry-run'] ? { dryRun: true } : {}),
      ...(publish ? { publish } : {}),
      ...(values['evidence-log'] ? { evidenceLog: values['evidence-log'] } : {}),
    });
  if (watchS === undefined) {
    const r = await once();
    print(io, ctx.json, r);
    return r.exitCode;
  }
  const intervalMs = watchS * 1000 || (cfg.interval !== undefined ? (parseDuration(cfg.interval) ?? 30_000) : 30_000);
  for (;;) {
    try {
      print(io, ctx.json, await once());
    } catch (err) {
      // A controller keeps running through a failed query; the next tick retries.
      io.err(`promptpin judge: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export { JUDGE_EXIT };
