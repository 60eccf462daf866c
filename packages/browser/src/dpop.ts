// DPoP (RFC 9449) in the page: its own entry, so that the main entry (and its size budget) never
// loads the proof code. The prover and the fetch are the core's, re-exported for one import.
export { loadDpopKeyPair } from './load-dpop-key-pair.js';
export type { DpopKeyPairOptions } from './load-dpop-key-pair.js';
export { createDpopFetch, createDpopProver } from '@tokenward/core/dpop';
export type { DpopFetchOptions, DpopProver } from '@tokenward/core/dpop';
