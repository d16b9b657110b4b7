/** The measured Observed cell of an ending rollout, from the evidence log (promote, rollback, freeze). */
import { join } from 'node:path';
import { EVIDENCE_LOG, parseEvidenceLog, readEvidenceTail, recordsOfRollout, type RolloutKey } from './evidence-record.js';
import { observedCell } from './observed.js';

/**
 * The measured Observed cell of an ending rollout, read from the evidence log (`logPath`, default
 * `<folder>/.promptpin/evidence.jsonl`); empty when there is no log or no record of the rollout.
 */
export async function observedFromLog(folder: string, logPath: string | undefined, key: RolloutKey, expected: string): Promise<string> {
  const text = await readEvidenceTail(logPath ?? join(folder, EVIDENCE_LOG));
  if (text === undefined) return '';
  return observedCell(recordsOfRollout(parseEvidenceLog(text), key), expected);
}
