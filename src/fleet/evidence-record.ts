/**
 * The evidence log (`<prompts>/.promptpin/evidence.jsonl`, JSON Lines, append-only), as read by
 * promote, rollback and freeze for the changelog's Observed cell. Written by the fleet judge; the
 * record shape is the cross-branch contract (see docs/fleet.md, "The evidence log").
 *
 * Readers are tolerant: a line that is not a valid record (a truncated last line, garbage) is
 * skipped, never an error; only the log's last {@link EVIDENCE_TAIL_BYTES} are read.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { step } from '../internal/steps.js';

/** One guard judgement at one moment (one line of the evidence log). */
export interface EvidenceRecord {
  readonly v: 1;
  /** ISO-8601 time of the judgement. */
  readonly t: string;
  readonly env: string;
  readonly prompt: string;
  readonly stable: number;
  readonly candidate: number;
  /** 1..k (arm 0 is the stable control). */
  readonly arm: number;
  readonly percent: number;
  readonly step: number | null;
  readonly signal: string;
  readonly kind: 'rate' | 'mean';
  /** `pp` for rates, `%` (relative) for means: the unit of estimate, lower, upper and threshold. */
  readonly unit: 'pp' | '%';
  readonly direction: 'increase' | 'decrease' | 'change';
  readonly threshold: number;
  readonly n_control: number;
  readonly n_arm: number;
  /** The control's rate (a proportion) or mean. */
  readonly control: number;
  /** The arm's rate (a proportion) or mean. */
  readonly treatment: number;
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly alpha: number;
  readonly verdict: 'continue' | 'tripped' | 'excluded';
  readonly action: 'rollback' | 'advance' | 'promote' | 'freeze' | null;
}

/** Default path of the evidence log inside a prompts folder. */
export const EVIDENCE_LOG = join('.promptpin', 'evidence.jsonl');
/** How much of the end of the log is read (the latest records of an ending rollout are there). */
export const EVIDENCE_TAIL_BYTES = 16 * 1024 * 1024;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';

/** The record a parsed JSON value is, or null when it is not a valid one. */
export function toEvidenceRecord(x: unknown): EvidenceRecord | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return null;
  const r = x as Record<string, unknown>;
  if (r.v !== 1 || !isStr(r.t) || Number.isNaN(Date.parse(r.t)) || !isStr(r.env) || !isStr(r.prompt) || !isStr(r.signal)) return null;
  for (const k of ['stable', 'candidate', 'n_control', 'n_arm', 'estimate', 'lower', 'upper'] as const) if (!isNum(r[k])) return null;
  if (r.unit !== 'pp' && r.unit !== '%') return null;
  if (r.verdict !== 'continue' && r.verdict !== 'tripped' && r.verdict !== 'excluded') return null;
  return x as EvidenceRecord;
}

/** Parses evidence-log text: one record per valid line, in file order; other lines are skipped. */
export function parseEvidenceLog(text: string): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    step(end - start + 1);
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line[0] !== '{') continue;
    try {
      const r = toEvidenceRecord(JSON.parse(line));
      if (r) out.push(r);
    } catch {
      // a truncated or garbled line: skipped
    }
  }
  return out;
}

/** Which rollout's records to keep (see {@link recordsOfRollout}). */
export interface RolloutKey {
  readonly env: string;
  readonly prompt: string;
  readonly candidate: number;
  readonly stable?: number;
  /** ISO-8601 start of the rollout: earlier records (an earlier rollout of the same candidate) are dropped. */
  readonly started?: string;
}

/** The records of one rollout. */
export function recordsOfRollout(records: readonly EvidenceRecord[], key: RolloutKey): EvidenceRecord[] {
  const since = key.started !== undefined ? Date.parse(key.started) : Number.NaN;
  return records.filter(
    (r) =>
      r.env === key.env &&
      r.prompt === key.prompt &&
      r.candidate === key.candidate &&
      (key.stable === undefined || r.stable === key.stable) &&
      (Number.isNaN(since) || Date.parse(r.t) >= since),
  );
}

/**
 * Reads the last {@link EVIDENCE_TAIL_BYTES} of the evidence log. Undefined when there is no log, or
 * when it is not a regular file (a FIFO, a directory: opened non-blocking, never waited on) or cannot
 * be read; the Observed cell then stays as it was.
 */
export async function readEvidenceTail(path: string, maxBytes = EVIDENCE_TAIL_BYTES): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    const from = Math.max(0, info.size - maxBytes);
    const want = info.size - from;
    const buffer = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buffer, got, want - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    let text = buffer.subarray(0, got).toString('utf8');
    // Started mid-file: the first (partial) line is dropped.
    if (from > 0) text = text.slice(text.indexOf('\n') + 1);
    return text;
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => {});
  }
}
