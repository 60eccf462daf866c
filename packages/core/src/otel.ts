// OpenTelemetry instrumentation: its own entry, so that the main entry never loads @opentelemetry/api.
export { instrument } from './instrument.js';
export type { InstrumentOptions } from './instrument.js';
