// The benchmark's smoke mode, so `npm run bench` cannot rot: every case runs a few hundred iterations
// and produces numbers, and tokenward's stampede counts are exact. No timing target is asserted here.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'tokenward-bench-'));

interface StampedeCounts {
  refreshCalls: number;
  failed: number;
  reused: number;
}

interface Results {
  mode: string;
  errors: Record<string, string>;
  cases: {
    stampede: { timings: Record<string, Record<string, { worst: StampedeCounts }>> };
    throughput: { inFlight: Record<string, Record<string, { ratio: { median: number } }>> };
    attachCost: { cases: Record<string, { overheadNs: { median: number } }> };
    memory: { subjects: Record<string, { growthBytes: number }> };
    node: { cachedCallsPerSecond: number; coldCallsPerKey: number };
    fleet: { processes: number; coldCallsPerKey: { redis: number; memory: number }; cachedRatio: { median: number } };
    bundleSize: { entries: Record<string, { gzipBytes?: number; status?: string }> };
    otel: { subjects: Record<string, { ratio: { median: number } }> };
    server: { burst: { calls: number; runs: { rotations: number; revocations: number; statuses: Record<string, number> }[] }; throughput: { ratio: { median: number } } };
  };
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: root, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

let smoke: { code: number; output: string };
let results: Results;

beforeAll(async () => {
  if (!existsSync(join(root, 'packages/core/dist/index.js'))) {
    const build = await run('npm', ['run', 'build']);
    expect(build.code, build.output).toBe(0);
  }
  smoke = await run(process.execPath, ['bench/run.mjs', '--smoke', '--out', outDir]);
  results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
}, 180_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run bench -- --smoke', () => {
  it('exits 0 with no failed case', () => {
    expect(smoke.code, smoke.output).toBe(0);
    expect(results.mode).toBe('smoke');
    expect(results.errors).toEqual({});
  });

  it('makes exactly 1 refresh call, 0 failed calls and 0 reused refresh tokens for tokenward in every timing, behind fetch, axios and undici', () => {
    const timings = Object.entries(results.cases.stampede.timings);
    expect(timings).toHaveLength(3);
    for (const [, clients] of timings) {
      for (const client of ['tokenward', 'axios + tokenward attachAuth', 'undici + tokenward interceptor']) {
        expect(clients[client]!.worst, client).toEqual({ refreshCalls: 1, failed: 0, reused: 0 });
      }
    }
  });

  it('makes exactly 1 token-endpoint call per key for 8 processes on the Redis token store, where the in-process cache alone makes 8', () => {
    const { fleet } = results.cases;
    expect(fleet.processes).toBe(8);
    expect(fleet.coldCallsPerKey).toEqual({ redis: 1, memory: 8 });
    expect(fleet.cachedRatio.median).toBeGreaterThan(0);
  });

  it('rotates a family exactly once, and revokes nothing, for 500 concurrent refreshes through @tokenward/server', () => {
    const { burst } = results.cases.server;
    expect(burst.calls).toBe(500);
    for (const run of burst.runs) {
      expect([run.rotations, run.revocations]).toEqual([1, 0]);
      expect(Object.values(run.statuses).reduce((sum, count) => sum + count, 0)).toBe(500);
    }
    expect(results.cases.server.throughput.ratio.median).toBeGreaterThan(0);
  });

  it('measures OpenTelemetry instrumentation off (A/A control) and on, without and with an SDK, side by side', () => {
    const { subjects } = results.cases.otel;
    expect(Object.keys(subjects)).toHaveLength(3);
    for (const figure of Object.values(subjects)) expect(figure.ratio.median).toBeGreaterThan(0);
  });

  it('produces a number for every comparison', () => {
    const { throughput, attachCost, memory, node, bundleSize } = results.cases;
    for (const inFlight of ['1', '64']) {
      for (const figure of Object.values(throughput.inFlight[inFlight]!)) expect(figure.ratio.median).toBeGreaterThan(0);
      expect(Object.keys(throughput.inFlight[inFlight]!)).toEqual(
        expect.arrayContaining(['bare fetch (A/A control)', 'one-line async wrapper (control)', 'tokenward', 'axios + tokenward attachAuth', 'undici + tokenward interceptor']),
      );
    }
    for (const figure of Object.values(attachCost.cases)) expect(Number.isFinite(figure.overheadNs.median)).toBe(true);
    expect(Number.isFinite(memory.subjects['tokenward createAuthFetch']!.growthBytes)).toBe(true);
    expect(node.cachedCallsPerSecond).toBeGreaterThan(0);
    expect(node.coldCallsPerKey).toBe(1);
    expect(bundleSize.entries['@tokenward/core (entry)']!.gzipBytes).toBeGreaterThan(0);
    const browser = bundleSize.entries['@tokenward/browser (entry)']!;
    expect(browser.gzipBytes ?? browser.status).toBeTruthy();
  });
});
