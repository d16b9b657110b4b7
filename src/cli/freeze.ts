/** `promptpin freeze --reason "…"` / `promptpin freeze --lift`: the incident switch. */
import { resolve } from 'node:path';
import { applyFreeze, applyLift } from '../fleet/freeze.js';
import { describeFreeze } from '../registry/freeze-edit.js';
import { CHANGE_OPTIONS, command, emit, makeCtx, positionals, requireAuthor, type Io } from '../edit/context.js';
import { parseVerbArgs } from './parse-args.js';

/** Usage of `freeze`. */
export const FREEZE_USAGE = `promptpin freeze --reason "…" [--evidence-log FILE] [--author NAME] [--dir DIR] [--json]
promptpin freeze --lift [--dir DIR] [--json]

Incident switch: rolls back every live rollout in every environment at once (one changelog line
each) and records freeze: in promptpin.yaml. While frozen, rollout, ramp and promote refuse
(REGISTRY_FROZEN) and no candidate is served; rollback still works. --lift ends the freeze.`;

const OPTIONS = { ...CHANGE_OPTIONS, reason: { type: 'string' }, lift: { type: 'boolean' }, 'evidence-log': { type: 'string' } } as const;

/** Runs `freeze`. */
export async function runFreeze(io: Io, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseVerbArgs(args, OPTIONS, FREEZE_USAGE);
  if (values.help) {
    io.out(`${FREEZE_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  positionals(pos, [], FREEZE_USAGE);
  if (values.lift) {
    const r = await applyLift(ctx);
    emit(ctx, [`Lifted the freeze of ${r.files[0]} (${r.was ? describeFreeze(r.was) : ''}). Rollouts, ramps and promotions are allowed again.`, `Wrote ${r.files.join(', ')}.`].join('\n'), { ok: true, lifted: r.was, files: r.files });
    return 0;
  }
  const author = requireAuthor(ctx, values.author);
  const r = await applyFreeze(ctx, { author, reason: values.reason ?? '', ...(values['evidence-log'] !== undefined ? { evidenceLog: resolve(io.cwd, values['evidence-log']) } : {}) });
  const lines = [
    `Froze the prompts folder since ${r.since}: ${r.rolledBack.length} live rollout${r.rolledBack.length === 1 ? '' : 's'} rolled back.`,
    ...r.rolledBack.map((b) => `  ${b.environment} ${b.prompt}: v${b.candidate} at ${b.percent}% → v${b.stable} for everyone${b.observed ? ` (observed: ${b.observed})` : ''}`),
    `Wrote ${r.files.join(', ')}. Rollout, ramp and promote refuse until ${command(ctx, 'freeze --lift')}.`,
  ];
  emit(ctx, lines.join('\n'), { ok: true, since: r.since, rolledBack: r.rolledBack, files: r.files });
  return 0;
}
