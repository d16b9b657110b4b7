/** `promptpin report [-o FILE]`: one self-contained HTML page of the folder's history. */
import { resolve } from 'node:path';
import { parseDuration } from '../registry/release.js';
import { buildReport } from '../report/write-report.js';
import { COMMON_OPTIONS, emit, makeCtx, positionals, show, UsageError, writeAtomic, type Io } from '../edit/context.js';
import { parseVerbArgs } from './parse-args.js';
import { sinceArg } from './log.js';

/** Usage of `report`. */
export const REPORT_USAGE = `promptpin report [-o FILE (default promptpin-report.html)] [--evidence-log FILE]
                 [--prometheus URL [--since 7d] [--step 30s]] [--title "…"] [--dir DIR] [--json]

Writes one self-contained HTML file (no network): per prompt a timeline of changes with author, why,
expected and observed; per rollout the version share over time and each guard's confidence bounds
against its threshold as samples arrive, the moment it tripped or was excluded; each change's diff
one click away. Evidence from the judge's log (default <dir>/.promptpin/evidence.jsonl) or from
Prometheus range queries over the judge's guard gauges (--prometheus).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  output: { type: 'string', short: 'o' },
  'evidence-log': { type: 'string' },
  prometheus: { type: 'string' },
  since: { type: 'string' },
  step: { type: 'string' },
  title: { type: 'string' },
} as const;

/** Runs `report`. */
export async function runReport(io: Io, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseVerbArgs(args, OPTIONS, REPORT_USAGE);
  if (values.help) {
    io.out(`${REPORT_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  positionals(pos, [], REPORT_USAGE);
  if (values.prometheus !== undefined && values['evidence-log'] !== undefined) throw new UsageError('give --evidence-log or --prometheus, not both.', REPORT_USAGE);
  const now = io.now();
  const step = values.step !== undefined ? parseDuration(values.step) : 30_000;
  if (step === null || !(step >= 1000)) throw new UsageError(`--step "${values.step}" is not a duration of at least 1s (30s, 1m).`, REPORT_USAGE);
  const out = resolve(io.cwd, values.output ?? 'promptpin-report.html');
  const r = await buildReport({
    dir: ctx.dir,
    now: () => now,
    ...(values['evidence-log'] !== undefined ? { evidenceLog: resolve(io.cwd, values['evidence-log']) } : {}),
    ...(values.prometheus !== undefined ? { prometheus: { url: values.prometheus, start: sinceArg(values.since ?? '7d', now), stepSeconds: step / 1000 } } : {}),
    ...(values.title !== undefined ? { title: values.title } : {}),
  });
  await writeAtomic(out, r.html);
  const skipped = r.skippedLines.length ? ` (${r.skippedLines.length} evidence line(s) skipped as invalid: ${r.skippedLines.slice(0, 5).join(', ')})` : '';
  emit(ctx, `Wrote ${show(ctx, out)}: ${r.evidence} guard judgements${skipped}.`, { ok: true, file: show(ctx, out), evidence: r.evidence, skippedLines: r.skippedLines, bytes: Buffer.byteLength(r.html) });
  return 0;
}
