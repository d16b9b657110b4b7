/**
 * A deterministic work meter for the linear scanners (templates, values, changelog cells, YAML
 * indexes). Each scanner calls {@link step} once per unit of work it does (a character visited, a
 * node indexed); tests wrap a call in {@link countSteps} and assert that the count grows linearly
 * with the input, with no wall clock involved.
 *
 * Disabled, `step` is one boolean test: nothing is counted outside `countSteps`.
 *
 * @internal Never re-exported from the package entry.
 */

let counting = false;
let count = 0;

/** Records `n` units of work when a {@link countSteps} call is running. */
export function step(n = 1): void {
  if (counting) count += n;
}

/** Runs `fn` and returns its result with the units of work the scanners recorded meanwhile. */
export function countSteps<T>(fn: () => T): { readonly result: T; readonly steps: number } {
  const wasCounting = counting;
  const before = count;
  counting = true;
  try {
    const result = fn();
    return { result, steps: count - before };
  } finally {
    counting = wasCounting;
    if (!wasCounting) count = 0;
  }
}
