/** The folder edit lock: mutual exclusion, stale-lock recovery, bounded waiting (injected clock). */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPromptError } from '../../src/errors.js';
import { FOLDER_LOCK_FILE, withFolderLock, type FolderLockOwner } from '../../src/internal/fs/folder-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptpin-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockPath = (): string => join(dir, FOLDER_LOCK_FILE);
const plant = (owner: FolderLockOwner): Promise<void> => writeFile(lockPath(), JSON.stringify(owner));

/** A fake clock that only moves when the lock sleeps. */
function fakeClock(start = 1_800_000_000_000): { now: () => number; sleep: (ms: number) => Promise<void>; slept: () => number } {
  let t = start;
  let total = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      total += ms;
    },
    slept: () => total,
  };
}

/** The pid of a process that has exited (so it is not running on this host). */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
}

describe('withFolderLock', () => {
  it('should hold the lock file while the function runs and remove it after, also when it throws', async () => {
    const inside = await withFolderLock(dir, async () => JSON.parse(await readFile(lockPath(), 'utf8')) as FolderLockOwner);
    expect(inside).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(await readdir(dir)).toEqual([]);
    await expect(withFolderLock(dir, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await readdir(dir)).toEqual([]);
  });

  it('should serialize edits: 20 concurrent holders never overlap', async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withFolderLock(dir, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise((r) => setImmediate(r));
          order.push(i);
          inside -= 1;
        }, { sleep: () => new Promise((r) => setTimeout(r, 1)) }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await readdir(dir)).toEqual([]);
  });

  it('should take over a lock whose owner process on this host is dead, at once', async () => {
    const clock = fakeClock();
    await plant({ pid: deadPid(), hostname: hostname(), startedAt: clock.now(), token: 'dead-owner' });
    const owner = await withFolderLock(dir, async () => JSON.parse(await readFile(lockPath(), 'utf8')) as FolderLockOwner, { now: clock.now, sleep: clock.sleep });
    expect(owner.pid).toBe(process.pid);
    expect(clock.slept()).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('should take over a lock older than staleMs from another host (its pid cannot be checked)', async () => {
    const clock = fakeClock();
    await plant({ pid: 1, hostname: 'other-host', startedAt: clock.now() - 30_001, token: 'old' });
    const ran = await withFolderLock(dir, async () => true, { now: clock.now, sleep: clock.sleep, staleMs: 30_000, isAlive: () => true });
    expect(ran).toBe(true);
    expect(clock.slept()).toBe(0);
  });

  it('should take over an unreadable lock (a crash mid-write) once its file is older than staleMs', async () => {
    await writeFile(lockPath(), '{"pid": 12');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(lockPath(), old, old);
    expect(await withFolderLock(dir, async () => 'ok')).toBe('ok');
  });

  it('should wait for a live lock and fail with FOLDER_LOCKED after waitMs, leaving the lock alone', async () => {
    const clock = fakeClock();
    const theirs: FolderLockOwner = { pid: 4242, hostname: 'build-box', startedAt: clock.now(), token: 'live' };
    await plant(theirs);
    const waits: unknown[] = [];
    let ran = false;
    const err = await withFolderLock(
      dir,
      async () => {
        ran = true;
      },
      { now: clock.now, sleep: clock.sleep, waitMs: 2_000, staleMs: 60_000, isAlive: () => true, onWait: (o) => waits.push(o) },
    ).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(isPromptError(err) && err.code).toBe('FOLDER_LOCKED');
    expect((err as Error).message.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(
      `"The prompts folder <dir> is being edited by another promptpin (pid 4242 on build-box, for 2 s); waited 2000 ms. Re-run the command when it is done; if no edit is running, delete <dir>/.promptpin-edit.lock."`,
    );
    expect(waits).toEqual([theirs]);
    expect(clock.slept()).toBeGreaterThanOrEqual(2_000);
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toEqual(theirs);
  });

  it('should get the lock once a live holder releases it while this edit waits', async () => {
    const clock = fakeClock();
    await plant({ pid: 4242, hostname: 'build-box', startedAt: clock.now(), token: 'live' });
    let sleeps = 0;
    const ran = await withFolderLock(dir, async () => true, {
      now: clock.now,
      isAlive: () => true,
      sleep: async (ms) => {
        await clock.sleep(ms);
        if (++sleeps === 3) await rm(lockPath());
      },
    });
    expect(ran).toBe(true);
    expect(sleeps).toBe(3);
  });

  it('should never remove a lock that is no longer its own (taken over while it ran)', async () => {
    const next: FolderLockOwner = { pid: 7, hostname: 'other-host', startedAt: 0, token: 'successor' };
    await withFolderLock(dir, async () => {
      await plant(next);
    });
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toEqual(next);
  });

  it('should clear a breaker left by a crash during a takeover, then take the stale lock', async () => {
    const clock = fakeClock();
    await plant({ pid: 1, hostname: 'other-host', startedAt: clock.now() - 120_000, token: 'stale' });
    await writeFile(`${lockPath()}.break`, JSON.stringify({ pid: 1, hostname: 'other-host', startedAt: clock.now() - 120_000, token: 'crashed-breaker' }));
    const ran = await withFolderLock(dir, async () => true, { now: clock.now, sleep: clock.sleep, isAlive: () => true });
    expect(ran).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});
