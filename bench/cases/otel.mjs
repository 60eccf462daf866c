// 9. What OpenTelemetry instrumentation costs a request: createAuthFetch over a stub fetch (valid
// token, cached Response) on an uninstrumented session, against the same on an instrumented one, in
// alternating rounds. "Off" is the uninstrumented session itself (A/A control): the core runs the
// same code whether or not @tokenward/core/otel exists.
import { createAuthFetch, createSession } from '@tokenward/core';
import { instrument } from '@tokenward/core/otel';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { compare, interleave, nsPerCall } from '../lib/stats.mjs';

const ORIGIN = 'http://127.0.0.1:9';
const URL_ = `${ORIGIN}/api`;

export async function run({ smoke, log }) {
  const rounds = smoke ? 2 : 9;
  const budget = smoke ? { minMs: 0, maxCalls: 1000 } : { minMs: 150, maxCalls: Infinity };
  const cached = new Response('{"ok":true}');
  const stub = () => Promise.resolve(cached);
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
  const sessions = [];
  const fetchOn = (wrap = (session) => session) => {
    const session = wrap(createSession({ tokens: { accessToken: 'valid', expiresIn: 3600 }, refresh: () => Promise.reject(new Error('not in this case')) }));
    sessions.push(session);
    return createAuthFetch(session, { origins: [ORIGIN], fetch: stub });
  };
  const baseline = fetchOn();
  const subjects = {
    'off: an uninstrumented session (A/A control)': fetchOn(),
    'on, no SDK registered (the API is a no-op)': fetchOn((session) => instrument(session)),
    'on, OpenTelemetry SDK (metrics reader, span processor)': fetchOn((session) => instrument(session, { meter: meterProvider.getMeter('bench'), tracer: tracerProvider.getTracer('bench') })),
  };
  const results = {};
  try {
    for (const [name, candidate] of Object.entries(subjects)) {
      await nsPerCall(() => baseline(URL_), { minMs: 0, maxCalls: 20_000 });
      await nsPerCall(() => candidate(URL_), { minMs: 0, maxCalls: 20_000 });
      const pairs = await interleave({ rounds, measure: async (which) => ({ ns: await nsPerCall(() => (which === 'baseline' ? baseline : candidate)(URL_), budget) }) });
      const { paired: ratio, baseline: baselineNs, candidate: candidateNs } = compare(pairs, 'ns');
      const overheadNs = compare(pairs, 'ns', (c, b) => c - b).paired;
      results[name] = { ratio, overheadNs, baselineNs, candidateNs };
      log(`  ${name.padEnd(56)} ${ratio.median.toFixed(3)} × the time of an uninstrumented call (${Math.round(overheadNs.median)} ns more; ${Math.round(candidateNs.median)} vs ${Math.round(baselineNs.median)} ns)`);
    }
  } finally {
    for (const session of sessions) session.dispose();
    await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
  }
  return { rounds, subjects: results };
}
