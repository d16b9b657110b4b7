/**
 * The `promptpin` command: edits a prompts folder the way an engineer would by hand, so the files
 * stay the source of truth and every change is a reviewable git diff. Exit codes: 0 ok, 1 refused
 * or check failed, 2 usage error.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { safeForTerminal } from '../internal/terminal.js';
import { runBuild } from './build.js';
import { runCheck } from './check.js';
import type { Io } from '../edit/context.js';
import { runDiff } from './diff.js';
import { runExplain } from './explain.js';
import { runJudge } from './judge.js';
import { runFreeze } from './freeze.js';
import { runLock } from './lock.js';
import { runLog } from './log.js';
import { runOutcome } from './outcome.js';
import { runPromote } from './promote.js';
import { runPublish } from './publish.js';
import { runRamp } from './ramp.js';
import { runReport } from './report.js';
import { runRollback } from './rollback.js';
import { runRollout } from './rollout.js';
import { runStatus } from './status.js';
import { runTypes } from './types.js';
import { runVerb } from './verb.js';

const VERBS: Record<string, (io: Io, args: readonly string[]) => Promise<number>> = {
  publish: runPublish,
  lock: runLock,
  rollout: runRollout,
  ramp: runRamp,
  promote: runPromote,
  rollback: runRollback,
  log: runLog,
  outcome: runOutcome,
  diff: runDiff,
  explain: runExplain,
  check: runCheck,
  build: runBuild,
  types: runTypes,
  status: runStatus,
  judge: runJudge,
  freeze: runFreeze,
  report: runReport,
};

/** The top-level help. */
export const USAGE = `promptpin: prompt changes as production changes (immutable versions, guarded rollouts).

Usage: promptpin <verb> [args] [--dir DIR (default ./prompts)] [--env ENV (default production)] [--json]

Change (each writes one CHANGELOG.md line; author from --author, PROMPTPIN_AUTHOR or git config user.name):
  publish <name> [--from FILE] --message "…"   write the next immutable version and lock it
  rollout <name> --to N --percent P --expect "…" --guard refusal:+0.5pp [--guard …]
                                                start a guarded rollout of version N
  ramp <name> P | --next                        change the rollout's percent (0 pauses), or take the next step
  promote <name> [--to N]                       the candidate (or version N) becomes stable
  rollback <name> [--to N] --reason "…"         end the rollout, or make version N stable
  lock [name]                                   record hashes of versions not yet locked
  outcome <name> "…"                            record the observed outcome of the latest change
  freeze --reason "…" | --lift                  incident switch: roll back every rollout, refuse new ones

Inspect:
  status [name]         what is live per environment, since when
  log [name] [--since 48h|7d|DATE]   the changelog, newest first
  diff <name> A B       template and variable/model changes, breaking ones flagged
  explain <name>        what changed, why, what signal should move, how to reverse it
  check                 validate the folder for CI (exit 1 listing every problem)
  build [-o FILE]       compile the folder into one registry JSON (for URL sources)
  types [-o FILE]       generate TypeScript declarations of each prompt's variables
  report [-o FILE]      one self-contained HTML page: timeline, rollout and guard charts, diffs

Fleet:
  judge [--prometheus URL] [--watch S]   judge live rollouts on the fleet's summed evidence (exit 0/3/4)

Exit codes: 0 ok, 1 refused or check failed, 2 usage error. \`promptpin <verb> --help\` for details.
Docs: docs/cli.md`;

function version(): string {
  try {
    const pkg = join(dirname(realpathSync(process.argv[1] ?? '')), '..', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], rawIo: Io): Promise<number> {
  // Every verb prints user text (notes, reasons, authors, prompt text, error messages quoting
  // arguments): nothing it prints may drive the terminal. One pass over all output, JSON included.
  const io: Io = { ...rawIo, out: (t) => rawIo.out(safeForTerminal(t)), err: (t) => rawIo.err(safeForTerminal(t)) };
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (verb === '--version' || verb === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  const run = Object.prototype.hasOwnProperty.call(VERBS, verb) ? VERBS[verb] : undefined;
  if (!run) {
    io.err(`promptpin: unknown verb "${verb}".\n\n${USAGE}\n`);
    return 2;
  }
  return runVerb(verb, run, io, rest);
}

/**
 * Runs the CLI as the bin does: {@link main}, with anything it throws unexpectedly printed to
 * stderr as `promptpin: <stack>` and exit code 1. Tests call it with a captured {@link Io}.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    io.err(`promptpin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
