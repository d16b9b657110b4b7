/**
 * Issue 9, item 9a: terminal escape sequences in user text (changelog notes, reasons, expected
 * notes, authors) were stored raw and echoed by `log`, `status` and `explain`. They stay stored as
 * written; every output shows them as visible escapes.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import type { Io } from '../../src/edit/context.js';
import { oneLine, safeForTerminal } from '../../src/internal/terminal.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Everything a terminal could act on: C0 (but tab/newline), DEL, C1, bidi controls, line separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = 'ok\u001b[2J\u001b]0;pwned\u0007\u009b31m\rXX\u202egnp.exe\u2066\u0008';
const AUTHOR = 'mallory\u001b[8m';

let cwd: string;
let dir: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'promptpin-term-'));
  dir = join(cwd, 'prompts');
  await cp(join(ROOT, 'examples', 'prompts'), dir, { recursive: true });
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readStdin: async () => '',
    env: { PROMPTPIN_AUTHOR: AUTHOR, NO_COLOR: '1' },
    cwd,
    now: () => new Date('2026-12-01T10:00:00Z'),
  };
  const code = await main([...args, '--dir', dir], io);
  return { code, out, err };
}

describe('safeForTerminal', () => {
  it('should escape every control, C1 and bidi character visibly, and keep everything else', () => {
    expect(safeForTerminal(HOSTILE)).toBe('ok\\x1b[2J\\x1b]0;pwned\\x07\\u009b31m\\rXX\\u202egnp.exe\\u2066\\x08');
    expect(safeForTerminal('a\tb\nc')).toBe('a\tb\nc');
    expect(oneLine('a\nb')).toBe('a\\nb');
    expect(safeForTerminal('héllo → 日本 🙂')).toBe('héllo → 日本 🙂');
  });

  it('should leave no raw control in any string, and keep the JSON value (seeded)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(RAW.test(safeForTerminal(s))).toBe(false);
        expect(/[\n]/.test(oneLine(s))).toBe(false);
        const json = safeForTerminal(JSON.stringify({ s }));
        expect(RAW.test(json)).toBe(false);
        expect((JSON.parse(json) as { s: string }).s).toBe(s);
      }),
      { seed: 9009, numRuns: 2000 },
    );
  });
});

describe('CLI output of user text', () => {
  beforeAll(async () => {
    const back = await cli(['rollback', 'support-agent', '--reason', `reason ${HOSTILE}`]);
    expect(back.err).toBe('');
    expect(back.code).toBe(0);
    const r = await cli(['rollout', 'support-agent', '--to', '2', '--percent', '10', '--expect', `Refusal rate unchanged ${HOSTILE}`, '--guard', 'refusal:+0.5pp']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((await cli(['outcome', 'support-agent', HOSTILE])).code).toBe(0);
  });

  it('should store the notes as written (output-only neutralization)', async () => {
    const log = await readFile(join(dir, 'CHANGELOG.md'), 'utf8');
    expect(log).toContain('\u001b[2J');
    expect(log).toContain('\u202e');
  });

  it.each([
    ['log', ['log']],
    ['log support-agent', ['log', 'support-agent']],
    ['status', ['status']],
    ['explain', ['explain', 'support-agent', '--env', 'production']],
  ])('should print no raw escape sequence in `%s`, human and --json', async (_name, args) => {
    const human = await cli(args);
    expect(human.code).toBe(0);
    expect(RAW.test(human.out)).toBe(false);
    expect(RAW.test(human.err)).toBe(false);
    expect(human.out).toContain('\\x1b[2J');
    expect(human.out).toContain('\\u202e');
    const json = await cli([...args, '--json']);
    expect(RAW.test(json.out)).toBe(false);
    // The JSON still carries the text as stored (the changelog writer already folds \r and C1).
    const parsed = JSON.stringify(JSON.parse(json.out));
    expect(parsed).toContain('\\u001b[2J\\u001b]0;pwned');
    expect(parsed).toContain('\u202egnp.exe');
  });

  it('should print error messages quoting an argument without its escape sequences', async () => {
    const r = await cli(['rollout', 'support-agent', '--env', 'staging', '--to', '1', '--percent', '10', '--expect', HOSTILE, '--guard', 'refusal:+0.5pp']);
    expect(r.code).toBe(1);
    expect(RAW.test(r.err)).toBe(false);
    expect(r.err).toContain('\\x1b]0;pwned');
  });

  it('should print authors with escape sequences visibly', async () => {
    const r = await cli(['log']);
    expect(r.out).toContain('mallory\\x1b[8m');
  });
});
