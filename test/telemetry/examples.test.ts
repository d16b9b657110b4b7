import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `node --import tsx examples/<file>` (what `npx tsx` runs, without npx's own process) as a child process, bounded in time. */
function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: ROOT, timeout: 60_000, env: { ...process.env, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('telemetry examples', () => {
  it('should export spans over OTLP/HTTP JSON and group them by prompt.version (examples/otlp.ts)', async () => {
    const { code, stdout, stderr } = await runExample('otlp.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/OTLP\/HTTP receiver http:\/\/127\.0\.0\.1:\d+\/v1\/traces: \d+ spans in \d+ request\(s\), content-type application\/json/);
    expect(stdout).toContain('GROUP BY prompt.version');
    expect(stdout).toMatch(/^1\s+stable\s+\d+\s+\d+\s+\d+ tool: crm\.lookup, \d+ POST \/v1\/chat\/completions/m);
    expect(stdout).toMatch(/^2\s+candidate\+override\s+/m);
    expect(stdout).toMatch(/chat gpt-4o-mini\s+prompt\.version=2 prompt\.slice=candidate/);
    expect(stdout).toMatch(/POST \/v1\/chat\/completions\s+prompt\.version=2 prompt\.slice=candidate/);
  });

  it('should stamp spans around the real openai client with a stubbed fetch (examples/openai-stub.ts)', async () => {
    const { code, stdout, stderr } = await runExample('openai-stub.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('reply: Open Settings → Security → Reset password.');
    expect(stdout).toContain('streamed reply: Open Settings → Security → Reset password.');
    expect(stdout).toMatch(/prompt\.version\s+2/);
    expect(stdout).toMatch(/gen_ai\.usage\.output_tokens\s+12/);
    expect(stdout).toMatch(/gen_ai\.response\.finish_reasons\s+\["stop"\]/);
    expect(stdout.match(/span "chat gpt-4o-mini" kind=CLIENT/g)).toHaveLength(2);
  });
});
