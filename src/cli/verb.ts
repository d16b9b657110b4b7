/**
 * How a verb is declared: {@link defineVerb} holds, once, the preamble every verb shares (parse the
 * options, answer `--help`, resolve the folder and environment, count the positionals), and
 * {@link runVerb} maps what a verb throws to its output and exit code.
 */
import { join, relative, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { formatIssue, isPromptError, type RegistryIssue } from '../errors.js';
import { ChangeRefused, DEFAULT_DIR, makeCtx, positionals, UsageError, type Ctx, type Io, type WriteChangeHooks } from '../edit/context.js';
import { parseVerbArgs } from './parse-args.js';

type VerbOptions = NonNullable<ParseArgsConfig['options']>;

/** The parsed option values of a verb declared with options `O`. */
export type VerbValues<O extends VerbOptions> = ReturnType<typeof parseVerbArgs<O>>['values'];

/** The positionals of a verb: one string per name, `string | undefined` for a name ending in `?`. */
export type VerbArgs<P extends readonly string[]> = { -readonly [K in keyof P]: P[K] extends `${string}?` ? string | undefined : string };

/** What a verb's body receives, the preamble done. */
export interface VerbCall<O extends VerbOptions, P extends readonly string[]> {
  readonly io: Io;
  readonly ctx: Ctx;
  readonly values: VerbValues<O>;
  readonly args: VerbArgs<P>;
  /** The verb's usage text (for the {@link UsageError}s its body throws). */
  readonly usage: string;
  /** Test seams of the folder writes (see {@link WriteChangeHooks}). */
  readonly hooks: WriteChangeHooks;
}

/** A declared verb: called with the arguments after the verb name; throws what its body throws. */
export interface Verb {
  (io: Io, args: readonly string[], hooks?: WriteChangeHooks): Promise<number>;
  /** The verb's name (`promptpin <name>`). */
  readonly verb: string;
  /** The verb's usage text (`promptpin <name> --help`). */
  readonly usage: string;
}

/** A verb's declaration: everything {@link defineVerb} needs before the body runs. */
export interface VerbSpec<O extends VerbOptions, P extends readonly string[]> {
  readonly name: string;
  readonly usage: string;
  /** `parseArgs` options; include {@link COMMON_OPTIONS} (`--dir`, `--env`, `--json`, `--help`). */
  readonly options: O;
  /** Positional names, in order; a name ending in `?` is optional and must come after the required ones. */
  readonly positionals?: P;
}

/**
 * Declares a verb. The returned function parses the arguments (a malformed line is a
 * {@link UsageError}), prints the usage on `--help`, builds the {@link Ctx} (`--dir`, `--env`,
 * `--json`), checks the positionals' count, then runs `run`. The body is a second argument so it
 * reads as a function body.
 */
export function defineVerb<const O extends VerbOptions, const P extends readonly string[] = readonly []>(
  spec: VerbSpec<O, P>,
  run: (call: VerbCall<O, P>) => Promise<number>,
): Verb {
  const names = (spec.positionals ?? []) as readonly string[];
  const optional = names.filter((n) => n.endsWith('?')).length;
  const bare = names.map((n) => (n.endsWith('?') ? n.slice(0, -1) : n));
  const verb = async (io: Io, args: readonly string[], hooks: WriteChangeHooks = {}): Promise<number> => {
    const { values, positionals: pos } = parseVerbArgs(args, spec.options, spec.usage);
    if ((values as { help?: boolean }).help) {
      io.out(`${spec.usage}\n`);
      return 0;
    }
    const ctx = makeCtx(io, values);
    const list = positionals(pos, bare, spec.usage, optional) as unknown as VerbArgs<P>;
    return run({ io, ctx, values, args: list, usage: spec.usage, hooks });
  };
  return Object.assign(verb, { verb: spec.name, usage: spec.usage });
}

/**
 * Runs a verb and maps what it throws to output and an exit code: a {@link UsageError} is 2 (the
 * message and the usage on stderr); a PromptError is 1 (its message, or with `--json` an
 * `{ ok: false, error }` document on stdout; folder problems listed with their files relative to
 * the working directory); anything else is 1 with its message.
 */
export async function runVerb(name: string, run: (io: Io, args: readonly string[]) => Promise<number>, io: Io, args: readonly string[]): Promise<number> {
  try {
    return await run(io, args);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`promptpin ${name}: ${err.message}\n${err.usage ? `\nUsage: ${err.usage}\n` : ''}`);
      return 2;
    }
    if (isPromptError(err)) {
      const raw = (err as { issues?: unknown }).issues;
      const folder = folderOf(args, io);
      // Issues name files relative to the prompts folder; show them relative to the working directory.
      const list =
        (err instanceof ChangeRefused || err.name === 'RegistryError') && Array.isArray(raw)
          ? (raw as RegistryIssue[]).map((i) => (i.file ? { ...i, file: relative(io.cwd, join(folder, i.file)) } : i))
          : [];
      if (args.includes('--json')) {
        io.out(`${JSON.stringify({ ok: false, error: { code: err.code, message: err.message, issues: list } }, null, 2)}\n`);
        return 1;
      }
      const head = err.name === 'RegistryError' ? `the prompts folder has ${list.length} problem${list.length === 1 ? '' : 's'}:` : err.message;
      const refused = err.code === 'CHANGE_REFUSED' || err.code === 'EDIT_CONFLICT' ? 'refused: ' : '';
      io.err(`promptpin ${name}: ${refused}${head}${list.map((i) => `\n  ✖ ${formatIssue(i)}`).join('')}\n`);
      return 1;
    }
    io.err(`promptpin ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
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
