/**
 * The evidence log: one JSON object per line, one guard judgement at one moment, appended by the
 * fleet judge (`<prompts folder>/.promptpin/evidence.jsonl`). This module reads it (and formats a
 * line, for writers and fixtures); the format is a cross-branch contract:
 *
 * ```json
 * {"v":1,"t":"2026-12-04T10:00:00.000Z","env":"production","prompt":"support-agent",
 *  "stable":1,"candidate":2,"arm":1,"percent":10,"step":0,
 *  "signal":"refusal","kind":"rate","unit":"pp","direction":"increase","threshold":0.5,
 *  "n_control":52000,"n_arm":5200,"control":0.004,"treatment":0.013,
 *  "estimate":0.9,"lower":0.6,"upper":1.2,"alpha":0.05,
 *  "verdict":"continue","action":null}
 * ```
 *
 * Reading never fails on the log's content: a truncated last line (a writer mid-append) is
 * skipped silently, any other line that is not a valid record is skipped and counted, so one bad
 * line never hides the rest of the history. Work is linear in the text's size.
 *
 * Pure: text in, records out.
 */

/** Where the judge writes the evidence log, relative to the prompts folder. */
export const EVIDENCE_LOG_FILE = '.promptpin/evidence.jsonl';

/** A guard's verdict at one judgement. */
export type EvidenceVerdict = 'continue' | 'tripped' | 'excluded';
/** What the judge did on a judgement, if anything. */
export type EvidenceAction = 'rollback' | 'advance' | 'promote' | 'freeze';

/** One guard judgement at one moment (one line of the evidence log). */
export interface EvidenceRecord {
  /** Format version: 1. */
  readonly v: 1;
  /** ISO-8601 time of the judgement. */
  readonly t: string;
  readonly env: string;
  readonly prompt: string;
  /** The stable (control) version. */
  readonly stable: number;
  /** The version of the tested arm. */
  readonly candidate: number;
  /** The tested arm, 1..k (arm 0 is the stable control). */
  readonly arm: number;
  /** The rollout's percent at this judgement. */
  readonly percent: number;
  /** Index of the ramp step (0 without steps). */
  readonly step: number;
  readonly signal: string;
  readonly kind: 'rate' | 'mean';
  /** `pp` (percentage points) for rates, `%` (relative change) for means. */
  readonly unit: string;
  readonly direction: 'increase' | 'decrease' | 'change';
  /** The guard's threshold, in {@link EvidenceRecord.unit}. */
  readonly threshold: number;
  readonly n_control: number;
  readonly n_arm: number;
  /** Control arm's rate or mean. */
  readonly control: number;
  /** Tested arm's rate or mean. */
  readonly treatment: number;
  /** The difference of the arms (treatment vs control), in {@link EvidenceRecord.unit}. */
  readonly estimate: number;
  /** Lower confidence bound of the difference. */
  readonly lower: number;
  /** Upper confidence bound of the difference. */
  readonly upper: number;
  readonly alpha: number;
  readonly verdict: EvidenceVerdict;
  readonly action: EvidenceAction | null;
}

/** What {@link parseEvidenceLog} read. */
export interface EvidenceLogResult {
  /** Valid records, in file order. */
  readonly records: readonly EvidenceRecord[];
  /** 1-based line numbers of lines that were not valid records (a truncated last line excluded). */
  readonly skipped: readonly number[];
  /** True when the last line was incomplete (no newline and not valid JSON) and was ignored. */
  readonly truncatedTail: boolean;
}

const KEYS = [
  'v', 't', 'env', 'prompt', 'stable', 'candidate', 'arm', 'percent', 'step',
  'signal', 'kind', 'unit', 'direction', 'threshold',
  'n_control', 'n_arm', 'control', 'treatment',
  'estimate', 'lower', 'upper', 'alpha', 'verdict', 'action',
] as const;

const VERDICTS: ReadonlySet<string> = new Set(['continue', 'tripped', 'excluded']);
const ACTIONS: ReadonlySet<string> = new Set(['rollback', 'advance', 'promote', 'freeze']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
/** A line longer than this is not a judgement (a record is ~400 bytes); it is skipped unparsed. */
const MAX_LINE = 64 * 1024;

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
// A bound may be unbounded before the first samples: JSON has no Infinity, so writers put null.
const bound = (x: unknown, inf: number): number | undefined => (x === null ? inf : num(x) ? x : undefined);
const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;

/** Validates one parsed value as a record; undefined when it is not one. */
export function toEvidenceRecord(value: unknown): EvidenceRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || !str(o.t) || !ISO.test(o.t) || Number.isNaN(Date.parse(o.t))) return undefined;
  if (!str(o.env) || !str(o.prompt) || !str(o.signal) || typeof o.unit !== 'string') return undefined;
  for (const k of ['stable', 'candidate', 'arm', 'percent', 'step', 'threshold', 'n_control', 'n_arm', 'control', 'treatment', 'estimate', 'alpha'] as const) {
    if (!num(o[k])) return undefined;
  }
  const lower = bound(o.lower, Number.NEGATIVE_INFINITY);
  const upper = bound(o.upper, Number.POSITIVE_INFINITY);
  if (lower === undefined || upper === undefined) return undefined;
  if (o.kind !== 'rate' && o.kind !== 'mean') return undefined;
  if (o.direction !== 'increase' && o.direction !== 'decrease' && o.direction !== 'change') return undefined;
  if (typeof o.verdict !== 'string' || !VERDICTS.has(o.verdict)) return undefined;
  if (o.action !== null && (typeof o.action !== 'string' || !ACTIONS.has(o.action))) return undefined;
  return Object.freeze({
    v: 1,
    t: o.t,
    env: o.env,
    prompt: o.prompt,
    stable: o.stable as number,
    candidate: o.candidate as number,
    arm: o.arm as number,
    percent: o.percent as number,
    step: o.step as number,
    signal: o.signal,
    kind: o.kind,
    unit: o.unit,
    direction: o.direction,
    threshold: o.threshold as number,
    n_control: o.n_control as number,
    n_arm: o.n_arm as number,
    control: o.control as number,
    treatment: o.treatment as number,
    estimate: o.estimate as number,
    lower,
    upper,
    alpha: o.alpha as number,
    verdict: o.verdict as EvidenceVerdict,
    action: o.action as EvidenceAction | null,
  });
}

/**
 * Parses an evidence log. Never throws on content: bad lines are skipped and listed, a truncated
 * last line is ignored (see the module comment).
 */
export function parseEvidenceLog(text: string | undefined): EvidenceLogResult {
  const records: EvidenceRecord[] = [];
  const skipped: number[] = [];
  let truncatedTail = false;
  if (!text) return { records, skipped, truncatedTail };
  let start = 0;
  let line = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    let rec: EvidenceRecord | undefined;
    if (raw.length <= MAX_LINE) {
      try {
        rec = toEvidenceRecord(JSON.parse(raw));
      } catch {
        if (nl === -1) {
          truncatedTail = true;
          continue;
        }
      }
    }
    if (rec) records.push(rec);
    else skipped.push(line);
  }
  return { records, skipped, truncatedTail };
}

/**
 * Formats one record as a log line (keys in the contract's order, bounds that are infinite as
 * null, a trailing newline). Writers append it; fixtures generate logs with it.
 */
export function formatEvidenceLine(record: EvidenceRecord): string {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const v = record[k];
    out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  }
  return `${JSON.stringify(out)}\n`;
}
