// OpenTelemetry instrumentation: its own entry, so that the main entry never loads @opentelemetry/api.
export { instrumentAuthEvents } from './instrument-auth-events.js';
export type { InstrumentAuthEventsOptions } from './instrument-auth-events.js';
