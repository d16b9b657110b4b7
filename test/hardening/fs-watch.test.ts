/** The one debounced watcher, shared by the folder and file sources. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHiddenPath, watchDebounced } from '../../src/internal/fs/watch.js';

describe('watchDebounced', () => {
  it('should call onChange after an event that passes the filter, and never after stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promptpin-watch-'));
    const calls: string[] = [];
    const seen: (string | null)[] = [];
    const stop = watchDebounced(dir, { debounceMs: 5, filter: (f) => (seen.push(f), !isHiddenPath(f)) }, () => calls.push('change'));
    await writeFile(join(dir, '.promptpin-edit.lock'), 'x');
    await writeFile(join(dir, 'promptpin.yaml'), 'x');
    for (let i = 0; i < 400 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(calls.length).toBeGreaterThan(0);
    expect(seen).toContain('promptpin.yaml');
    stop();
    stop();
    const after = calls.length;
    await writeFile(join(dir, 'promptpin.yaml'), 'y');
    await new Promise((r) => setImmediate(r));
    expect(calls.length).toBe(after);
    await rm(dir, { recursive: true, force: true });
  });

  it('should watch nothing, without throwing, when the path cannot be watched', () => {
    const stop = watchDebounced('/nonexistent/promptpin/folder', { debounceMs: 5 }, () => {});
    expect(() => stop()).not.toThrow();
  });

  it.each([
    ['.promptpin-edit.lock', true],
    ['.promptpin.yaml.123.abcdefabcdef.tmp', true],
    ['support-agent/.2.prompt.9.abcdefabcdef.tmp', true],
    ['.git/index', true],
    ['promptpin.yaml', false],
    ['support-agent/2.prompt', false],
    [null, false],
  ] as const)('isHiddenPath(%s) is %s', (file, hidden) => {
    expect(isHiddenPath(file)).toBe(hidden);
  });
});
