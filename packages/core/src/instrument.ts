import { metrics, trace, SpanStatusCode, type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import type { Session, TokenSet } from './types.js';

export interface InstrumentOptions {
  /** Default: `trace.getTracer('@tokenward/core')`, a no-op until an SDK registers a provider. */
  tracer?: Tracer;
  /** Default: `metrics.getMeter('@tokenward/core')`, a no-op until an SDK registers a provider. */
  meter?: Meter;
  /** The session's clock (epoch ms), for the token's age at use. Default `Date.now`. */
  now?: () => number;
}

/** What a refresh span and the outcome counter say; never a token, never a URL. */
type Outcome = 'ok' | 'failed' | 'peer' | 'aborted';

/**
 * Traces and measures a session through OpenTelemetry: a span per refresh attempt and the metrics
 * listed in the README's "Operating it" section. It listens to the session's events, so a session
 * that is not instrumented runs exactly the code it ran before. The returned session is the same
 * session (its own extra methods kept, a browser session's included), plus the token's age at use
 * and the 401s reported by `createAuthFetch`: hand it to the fetch wrapper (a browser session's own
 * `fetch` reports to the session it was made for, so it counts neither). Its `dispose` stops the
 * instrumentation and disposes the session.
 * @example
 * const session = instrument(createSession({ refresh }), { tracer, meter });
 * const authFetch = createAuthFetch(session, { origins: ['https://api.example.com'] });
 */
export function instrument<S extends Session>(session: S, options: InstrumentOptions = {}): S {
  const tracer = options.tracer ?? trace.getTracer('@tokenward/core');
  const meter = options.meter ?? metrics.getMeter('@tokenward/core');
  const now = options.now ?? Date.now;
  const duration = meter.createHistogram('tokenward.refresh.duration', { unit: 's', description: 'Duration of one refresh attempt' });
  const outcomes = meter.createCounter('tokenward.refresh.outcomes', { description: 'Refresh attempts by outcome and failure kind' });
  const peerServed = meter.createCounter('tokenward.refresh.peer_served', { description: 'Tokens a peer (another tab) refreshed for this session' });
  const expired = meter.createCounter('tokenward.session.expired', { description: 'Sessions expired, by reason' });
  const unauthorized = meter.createCounter('tokenward.request.unauthorized', { description: 'Requests answered 401, retried once with a fresh token' });
  const tokenAge = meter.createHistogram('tokenward.token.age', { unit: 's', description: 'Age of the access token when a request uses it' });

  let open: { span: Span; startedAt: number; reason: string } | undefined;

  function finish(outcome: Outcome, extra: Attributes = {}): void {
    if (!open) return;
    const { span, startedAt, reason } = open;
    open = undefined;
    const attributes = { 'tokenward.refresh.reason': reason, 'tokenward.refresh.outcome': outcome, ...extra };
    span.setAttributes(attributes);
    span.setStatus(outcome === 'failed' ? { code: SpanStatusCode.ERROR, message: String(extra['error.type']) } : { code: SpanStatusCode.OK });
    span.end();
    duration.record((performance.now() - startedAt) / 1000, attributes);
    outcomes.add(1, attributes);
  }

  const stops = [
    session.on('refresh-started', ({ reason, attempt }) => {
      finish('aborted');
      const span = tracer.startSpan('tokenward.refresh', { attributes: { 'tokenward.refresh.reason': reason, 'tokenward.refresh.attempt': attempt } });
      open = { span, startedAt: performance.now(), reason };
    }),
    // A refresh that brings a signed-out session back ends in `signed-in`, not `refreshed`.
    session.on('signed-in', () => finish('ok')),
    session.on('refreshed', ({ origin }) => {
      if (origin === 'peer') peerServed.add(1);
      finish(origin === 'peer' ? 'peer' : 'ok');
    }),
    session.on('refresh-failed', ({ error, terminal }) => {
      const status = (error as { status?: unknown }).status;
      finish('failed', {
        'tokenward.refresh.failure_kind': terminal ? 'terminal' : 'transient',
        'error.type': error.code,
        ...(typeof status === 'number' ? { 'http.response.status_code': status } : {}),
      });
    }),
    session.on('session-expired', ({ reason, origin }) => {
      finish('aborted');
      expired.add(1, { 'tokenward.session.reason': reason || 'unknown', 'tokenward.event.origin': origin });
    }),
    session.on('signed-out', () => finish('aborted')),
  ];

  const used = (token: TokenSet) => {
    tokenAge.record(Math.max(0, now() - token.obtainedAt) / 1000);
    return token;
  };
  const instrumented: S = {
    ...session,
    getTokenSet: (options) => session.getTokenSet(options).then(used),
    getAccessToken: (options) => instrumented.getTokenSet(options).then((token) => token.accessToken ?? ''),
    invalidate(token) {
      unauthorized.add(1);
      session.invalidate(token);
    },
    dispose() {
      for (const stop of stops) stop();
      finish('aborted');
      session.dispose();
    },
  };
  return instrumented;
}
