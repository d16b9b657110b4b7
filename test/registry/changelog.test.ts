import { describe, expect, it } from 'vitest';
import {
  addChangelogEntry,
  changelogDate,
  formatChangelogEntry,
  latestChangelogEntry,
  parseChangelog,
  parseChangelogLine,
  setChangelogOutcome,
  type ChangelogEntry,
} from '../../src/registry/changelog.js';
import { isPromptError } from '../../src/errors.js';

const entry = (over: Partial<ChangelogEntry> = {}): ChangelogEntry => ({
  date: '2026-11-20T15:00:00Z',
  author: 'ana',
  prompt: 'support-agent',
  environment: 'production',
  change: 'rollout v4 at 10% (stable v3; guards refusal:+0.5pp)',
  why: 'Shorter answers',
  expected: 'Output length falls 10-20%. Refusal rate unchanged.',
  observed: '',
  ...over,
});

describe('changelog line format', () => {
  it('should format one change as one table row', () => {
    expect(formatChangelogEntry(entry())).toMatchInlineSnapshot(
      `"| 2026-11-20T15:00:00Z | ana | support-agent | production | rollout v4 at 10% (stable v3; guards refusal:+0.5pp) | Shorter answers | Output length falls 10-20%. Refusal rate unchanged. | |"`,
    );
  });

  it('should escape pipes and backslashes and fold line breaks, and parse them back', () => {
    const tricky = entry({ why: 'a | b \\ c', expected: 'line one\nline two\r\n  three', observed: 'ok|' });
    const line = formatChangelogEntry(tricky);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('| a \\| b \\\\ c |');
    const parsed = parseChangelogLine(line, 7)!;
    expect(parsed).toEqual({ ...tricky, expected: 'line one line two three', action: 'rollout', line: 7 });
  });

  it('should round-trip every field (format then parse is the identity on normalized text)', () => {
    const samples = [entry(), entry({ environment: '', change: 'publish v5', expected: '' }), entry({ observed: 'tokens -14% | refusals flat' })];
    for (const e of samples) {
      const { action: _a, line: _l, ...back } = parseChangelogLine(formatChangelogEntry(e))!;
      expect(back).toEqual(e);
    }
  });

  it('should ignore lines that are not change rows', () => {
    expect(parseChangelogLine('# Prompt changelog')).toBeNull();
    expect(parseChangelogLine('| Date | Author | Prompt | Env | Change | Why | Expected | Observed |')).toBeNull();
    expect(parseChangelogLine('| --- | --- | --- | --- | --- | --- | --- | --- |')).toBeNull();
    expect(parseChangelogLine('| 2026-11-20 | ana | x | | publish v1 | | | |')).toBeNull();
    expect(parseChangelogLine('| 2026-11-20T15:00:00Z | ana | x | | publish v1 | |')).toBeNull();
  });

  it('should refuse an entry without author or with a non-ISO date', () => {
    const noAuthor = ((): unknown => {
      try {
        formatChangelogEntry(entry({ author: ' ' }));
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(isPromptError(noAuthor) && noAuthor.code).toBe('CHANGE_REFUSED');
    expect(() => formatChangelogEntry(entry({ date: '2026-11-20 15:00' }))).toThrowErrorMatchingInlineSnapshot(
      `[PromptError: Changelog date "2026-11-20 15:00" is not ISO-8601 UTC with seconds (2026-11-20T15:00:00Z). Format it with changelogDate().]`,
    );
  });

  it('should format dates as ISO-8601 UTC with whole seconds', () => {
    expect(changelogDate(new Date(Date.UTC(2026, 10, 20, 15, 0, 0, 987)))).toBe('2026-11-20T15:00:00Z');
  });
});

describe('addChangelogEntry', () => {
  it('should create the file with a title and a table when there is none', () => {
    const text = addChangelogEntry(undefined, entry());
    expect(text).toContain('# Prompt changelog');
    expect(text).toContain('| Date | Author | Prompt | Env | Change | Why | Expected | Observed |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| 2026-11-20T15:00:00Z |');
    expect(parseChangelog(text)).toHaveLength(1);
  });

  it('should insert the newest row first, right below the separator, keeping every other line', () => {
    const first = addChangelogEntry(undefined, entry({ change: 'publish v4', environment: '' }));
    const withProse = first.replace('# Prompt changelog\n', '# Prompt changelog\n\nOur own notes.\n');
    const second = addChangelogEntry(withProse, entry({ date: '2026-11-21T09:00:00Z' }));
    expect(second).toContain('Our own notes.');
    expect(parseChangelog(second).map((e) => e.action)).toEqual(['rollout', 'publish']);
    expect(second.split('\n').filter((l) => l.startsWith('| 2026'))).toHaveLength(2);
  });

  it('should append a table to a changelog that has none, keeping CRLF line endings', () => {
    const text = addChangelogEntry('# Notes\r\nhand-written\r\n', entry());
    expect(text.startsWith('# Notes\r\nhand-written\r\n\r\n| Date |')).toBe(true);
    expect(text.endsWith('| |\r\n')).toBe(true);
    expect(parseChangelog(text)).toHaveLength(1);
  });
});

describe('setChangelogOutcome', () => {
  const log = [entry({ date: '2026-11-19T10:00:00Z', change: 'publish v4', environment: '' }), entry(), entry({ date: '2026-11-18T08:00:00Z', prompt: 'billing/refund-agent', change: 'promote v1 (first release)' })].reduce<string | undefined>(
    (text, e) => addChangelogEntry(text, e),
    undefined,
  )!;

  it('should record the outcome on the latest change of that prompt only', () => {
    const { text, entry: updated, previous } = setChangelogOutcome(log, 'support-agent', 'Output tokens -14%, refusals flat');
    expect(previous).toBe('');
    expect(updated.change).toBe('rollout v4 at 10% (stable v3; guards refusal:+0.5pp)');
    const entries = parseChangelog(text);
    expect(entries.map((e) => e.observed)).toEqual(['', 'Output tokens -14%, refusals flat', '']);
    const again = setChangelogOutcome(text, 'support-agent', 'Confirmed after a week');
    expect(again.previous).toBe('Output tokens -14%, refusals flat');
  });

  it('should pick the newest date, whatever the file order', () => {
    const entries = parseChangelog(log);
    expect(latestChangelogEntry(entries, 'support-agent')?.date).toBe('2026-11-20T15:00:00Z');
    expect(latestChangelogEntry(entries, 'support-agent', 'staging')?.change).toBe('publish v4');
  });

  it('should refuse a prompt with no change and an empty outcome', () => {
    expect(() => setChangelogOutcome(log, 'nope', 'x')).toThrowErrorMatchingInlineSnapshot(
      `[PromptError: The changelog has no change of "nope" to record an outcome on. Changes are logged by promptpin publish, rollout, ramp, promote and rollback.]`,
    );
    expect(() => setChangelogOutcome(log, 'support-agent', '  ')).toThrow(/is empty/);
  });
});
