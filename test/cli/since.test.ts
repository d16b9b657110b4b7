import { describe, expect, it } from 'vitest';
import { sinceArg } from '../../src/cli/log.js';
import { UsageError } from '../../src/edit/context.js';

const now = new Date('2026-11-27T12:00:00Z');

describe('promptpin log --since', () => {
  it('should read durations back from now and strict ISO dates (UTC)', () => {
    expect(sinceArg('48h', now).toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(sinceArg('7d', now).toISOString()).toBe('2026-11-20T12:00:00.000Z');
    expect(sinceArg('2w', now).toISOString()).toBe('2026-11-13T12:00:00.000Z');
    expect(sinceArg('30m', now).toISOString()).toBe('2026-11-27T11:30:00.000Z');
    expect(sinceArg('2026-11-20', now).toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(sinceArg('2026-11-20T15:00:00Z', now).toISOString()).toBe('2026-11-20T15:00:00.000Z');
    expect(sinceArg('2026-11-20T16:00:00+01:00', now).toISOString()).toBe('2026-11-20T15:00:00.000Z');
  });

  it('should refuse what is neither, instead of guessing a different filter', () => {
    // Date.parse would read "5" as May 2001 and roll 2026-02-30 over to March 2.
    for (const bad of ['5', '10', 'last 3', '2026-02-30', '99999999999d', 'yesterday', '']) {
      expect(() => sinceArg(bad, now), bad).toThrow(UsageError);
    }
  });
});
