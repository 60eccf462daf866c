import { metrics, trace, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import type { AuthEvent } from './auth-handler-options.js';

export interface InstrumentAuthEventsOptions {
  /** Default: `metrics.getMeter('@tokenward/server')`, a no-op until an SDK registers a provider. */
  meter?: Meter;
  /** Also called with every event, after it is counted: an audit log, your own metrics. */
  onEvent?(event: AuthEvent): void;
}

/** The counter each event adds to, and its attributes: no token, no `sub`, no family id (unbounded). */
const METRICS = {
  'tokenward.server.logins': 'Sign-ins, by session mode',
  'tokenward.server.login_failures': 'Sign-ins refused by authenticate',
  'tokenward.server.rotations': 'Refresh tokens rotated',
  'tokenward.server.grace_answers': 'Refreshes of a just-rotated token answered with the current one',
  'tokenward.server.reuse_detected': 'Rotated refresh tokens presented after the grace window: possible theft',
  'tokenward.server.family_revocations': 'Refresh-token families revoked, by cause',
  'tokenward.server.invalid_grants': 'Refreshes refused, by reason',
  'tokenward.server.rate_limited': 'Requests refused by a rate limit, by route and scope',
  'tokenward.server.csrf_refusals': 'Requests refused by the CSRF check',
  'tokenward.server.dpop_refusals': 'Logins and refreshes refused for their DPoP proof, by failed check',
} as const;
type MetricName = keyof typeof METRICS;

function measure(event: AuthEvent): Array<[MetricName, Attributes]> {
  switch (event.type) {
    case 'login': return [['tokenward.server.logins', { 'tokenward.session.mode': event.mode }]];
    case 'login_failed': return [['tokenward.server.login_failures', {}]];
    case 'refresh': return [['tokenward.server.rotations', {}]];
    case 'grace': return [['tokenward.server.grace_answers', { 'tokenward.grace.coalesced': event.coalesced }]];
    case 'reuse': return [['tokenward.server.reuse_detected', {}], ['tokenward.server.family_revocations', { 'tokenward.revocation.cause': 'reuse' }]];
    case 'logout': return event.familyId ? [['tokenward.server.family_revocations', { 'tokenward.revocation.cause': 'logout' }]] : [];
    case 'invalid_grant': return [['tokenward.server.invalid_grants', { 'tokenward.invalid_grant.reason': event.reason }]];
    case 'rate_limited': return [['tokenward.server.rate_limited', { 'tokenward.rate_limit.route': event.route, 'tokenward.rate_limit.scope': event.scope }]];
    case 'csrf': return [['tokenward.server.csrf_refusals', {}]];
    case 'dpop_refused': return [['tokenward.server.dpop_refusals', { 'tokenward.dpop.reason': event.reason }]];
    case 'too_large': return [];
  }
}

/**
 * An `onEvent` for `createAuthHandler` that turns its events into OpenTelemetry metrics, and into
 * events on the active span (the request's span, when an HTTP instrumentation made one). Reuse
 * detection is the signal to alert on: see "Operating it" in the README.
 * @example
 * const auth = createAuthHandler({ ...options, onEvent: instrumentAuthEvents({ meter, onEvent: audit }) });
 */
export function instrumentAuthEvents(options: InstrumentAuthEventsOptions = {}): (event: AuthEvent) => void {
  const meter = options.meter ?? metrics.getMeter('@tokenward/server');
  const counters = new Map<MetricName, Counter>();
  const counter = (name: MetricName) => {
    let found = counters.get(name);
    if (!found) counters.set(name, (found = meter.createCounter(name, { description: METRICS[name] })));
    return found;
  };
  return (event) => {
    const measured = measure(event);
    for (const [name, attributes] of measured) counter(name).add(1, attributes);
    // The family id helps an investigation; the subject (a person) and any token stay out.
    const familyId = 'familyId' in event && event.familyId ? { 'tokenward.family.id': event.familyId } : {};
    trace.getActiveSpan()?.addEvent(`tokenward.${event.type}`, { ...familyId, ...measured[0]?.[1] });
    options.onEvent?.(event);
  };
}
