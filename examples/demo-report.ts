/** `npm run demo:report`: the Friday scenario (rollout, ramp, a guard trip, the rollback) as a report. */
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addChangelogEntry, buildReport } from 'promptpin/authoring';
import { fridayEvidence } from '../test/support/evidence-fixture.js';

const dir = await mkdtemp(join(tmpdir(), 'promptpin-report-'));
await cp(join(import.meta.dirname, 'prompts'), dir, { recursive: true });
const start = new Date('2026-12-04T10:00:00Z');
const ev = fridayEvidence({ start });
await mkdir(join(dir, '.promptpin'), { recursive: true });
await writeFile(join(dir, '.promptpin', 'evidence.jsonl'), ev.lines);
const s = (d: string): string => d.replace(/\.\d{3}Z$/, 'Z');
let log: string | undefined;
for (const e of [
  { date: '2026-11-02T09:00:00Z', author: 'ana', prompt: 'support-agent', environment: '', change: 'publish v1', why: 'First support prompt', expected: '', observed: '' },
  { date: '2026-11-19T16:00:00Z', author: 'ana', prompt: 'support-agent', environment: '', change: 'publish v2', why: 'Shorter answers', expected: '', observed: '' },
  { date: '2026-12-04T10:00:00Z', author: 'ana', prompt: 'support-agent', environment: 'production', change: 'rollout v2 at 5% (stable v1; guards refusal:+0.5pp)', why: 'Shorter answers', expected: 'Output length falls 10-20%. Refusal rate unchanged.', observed: '' },
  { date: '2026-12-04T10:10:00Z', author: 'ana', prompt: 'support-agent', environment: 'production', change: 'ramp v2 5% → 10%', why: 'No alarms after 10 minutes', expected: '', observed: '' },
  { date: s(ev.trippedAt), author: 'promptpin-judge', prompt: 'support-agent', environment: 'production', change: 'rollback v2 → v1 (rollout of v2 at 10% ended)', why: 'guard refusal:+0.5pp tripped', expected: '', observed: 'Refusals back to baseline after the rollback.' },
]) log = addChangelogEntry(log, e);
await writeFile(join(dir, 'CHANGELOG.md'), log!);
const { html, evidence } = await buildReport({ dir, now: () => new Date('2026-12-04T12:00:00Z'), title: 'Friday: support-agent v2' });
await mkdir('.tmp/report', { recursive: true });
await writeFile('.tmp/report/demo-report.html', html);
console.log(`wrote .tmp/report/demo-report.html (${evidence} guard judgements; trip at ${ev.trippedAt})`);
