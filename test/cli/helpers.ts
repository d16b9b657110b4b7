/** Shared by the CLI end-to-end tests: the built binary, temp folders, a spawned `promptpin`. */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * Runs `node dist/cli.js …` in `cwd` with a clean environment: PROMPTPIN_AUTHOR=ana unless
 * overridden, and a git without any user config (so the author fallback is testable).
 */
export function run(cwd: string, args: readonly string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<RunResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(cwd, '.no-gitconfig'),
    PROMPTPIN_AUTHOR: 'ana',
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
