/**
 * The `promptpin` command: edits a prompts folder the way an engineer would by hand, so the files
 * stay the source of truth and every change is a reviewable git diff. Exit codes: 0 ok, 1 refused
 * or check failed, 2 usage error.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { formatIssue, isPromptError, type RegistryIssue } from '../errors.js';
import { safeForTerminal } from '../internal/terminal.js';
import { runBuild } from './build.js';
import { runCheck } from './check.js';
import { ChangeRefused, DEFAULT_DIR, UsageError, type Io } from './context.js';
import { runDiff } from './diff.js';
import { runExplain } from './explain.js';
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
  report: runReport,
};

/** The top-level help. */
export const USAGE = `promptpin: prompt changes as production changes (immutable versions, guarded rollouts).

Usage: promptpin <verb> [args] [--dir DIR (default ./prompts)] [--env ENV (default production)] [--json]

Change (each writes one CHANGELOG.md line; author from --author, PROMPTPIN_AUTHOR or git config user.name):
  publish <name> [--from FILE] --message "…"   write the next immutable version and lock it
  rollout <name> --to N --percent P --expect "…" --guard refusal:+0.5pp [--guard …]
                                                start a guarded rollout of version N
  ramp <name> P                                 change the rollout's percent (0 pauses)
  promote <name> [--to N]                       the candidate (or version N) becomes stable
  rollback <name> [--to N] --reason "…"         end the rollout, or make version N stable
  lock [name]                                   record hashes of versions not yet locked
  outcome <name> "…"                            record the observed outcome of the latest change

Inspect:
  status [name]         what is live per environment, since when
  log [name] [--since 48h|7d|DATE]   the changelog, newest first
  diff <name> A B       template and variable/model changes, breaking ones flagged
  explain <name>        what changed, why, what signal should move, how to reverse it
  check                 validate the folder for CI (exit 1 listing every problem)
  build [-o FILE]       compile the folder into one registry JSON (for URL sources)
  types [-o FILE]       generate TypeScript declarations of each prompt's variables
  report [-o FILE]      one self-contained HTML page: timeline, rollout and guard charts, diffs

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
  const json = rest.includes('--json');
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
  try {
    return await run(io, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`promptpin ${verb}: ${err.message}\n${err.usage ? `\nUsage: ${err.usage}\n` : ''}`);
      return 2;
    }
    if (isPromptError(err)) {
      const raw = (err as { issues?: unknown }).issues;
      const folder = folderOf(rest, io);
      // Issues name files relative to the prompts folder; show them relative to the working directory.
      const list =
        (err instanceof ChangeRefused || err.name === 'RegistryError') && Array.isArray(raw)
          ? (raw as RegistryIssue[]).map((i) => (i.file ? { ...i, file: relative(io.cwd, join(folder, i.file)) } : i))
          : [];
      if (json) {
        io.out(`${JSON.stringify({ ok: false, error: { code: err.code, message: err.message, issues: list } }, null, 2)}\n`);
        return 1;
      }
      const head = err.name === 'RegistryError' ? `the prompts folder has ${list.length} problem${list.length === 1 ? '' : 's'}:` : err.message;
      const refused = err.code === 'CHANGE_REFUSED' || err.code === 'EDIT_CONFLICT' ? 'refused: ' : '';
      io.err(`promptpin ${verb}: ${refused}${head}${list.map((i) => `\n  ✖ ${formatIssue(i)}`).join('')}\n`);
      return 1;
    }
    io.err(`promptpin ${verb}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The prompts folder a command line names (`--dir X` or `--dir=X`), for error display. */
function folderOf(args: readonly string[], io: Io): string {
  let dir = DEFAULT_DIR;
  args.forEach((a, i) => {
    if (a === '--dir' && args[i + 1] !== undefined) dir = args[i + 1]!;
    else if (a.startsWith('--dir=')) dir = a.slice('--dir='.length);
  });
  return resolve(io.cwd, dir);
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
