import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeFleet, JUDGE_EXIT } from '../../src/fleet/judge.js';
import { GuardMonitor, guardKind } from '../../src/guards/monitor.js';
import { rolloutEvidenceId } from '../../src/guards/evidence-points.js';
import { compileFolder } from '../../src/registry/registry.js';
import { readFolder } from '../../src/sources/folder-source.js';
import { run, tempProject } from '../cli/helpers.js';
import { fleetRows, rng, type Row } from './fleet-support.js';

describe('judgeFleet', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  let server: Server;
  let url = '';
  let rows: Row[] = [];
  const queries: string[] = [];

  beforeAll(async () => {
    p = await tempProject();
    // The example rollout's window is long past on the real clock: judge it without one.
    const yaml = (await p.read('promptpin.yaml')).replace(/\n\s*window: [^\n]*/g, '');
    await p.write('promptpin.yaml', yaml);
    const registry = compileFolder(await readFolder(p.dir));
    const release = registry.environments.get('production')!.get('support-agent')!;
    const rollout = release.rollout!;
    const id = rolloutEvidenceId('production', 'support-agent', release.stable, rollout);
    // Four instances, each a quarter of the traffic; the candidate refuses 3% vs 0.4%.
    const r = rng(7);
    const inst = [0, 1, 2, 3].map(() => new GuardMonitor({ guards: rollout.guards, minSamples: rollout.minSamples, keepCounting: true }));
    for (let i = 0; i < 80_000; i++) {
      const cand = r() < rollout.percent / 100;
      const out: Record<string, boolean | number> = {};
      for (const g of rollout.guards) out[g.signal] = guardKind(g) === 'rate' ? r() < (cand ? 0.03 : 0.004) : 100 + r() * 10;
      inst[i % 4]!.record(cand ? 'candidate' : 'stable', out, 0, { phase: Math.round(rollout.percent * 100), cluster: i % 64 });
    }
    rows = fleetRows(id, inst);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        queries.push(new URLSearchParams(body).get('query') ?? '');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: rows } }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await p.cleanup();
  });

  it('should print the verdict with its evidence and exit 3 on a dry run (promptpin judge --dry-run --json)', async () => {
    const before = await p.read('promptpin.yaml');
    const r = await run(p.cwd, ['judge', '--prometheus', url, '--dry-run', '--json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { exitCode: number; rollouts: { prompt: string; applied: boolean; records: { signal: string; verdict: string }[] }[] };
    const sa = out.rollouts.find((x) => x.prompt === 'support-agent')!;
    expect(sa.applied).toBe(false);
    expect(sa.records.find((x) => x.signal === 'refusal')?.verdict).toBe('tripped');
    expect(await p.read('promptpin.yaml')).toBe(before);
    const human = await run(p.cwd, ['judge', '--prometheus', url, '--dry-run']);
    expect(human.stdout).toMatch(/tripped +refusal \+[\d.]+pp \[/);
  });

  it('should trip on the fleet sums, and two judges at once roll back exactly once', async () => {
    const opts = { dir: p.dir, prometheus: url, environment: 'production', now: () => Date.parse('2027-01-15T09:30:00Z'), publish: 'echo published >> published.txt' };
    const [a, b] = await Promise.all([judgeFleet(opts), judgeFleet(opts)]);
    expect(queries[0]).toMatch(/last_over_time\(promptpin_guard_evidence_total\{promptpin_guard_rollout="support-agent@\d+:[0-9a-f]{12}"\}/);
    const applied = [a, b].flatMap((x) => x.rollouts).filter((r) => r.applied);
    expect(applied).toHaveLength(1);
    expect([a.exitCode, b.exitCode].sort()).toEqual([JUDGE_EXIT.tripped, JUDGE_EXIT.acted]);
    const changelog = await p.read('CHANGELOG.md');
    expect(changelog.split('\n').filter((l) => l.includes('promptpin-judge'))).toHaveLength(1);
    expect(changelog).toMatch(/\| promptpin-judge \| support-agent \| production \| rollback v\d+ → v\d+ .*fleet judge: refusal \+/);
    expect(await p.read('promptpin.yaml')).not.toMatch(/production:[\s\S]*support-agent:[\s\S]*rollout:[\s\S]*staging/);
    expect((await readFile(`${p.dir}/published.txt`, 'utf8')).trim().split('\n')).toHaveLength(1);
    const log = (await p.read('.promptpin/evidence.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const trip = log.find((l) => l.signal === 'refusal' && l.action === 'rollback');
    expect(trip).toMatchObject({ v: 1, env: 'production', prompt: 'support-agent', verdict: 'tripped', kind: 'rate', unit: 'pp', direction: 'increase' });
    expect(log.filter((l) => l.action === 'rollback').length).toBeGreaterThanOrEqual(1);
    // After the rollback nothing is live: a third judge has nothing to judge.
    const c = await judgeFleet(opts);
    expect(c.rollouts.find((r) => r.prompt === 'support-agent')).toBeUndefined();
    expect(c.exitCode).toBe(JUDGE_EXIT.ok);
  });
});
