/** Seeded evidence logs in the contract format (CONTRACTS.md), for report tests and the demo. */
import { formatEvidenceLine, type EvidenceRecord } from '../../src/report/evidence-log.js';

/** A Friday-like rate guard: control p0, arm p1, a judgement every 30 s until it trips. */
export function fridayEvidence(opts: { start: Date; seed?: number; prompt?: string; text?: (s: string) => string } ): { lines: string; records: EvidenceRecord[]; trippedAt: string } {
  let seed = opts.seed ?? 2026;
  const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const records: EvidenceRecord[] = [];
  let n0 = 0, n1 = 0, e0 = 0, e1 = 0, tripped = '';
  for (let i = 1; i <= 120 && !tripped; i++) {
    for (let k = 0; k < 900; k++) if (rnd() < 0.004) e0++;
    for (let k = 0; k < 100; k++) if (rnd() < 0.013) e1++;
    n0 += 900; n1 += 100;
    const p0 = e0 / n0, p1 = e1 / n1;
    const est = (p1 - p0) * 100;
    const se = Math.sqrt(Math.max(p0 * (1 - p0), 1e-6) / n0 + Math.max(p1 * (1 - p1), 1e-6) / n1) * 100;
    const b = Math.sqrt(2 * Math.log(20) + Math.log(1 + n1 / 500));
    const lower = est - b * se, upper = est + b * se;
    const verdict = n1 >= 500 && lower > 0.5 ? 'tripped' : 'continue';
    const t = new Date(opts.start.getTime() + i * 30_000).toISOString();
    const rec: EvidenceRecord = { v: 1, t, env: 'production', prompt: opts.prompt ?? 'support-agent', stable: 1, candidate: 2, arm: 1, percent: 10, step: 0, signal: opts.text ? opts.text('refusal') : 'refusal', kind: 'rate', unit: 'pp', direction: 'increase', threshold: 0.5, n_control: n0, n_arm: n1, control: p0, treatment: p1, estimate: est, lower, upper, alpha: 0.05, verdict, action: verdict === 'tripped' ? 'rollback' : null };
    records.push(rec);
    if (verdict === 'tripped') tripped = t;
  }
  return { lines: records.map(formatEvidenceLine).join(''), records, trippedAt: tripped };
}
