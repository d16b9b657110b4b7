/**
 * Version numbers read from files (file names, lock keys, compiled-registry keys, CLI arguments).
 * Work over them is bounded by how many there are, never by how large one is: a file named
 * `100000000.prompt` costs what any other file costs.
 */

/**
 * The largest version number accepted anywhere (a prompt edited daily for 2,700 years). Larger
 * numbers are a typo or a bad merge; they are refused with INVALID_CONFIG instead of being
 * treated as the latest version.
 */
export const MAX_VERSION = 1_000_000;

/**
 * Why `n` is not an acceptable version number, or null when it is (an integer 1…{@link MAX_VERSION}).
 */
export function versionNumberProblem(n: number): string | null {
  if (n > MAX_VERSION) return `version ${n} is above the limit of ${MAX_VERSION}`;
  if (!Number.isInteger(n) || n < 1) return `${String(n)} is not a version number (1, 2, 3, …)`;
  return null;
}

/**
 * Parses the decimal digits of a version key (`"12"`); NaN for anything else. Long digit strings
 * become numbers above {@link MAX_VERSION} (or Infinity) and are refused by
 * {@link versionNumberProblem}; nothing is allocated per unit of the value.
 */
export function parseVersionKey(text: string): number {
  return /^[1-9]\d*$/.test(text) ? Number(text) : Number.NaN;
}

/** The largest of `nums` (0 when empty), in one pass and without spreading into arguments. */
export function maxVersion(nums: Iterable<number>): number {
  let max = 0;
  for (const n of nums) if (n > max) max = n;
  return max;
}

/** The version after the latest of `nums` (1 for none), or null when it would pass {@link MAX_VERSION}. */
export function nextVersion(nums: Iterable<number>): number | null {
  const next = maxVersion(nums) + 1;
  return next > MAX_VERSION ? null : next;
}

/** Contiguous runs `[from, to]` of sorted, distinct `nums`. O(nums). */
export function versionRuns(sorted: readonly number[]): Array<readonly [number, number]> {
  const runs: Array<[number, number]> = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

/**
 * The gaps `[from, to]` in 1…max(sorted) of sorted, distinct positive `nums`: computed from the
 * runs, so `[1, 100000000]` gives one gap in O(1), not 99,999,998 entries.
 */
export function versionGaps(sorted: readonly number[]): Array<readonly [number, number]> {
  const gaps: Array<[number, number]> = [];
  let expected = 1;
  for (const n of sorted) {
    if (n > expected) gaps.push([expected, n - 1]);
    if (n >= expected) expected = n + 1;
  }
  return gaps;
}

/**
 * Formats runs for a message, bounded: `v2`, `v4–v99999999`, `v2, v5–v9`; after `maxParts`
 * parts it ends with `… (N more)`.
 */
export function formatRuns(runs: readonly (readonly [number, number])[], maxParts = 8, prefix = 'v'): string {
  const parts = runs.slice(0, maxParts).map(([a, b]) => (a === b ? `${prefix}${a}` : `${prefix}${a}–${prefix}${b}`));
  if (runs.length > maxParts) parts.push(`… (${runs.length - maxParts} more)`);
  return parts.join(', ');
}

/**
 * Lists versions for a message: `1, 2, 3` when there are few, else bounded runs (`1–250, 300`).
 * `none` when empty.
 */
export function describeVersions(nums: Iterable<number>, maxListed = 10): string {
  const sorted = [...nums].sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  if (sorted.length <= maxListed) return sorted.join(', ');
  return formatRuns(versionRuns(sorted), maxListed, '');
}
