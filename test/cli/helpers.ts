/**
 * Shared by the CLI tests: temp projects, `promptpin` run in process through `runCli(argv, io)`
 * with a captured IO ({@link run}), and the built binary run as a real process ({@link runBin},
 * kept for the few tests of the bin itself: shebang, exit codes, stdio).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/cli.js';
import type { Io } from '../../src/edit/context.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI, as `npm` links it to `promptpin`. */
export const CLI = join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ with tsup when dist/cli.js is missing or older than src/ (CI builds before the
 * tests, so this only runs during development). A lock directory keeps parallel test files from
 * building at the same time.
 */
export function ensureBuilt(): void {
  const stale = (): boolean => !existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(join(ROOT, 'src'));
  if (!stale()) return;
  const lock = join(tmpdir(), `promptpin-build-${Buffer.from(ROOT).toString('hex').slice(-24)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!stale()) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    if (!existsSync(CLI)) throw new Error(`tsup did not produce dist/cli.js:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A temp working directory holding a copy of examples/prompts as ./prompts. */
export async function tempProject(): Promise<{ cwd: string; dir: string; read: (rel: string) => Promise<string>; write: (rel: string, text: string) => Promise<void>; cleanup: () => Promise<void> }> {
  const cwd = await mkdtemp(join(tmpdir(), 'promptpin-cli-'));
  const dir = join(cwd, 'prompts');
  await cp(join(ROOT, 'examples', 'prompts'), dir, { recursive: true });
  return {
    cwd,
    dir,
    read: (rel) => readFile(join(dir, rel), 'utf8'),
    write: (rel, text) => writeFile(join(dir, rel), text),
    cleanup: () => rm(cwd, { recursive: true, force: true }),
  };
}

/** What a CLI run produced. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The clock of in-process CLI runs unless a test passes its own: a fixed instant, so dates are exact. */
export const NOW = new Date('2027-01-15T09:30:00Z');

/** Options of {@link run} and {@link runBin}. */
export interface RunOptions {
  /** Variables to set (a string) or remove (undefined) on top of the clean environment. */
  readonly env?: Record<string, string | undefined>;
  /** What the command reads on stdin (`--from -`); empty by default. */
  readonly input?: string;
  /** The clock (in process only). @defaultValue () => NOW */
  readonly now?: () => Date;
}

/**
 * A clean environment for `cwd`: PROMPTPIN_AUTHOR=ana unless overridden, and a git without any
 * user config (so the author fallback is testable).
 */
function cleanEnv(cwd: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(cwd, '.no-gitconfig'),
    PROMPTPIN_AUTHOR: 'ana',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs `promptpin …` in this process, exactly as the bin does (`runCli` with the argv after
 * `node cli.js`), in `cwd` with a clean environment (see {@link cleanEnv}), stdout and stderr
 * captured, stdin from `opts.input`, and the clock `opts.now` (default {@link NOW}).
 */
export async function run(cwd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    readStdin: () => Promise.resolve(opts.input ?? ''),
    env: cleanEnv(cwd, opts.env),
    cwd,
    now: opts.now ?? (() => new Date(NOW)),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Runs the built binary, `node dist/cli.js …`, as a real process in `cwd` with a clean environment. */
export function runBin(cwd: string, args: readonly string[], opts: Omit<RunOptions, 'now'> = {}): Promise<RunResult> {
  const env = cleanEnv(cwd, opts.env);
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
