import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { judgeFleet, JUDGE_EXIT } from '../../src/fleet/judge.js';
import { GuardMonitor } from '../../src/guards/monitor.js';
import { rolloutEvidenceId } from '../../src/guards/evidence-points.js';
import { compileFolder } from '../../src/registry/registry.js';
import { readFolder } from '../../src/sources/folder-source.js';
import { fleetRows, rng } from './fleet-support.js';
import { tempProject } from '../cli/helpers.js';

/** Builds a project whose production rollout of support-agent ramps by steps, and its fleet evidence. */
async function rampProject(yamlEdit: (y: string) => string, candidateRefusal: number, seed: number) {
  const p = await tempProject();
  const yaml = yamlEdit((await p.read('promptpin.yaml')).replace(/\n\s*window: [^\n]*/g, ''));
  await p.write('promptpin.yaml', yaml);
  const registry = compileFolder(await readFolder(p.dir));
  const release = registry.environments.get('production')!.get('support-agent')!;
  const rollout = release.rollout!;
  const id = rolloutEvidenceId('production', 'support-agent', release.stable, rollout);
  const r = rng(seed);
  const inst = [0, 1, 2, 3].map(() => new GuardMonitor({ guards: rollout.guards, minSamples: rollout.minSamples, keepCounting: true }));
  for (let i = 0; i < 200_000; i++) {
    const cand = r() < 0.5;
    const out: Record<string, boolean | number> = {};
    for (const g of rollout.guards) {
      if (g.signal === 'refusal') out[g.signal] = r() < (cand ? candidateRefusal : 0.004);
      else if (g.signal === 'tool_call') out[g.signal] = r() < 0.3;
      else out[g.signal] = 100 + r() * 10;
    }
    inst[i % 4]!.record(cand ? 'candidate' : 'stable', out, 0, { phase: Math.round(rollout.percent * 100), cluster: i % 64 });
  }
  const rows = fleetRows(id, inst);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: rows } }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { p, url, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

const withSteps = (percent: number) => (y: string) => y.replace('        percent: 10\n', `        percent: ${percent}\n        steps: [5, 10, 25, 50]\n        min_samples_per_step: 1000\n`);
const now = () => Date.parse('2027-01-15T09:30:00Z');

describe('judgeFleet, progressive ramps and the observed outcome', () => {
  it('should advance a ramp one step when every guard excluded a regression at this step, with one changelog line', async () => {
    const { p, url, close } = await rampProject(withSteps(10), 0.004, 11);
    try {
      const res = await judgeFleet({ dir: p.dir, prometheus: url, environment: 'production', now });
      const sa = res.rollouts.find((r) => r.prompt === 'support-agent')!;
      expect(new Set(sa.records.map((r) => r.signal))).toEqual(new Set(['refusal', 'tool_call', 'output_tokens']));
      expect(sa.records.every((r) => r.verdict === 'excluded')).toBe(true);
      expect(sa).toMatchObject({ action: 'advance', applied: true });
      expect(res.exitCode).toBe(JUDGE_EXIT.acted);
      expect(await p.read('promptpin.yaml')).toMatch(/percent: 25\n/);
      const lines = (await p.read('CHANGELOG.md')).split('\n').filter((l) => l.includes('promptpin-judge'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/ramp v2 10% → 25% \(step 3 of 4\)/);
    } finally {
      await close();
      await p.cleanup();
    }
  });

  it('should promote after the last step, and write the measured observed outcome beside the expected note', async () => {
    const { p, url, close } = await rampProject(withSteps(50), 0.004, 12);
    try {
      const res = await judgeFleet({ dir: p.dir, prometheus: url, environment: 'production', now });
      expect(res.rollouts.find((r) => r.prompt === 'support-agent')).toMatchObject({ action: 'promote', applied: true });
      const line = (await p.read('CHANGELOG.md')).split('\n').find((l) => l.includes('promptpin-judge'))!;
      expect(line).toMatch(/promote v2/);
      expect(line).toMatch(/Output length falls 10-20%/);
      expect(line).toMatch(/refusal [+−-][\d.]+pp \[[^\]]+\], n=/);
      expect(await p.read('promptpin.yaml')).toMatch(/support-agent:\n\s+stable: 2\n/);
    } finally {
      await close();
      await p.cleanup();
    }
  });

  it('should hold while a guard has not yet excluded, and roll back with the measured outcome on a trip', async () => {
    const hold = await rampProject(withSteps(10), 0.0085, 13);
    try {
      const res = await judgeFleet({ dir: hold.p.dir, prometheus: hold.url, environment: 'production', now });
      const sa = res.rollouts.find((r) => r.prompt === 'support-agent')!;
      expect(sa.records.find((r) => r.signal === 'refusal')?.verdict).toBe('continue');
      expect(sa.action).toBe('hold');
      expect(sa.applied).toBe(false);
      expect(await hold.p.read('promptpin.yaml')).toMatch(/percent: 10\n/);
    } finally {
      await hold.close();
      await hold.p.cleanup();
    }
    const trip = await rampProject(withSteps(10), 0.03, 14);
    try {
      const res = await judgeFleet({ dir: trip.p.dir, prometheus: trip.url, environment: 'production', now });
      expect(res.rollouts.find((r) => r.prompt === 'support-agent')).toMatchObject({ action: 'rollback', applied: true });
      const line = (await trip.p.read('CHANGELOG.md')).split('\n').find((l) => l.includes('promptpin-judge'))!;
      expect(line).toMatch(/rollback v2 → v1/);
      expect(line).toMatch(/refusal \+[\d.]+pp \[[\d.]+, [\d.]+\], n=/);
    } finally {
      await trip.close();
      await trip.p.cleanup();
    }
  });
});
