/**
 * The changelog's Observed cell, measured (issue 13): when a rollout ends, each signal's measured
 * change with its interval and sample sizes, from the latest evidence-log record per signal, e.g.
 *
 *     refusal +0.9pp [0.6, 1.2], n=5.2k/52k; output_tokens −17% [−19, −15], n=5.2k/52k (agrees with expected −20% to −10%)
 *
 * (`n=` is candidate/control samples). Where the rollout's expected note carries numbers for a
 * signal ("output tokens −20% to −10%", "refusal +0 to +0.2pp", "output length falls 10-20%"), the
 * cell says whether the measured interval agrees: `agrees` (the estimate lies in the expected
 * range), `disagrees` (the interval and the range do not overlap), else `inconclusive`.
 *
 * Pure, and linear in the note's length: the note is scanned once per clause, character by
 * character (hostile text cannot stall it; see `countSteps` in the tests).
 *
 * @module
 */
import { step } from '../internal/steps.js';
import type { EvidenceRecord } from './evidence-record.js';

export type { EvidenceRecord } from './evidence-record.js';

/** Longest expected note read for numbers (notes are a sentence or two; the rest is ignored). */
export const MAX_EXPECTED_CHARS = 4096;

/** A numeric expectation for one signal, in its unit. */
export interface ExpectedRange {
  readonly signal: string;
  readonly unit: 'pp' | '%';
  readonly low: number;
  readonly high: number;
  /** As written, for the cell: `−20% to −10%`. */
  readonly text: string;
}

const MINUS = '−';

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** A number for the cell: 2 decimals under 1, 1 under 10, else whole; `−` for negatives. */
function fmtNum(x: number, plus: boolean): string {
  const a = Math.abs(x);
  const s = trimZeros(a.toFixed(a < 1 ? 2 : a < 10 ? 1 : 0));
  if (s === '0') return plus ? '+0' : '0';
  return x < 0 ? `${MINUS}${s}` : plus ? `+${s}` : s;
}

function fmtCount(n: number): string {
  if (n >= 1e6) return `${trimZeros((n / 1e6).toFixed(1))}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${trimZeros((n / 1000).toFixed(1))}k`;
  return String(Math.round(n));
}

/**
 * The record's change, signed as measured (arm minus control): when `control` and `treatment`
 * show the opposite sign of `estimate` (a record oriented "positive = worse" for a decrease
 * guard), the values are flipped back.
 */
function signedChange(r: EvidenceRecord): { est: number; lo: number; hi: number } {
  let { estimate: est, lower: lo, upper: hi } = r;
  if (Number.isFinite(r.control) && Number.isFinite(r.treatment)) {
    const raw = r.unit === 'pp' ? (r.treatment - r.control) * 100 : r.control !== 0 ? (r.treatment / r.control - 1) * 100 : Number.NaN;
    if (Number.isFinite(raw) && raw * est < 0) [est, lo, hi] = [-est, -hi, -lo];
  }
  return { est, lo: Math.min(lo, hi), hi: Math.max(lo, hi) };
}

/** The latest record of each signal (by `t`; on a tie, the later line), in order of first appearance. */
export function latestPerSignal(records: readonly EvidenceRecord[]): EvidenceRecord[] {
  const best = new Map<string, EvidenceRecord>();
  for (const r of records) {
    const b = best.get(r.signal);
    if (b === undefined || Date.parse(r.t) >= Date.parse(b.t)) best.set(r.signal, r);
  }
  return [...best.values()];
}

// ---------------------------------------------------------------------------------------------
// Expected note → numeric ranges (one linear scan per clause)
// ---------------------------------------------------------------------------------------------

const SYNONYMS: Readonly<Record<string, RegExp>> = {
  refusal: /\brefus/i,
  tool_call: /\btool[\s_-]?call|\btools?\b/i,
  error: /\berrors?\b/i,
  output_tokens: /\boutput\b|\blength\b|\blonger\b|\bshorter\b|\bverbos/i,
  input_tokens: /\binput\b/i,
  latency_ms: /\blatency\b|\bslow|\bfaster\b|\bresponse time\b/i,
  cost: /\bcost|\bprice\b|\bspend/i,
};

function explicitName(clause: string, signal: string): boolean {
  const lower = clause.toLowerCase();
  const s = signal.toLowerCase();
  return lower.includes(s) || lower.includes(s.replace(/[_.]/g, ' ')) || lower.includes(s.replace(/[_.]/g, '-'));
}

function names(clause: string, signal: string): boolean {
  return explicitName(clause, signal) || (SYNONYMS[signal]?.test(clause) ?? false);
}

const DOWN = /\b(fall|falls|falling|drop|drops|dropping|decrease\w*|down|lower|shorter|less|fewer|reduc\w*|cut|cuts|shrink\w*|faster)\b/i;
const UP = /\b(rise|rises|rising|increase\w*|up|higher|longer|more|grow\w*|rais\w*|slower)\b/i;

interface Num {
  value: number;
  signed: boolean;
  unit: 'pp' | '%' | null;
  end: number;
  start: number;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Every number of a clause with its sign and unit, in one pass. */
function numbersOf(clause: string): Num[] {
  const out: Num[] = [];
  let i = 0;
  const n = clause.length;
  while (i < n) {
    step();
    const c = clause[i]!;
    let sign = 0;
    let j = i;
    if ((c === '+' || c === '-' || c === MINUS || c === '–') && isDigit(clause[i + 1])) {
      // A hyphen right after a number is a range ("10-20%"), not a sign.
      const prev = out[out.length - 1];
      const isRange = (c === '-' || c === '–') && prev !== undefined && prev.end === i;
      if (!isRange) sign = c === '+' ? 1 : -1;
      j = i + 1;
    } else if (!isDigit(c) || isDigit(clause[i - 1]) || clause[i - 1] === '.') {
      i++;
      continue;
    }
    let k = j;
    while (isDigit(clause[k])) {
      step();
      k++;
    }
    if (clause[k] === '.' && isDigit(clause[k + 1])) {
      k++;
      while (isDigit(clause[k])) {
        step();
        k++;
      }
    }
    let u = k;
    while (isSpace(clause[u]) && u - k < 2) u++;
    let unit: 'pp' | '%' | null = null;
    let end = k;
    if (clause[u] === '%') {
      unit = '%';
      end = u + 1;
    } else if ((clause[u] === 'p' || clause[u] === 'P') && (clause[u + 1] === 'p' || clause[u + 1] === 'P')) {
      unit = 'pp';
      end = u + 2;
    }
    const value = Number(clause.slice(j, k));
    out.push({ value: sign < 0 ? -value : value, signed: sign !== 0, unit, start: i, end });
    i = end > i ? end : i + 1;
  }
  return out;
}

/** The clause's range: the first one or two numbers with a unit ("A to B", "A–B", "A-B", or one number). */
function rangeOf(clause: string): { low: number; high: number; unit: 'pp' | '%'; text: string } | null {
  const nums = numbersOf(clause);
  if (nums.length === 0) return null;
  const a = nums[0]!;
  let b: Num | undefined = nums[1];
  if (b !== undefined) {
    const between = clause.slice(a.end, b.start).trim().toLowerCase();
    if (!(between === '' || between === 'to' || between === '-' || between === '–' || between === '—' || between === '..' || between === 'and')) b = undefined;
  }
  const unit = b?.unit ?? a.unit;
  if (unit === null) return null;
  let lo = a.value;
  let hi = b?.value ?? a.value;
  // Unsigned numbers take the direction word's sign ("falls 10-20%" is −20% to −10%).
  if (!a.signed && !(b?.signed ?? false)) {
    const down = DOWN.test(clause);
    const up = UP.test(clause);
    if (down && !up) {
      lo = -lo;
      hi = -hi;
    } else if (down === up && (lo !== 0 || hi !== 0)) return null; // no direction: not a claim we can check
  }
  const low = Math.min(lo, hi);
  const high = Math.max(lo, hi);
  const text = low === high ? `${fmtNum(low, true)}${unit}` : `${fmtNum(low, true)}${unit} to ${fmtNum(high, true)}${unit}`;
  return { low, high, unit, text };
}

/** Splits a note into clauses at `;`, `,` before a new signal is not attempted: `;`, line breaks and sentence dots. */
function clausesOf(note: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < note.length; i++) {
    step();
    const c = note[i];
    const sentenceDot = c === '.' && !isDigit(note[i + 1]);
    if (c === ';' || c === '\n' || sentenceDot) {
      if (i > start) out.push(note.slice(start, i));
      start = i + 1;
    }
  }
  if (start < note.length) out.push(note.slice(start));
  return out;
}

/**
 * The numeric expectations an expected note states for `signals`. A clause that names several of
 * them counts for the one(s) it names explicitly (`output tokens`), else for none. Only the first
 * {@link MAX_EXPECTED_CHARS} characters are read.
 */
export function expectedRanges(note: string, signals: readonly string[]): ExpectedRange[] {
  const out: ExpectedRange[] = [];
  const seen = new Set<string>();
  for (const clause of clausesOf(note.slice(0, MAX_EXPECTED_CHARS))) {
    let named = signals.filter((s) => !seen.has(s) && names(clause, s));
    if (named.length > 1) named = named.filter((s) => explicitName(clause, s));
    if (named.length !== 1) continue;
    const r = rangeOf(clause);
    if (r === null) continue;
    seen.add(named[0]!);
    out.push(Object.freeze({ signal: named[0]!, ...r }));
  }
  return out;
}

/** Whether a measured change agrees with an expected range (see the module doc). */
export function agreement(m: { est: number; lo: number; hi: number }, e: ExpectedRange): 'agrees' | 'disagrees' | 'inconclusive' {
  const eps = 1e-9;
  if (m.hi < e.low - eps || m.lo > e.high + eps) return 'disagrees';
  if (e.low === e.high ? m.lo <= e.low + eps && m.hi >= e.high - eps : m.est >= e.low - eps && m.est <= e.high + eps) return 'agrees';
  return 'inconclusive';
}

/**
 * The Observed cell for an ending rollout, from its evidence-log records (already those of this
 * rollout; the latest per signal is used) and its expected note. Empty when there is no record.
 */
export function observedCell(records: readonly EvidenceRecord[], expected: string): string {
  const latest = latestPerSignal(records);
  if (latest.length === 0) return '';
  const ranges = expectedRanges(expected, latest.map((r) => r.signal));
  return latest
    .map((r) => {
      const m = signedChange(r);
      const base = `${r.signal} ${fmtNum(m.est, true)}${r.unit} [${fmtNum(m.lo, false)}, ${fmtNum(m.hi, false)}], n=${fmtCount(r.n_arm)}/${fmtCount(r.n_control)}`;
      const e = ranges.find((x) => x.signal === r.signal && x.unit === r.unit);
      return e ? `${base} (${agreement(m, e)} ${agreement(m, e) === 'inconclusive' ? 'against' : 'with'} expected ${e.text})` : base;
    })
    .join('; ');
}
