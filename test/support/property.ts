/**
 * Seeds for randomised tests, so a run is reproducible and a failure can be replayed.
 * fast-check properties take {@link fcParams}; custom generators take {@link SEED} (or a fixed
 * seed of their own) through `mulberry32` in ./random.ts.
 */
import fc from 'fast-check';

/** The seed of every property test: `FC_SEED` from the environment (to replay or explore), else fixed. */
export const SEED = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : 0x5eed_2026;

/**
 * Knob for deeper fuzzing: `FC_RUNS_FACTOR=10 npx vitest run` runs every property 10× as many
 * times (use it with a few different FC_SEED values). The default keeps the suite fast.
 */
const FACTOR = Math.max(1, Number(process.env['FC_RUNS_FACTOR'] ?? 1) || 1);

/**
 * `fc.assert` parameters with the fixed {@link SEED}: numRuns (default fast-check's 100) times the
 * FC_RUNS_FACTOR knob. On failure the error names the seed and the command that replays it.
 */
export function fcParams<T>(params: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    ...params,
    seed: SEED,
    numRuns: (params.numRuns ?? 100) * FACTOR,
    reporter: (details) => {
      if (details.failed) throw new Error(`${fc.defaultReportMessage(details)}\nReplay: FC_SEED=${details.seed} npx vitest run <this file>`);
    },
  };
}
