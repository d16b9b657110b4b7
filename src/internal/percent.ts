/**
 * The rollout percent rule, in one place: the CLI's `--percent`/`ramp` argument, promptpin.yaml,
 * the compiled registry, the edits and {@link candidateThreshold} all apply it and say the same
 * message. Pure: no I/O.
 */

/** Longest part of a hostile text value quoted back in the message. */
const SHOWN_CHARS = 40;

/**
 * Returns why `percent` is not a rollout percent, or null when it is one: a finite number from 0
 * to 100 with at most two decimals (one bucket is 0.01% of units; binary floating-point error such
 * as `33.33 * 100 === 3332.9999999999995` is absorbed). A text (a command-line argument) is quoted
 * in the message, cut to 40 characters.
 */
export function percentProblem(percent: unknown): string | null {
  if (typeof percent === 'number' && Number.isFinite(percent) && percent >= 0 && percent <= 100 && Math.abs(percent * 100 - Math.round(percent * 100)) <= 1e-9) {
    return null;
  }
  const shown =
    typeof percent === 'string' ? JSON.stringify(percent.length > SHOWN_CHARS ? `${percent.slice(0, SHOWN_CHARS)}…` : percent) : typeof percent === 'number' ? String(percent) : typeof percent;
  return `percent ${shown} is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)`;
}
