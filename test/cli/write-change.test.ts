import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPromptError } from '../../src/errors.js';
import { loadFolder, makeCtx, writeChange, type Io } from '../../src/edit/context.js';
import { runPublish } from '../../src/cli/publish.js';
import { writeReleaseChange } from '../../src/edit/release-change.js';
import { addChangelogEntry } from '../../src/registry/changelog.js';
import { rollbackRelease } from '../../src/registry/edit.js';
import { ROOT } from './helpers.js';

let cwd: string;
let dir: string;
const read = (rel: string): Promise<string> => readFile(join(dir, rel), 'utf8');
const exists = (rel: string): Promise<boolean> => readFile(join(dir, rel), 'utf8').then(
  () => true,
  () => false,
);

function io(readStdin: () => Promise<string> = async () => ''): Io {
  return { out: () => {}, err: () => {}, readStdin, env: { PROMPTPIN_AUTHOR: 'ana' }, cwd, now: () => new Date('2026-11-27T06:00:00Z') };
}

/** A concurrent edit refuses with EDIT_CONFLICT; a change left partly written with CHANGE_REFUSED. */
async function refusal(p: Promise<unknown>, code: 'EDIT_CONFLICT' | 'CHANGE_REFUSED' = 'EDIT_CONFLICT'): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPromptError(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return (err as Error).message;
}

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'promptpin-write-'));
  dir = join(cwd, 'prompts');
  await cp(join(ROOT, 'examples', 'prompts'), dir, { recursive: true });
  await writeFile(
    join(dir, 'CHANGELOG.md'),
    addChangelogEntry(undefined, { date: '2026-11-20T15:00:00Z', author: 'ana', prompt: 'support-agent', environment: 'production', change: 'rollout v2 at 10% (stable v1)', why: 'w', expected: 'e', observed: '' }),
  );
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('writeChange', () => {
  it('should check every file before the first write: a change to the last file refuses the whole change', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    await writeFile(a, 'a0');
    await writeFile(b, 'b-concurrent');
    const message = await refusal(writeChange([
      { path: a, text: 'a1', expected: 'a0' },
      { path: b, text: 'b1', expected: 'b0' },
    ]));
    expect(message).toBe('b.txt changed since promptpin read it (another edit ran at the same time); nothing was written. Re-run the command.');
    expect(await read('a.txt')).toBe('a0');
    expect(await read('b.txt')).toBe('b-concurrent');
  });

  it('should refuse a file to create that already exists, before writing anything', async () => {
    await writeFile(join(dir, 'new.txt'), 'theirs');
    await writeFile(join(dir, 'a.txt'), 'a0');
    const message = await refusal(writeChange([
      { path: join(dir, 'a.txt'), text: 'a1', expected: 'a0' },
      { path: join(dir, 'new.txt'), text: 'mine', expected: undefined, create: true },
    ]));
    expect(message).toContain('new.txt already exists (a concurrent publish?)');
    expect(await read('a.txt')).toBe('a0');
    expect(await read('new.txt')).toBe('theirs');
  });

  it('should put back the files already written when a later write is refused (an edit racing the writes)', async () => {
    const created = join(dir, 'v9.txt');
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    await writeFile(a, 'a0');
    await writeFile(b, 'b0');
    const seen: string[] = [];
    const message = await refusal(
      writeChange(
        [
          { path: created, text: 'new', expected: undefined, create: true },
          { path: a, text: 'a1', expected: 'a0' },
          { path: b, text: 'b1', expected: 'b0' },
        ],
        {
          beforeWrite: async (path) => {
            seen.push(path);
            if (path === b) {
              // Both earlier writes landed, then another edit changes b before it is written.
              expect(await read('v9.txt')).toBe('new');
              expect(await read('a.txt')).toBe('a1');
              await writeFile(b, 'b-concurrent');
            }
          },
        },
      ),
    );
    expect(seen).toEqual([created, a, b]);
    expect(message).toContain('b.txt changed while promptpin was editing it');
    expect(await exists('v9.txt')).toBe(false);
    expect(await read('a.txt')).toBe('a0');
    expect(await read('b.txt')).toBe('b-concurrent');
  });

  it('should never undo a concurrent edit while putting files back, and name what it could not put back', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    await writeFile(a, 'a0');
    await writeFile(b, 'b0');
    const message = await refusal(
      writeChange(
        [
          { path: a, text: 'a1', expected: 'a0' },
          { path: b, text: 'b1', expected: 'b0' },
        ],
        {
          beforeWrite: async (path) => {
            if (path !== b) return;
            await writeFile(a, 'a-concurrent');
            await writeFile(b, 'b-concurrent');
          },
        },
      ),
      'CHANGE_REFUSED',
    );
    expect(message).toMatchInlineSnapshot(
      `"the change was only partly written: b.txt changed while promptpin was editing it (another edit ran at the same time). a.txt was already written and could not be put back. Compare the folder with git (git status, git diff) and finish or undo the change by hand."`,
    );
    expect(await read('a.txt')).toBe('a-concurrent');
    expect(await read('b.txt')).toBe('b-concurrent');
  });
});

describe('writeReleaseChange', () => {
  it('should refuse before writing promptpin.yaml when CHANGELOG.md changed since it was read', async () => {
    const ctx = makeCtx(io(), {});
    const state = await loadFolder(ctx);
    const releaseText = rollbackRelease(state.files.releaseText, 'production', 'support-agent');
    // Another change logged a line after this one read the folder.
    const changelog = `${await read('CHANGELOG.md')}| 2026-11-27T05:59:00Z | bo | support-agent | production | ramp v2 10% → 20% | more traffic | | |\n`;
    await writeFile(join(dir, 'CHANGELOG.md'), changelog);
    const releaseBefore = await read('promptpin.yaml');
    const message = await refusal(writeReleaseChange(ctx, state, releaseText, { author: 'ana', prompt: 'support-agent', change: 'rollback v2 → v1', why: 'refusals up', expected: '' }, 'the rollback'));
    expect(message).toContain('CHANGELOG.md changed since promptpin read it');
    expect(await read('promptpin.yaml')).toBe(releaseBefore);
    expect(await read('CHANGELOG.md')).toBe(changelog);
  });

  it('should put the changelog back when promptpin.yaml changes while the change is written', async () => {
    const ctx = makeCtx(io(), {});
    const state = await loadFolder(ctx);
    const changelogBefore = await read('CHANGELOG.md');
    const releaseText = rollbackRelease(state.files.releaseText, 'production', 'support-agent');
    const theirs = `${state.files.releaseText ?? ''}# edited by someone else\n`;
    const order: string[] = [];
    const message = await refusal(
      writeReleaseChange(ctx, state, releaseText, { author: 'ana', prompt: 'support-agent', change: 'rollback v2 → v1', why: 'refusals up', expected: '' }, 'the rollback', {
        beforeWrite: async (path) => {
          order.push(path.slice(dir.length + 1));
          if (path.endsWith('promptpin.yaml')) await writeFile(path, theirs);
        },
      }),
    );
    expect(order).toEqual(['CHANGELOG.md', 'promptpin.yaml']);
    expect(message).toContain('promptpin.yaml changed while promptpin was editing it');
    expect(await read('promptpin.yaml')).toBe(theirs);
    expect(await read('CHANGELOG.md')).toBe(changelogBefore);
  });
});

describe('runPublish and concurrent edits', () => {
  it('should write nothing when promptpin.lock changed after the folder was read', async () => {
    const changelogBefore = await read('CHANGELOG.md');
    const concurrentLock = `${await read('promptpin.lock')}# locked by another publish\n`;
    // `--from -` reads stdin after the folder: the moment another publish rewrites the lock.
    const stdin = async (): Promise<string> => {
      await writeFile(join(dir, 'promptpin.lock'), concurrentLock);
      return 'Hi {{customer_name}} on {{plan}}: {{question}} {{history}}\n';
    };
    const message = await refusal(runPublish(io(stdin), ['support-agent', '--from', '-', '--message', 'Shorter greeting']));
    expect(message).toContain('promptpin.lock changed since promptpin read it');
    expect(await exists('support-agent/3.prompt')).toBe(false);
    expect(await read('CHANGELOG.md')).toBe(changelogBefore);
    expect(await read('promptpin.lock')).toBe(concurrentLock);
  });

  it('should remove the new version and the changelog it created when the lock write is refused', async () => {
    await rm(join(dir, 'CHANGELOG.md'));
    const lockPath = join(dir, 'promptpin.lock');
    const concurrentLock = `${await read('promptpin.lock')}# locked by another publish\n`;
    const order: string[] = [];
    const message = await refusal(
      runPublish(io(async () => 'Hi {{customer_name}} on {{plan}}: {{question}} {{history}}\n'), ['support-agent', '--from', '-', '--message', 'Shorter greeting'], {
        beforeWrite: async (path) => {
          order.push(path.slice(dir.length + 1));
          if (path === lockPath) await writeFile(lockPath, concurrentLock);
        },
      }),
    );
    expect(order).toEqual(['support-agent/3.prompt', 'CHANGELOG.md', 'promptpin.lock']);
    expect(message).toContain('promptpin.lock changed while promptpin was editing it');
    expect(await exists('support-agent/3.prompt')).toBe(false);
    expect(await exists('CHANGELOG.md')).toBe(false);
    expect(await read('promptpin.lock')).toBe(concurrentLock);
  });
});
