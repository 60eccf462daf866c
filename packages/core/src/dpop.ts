// DPoP (RFC 9449) proofs and the fetch that sends them: its own entry, so that the main entry
// never loads the `dpop` package.
export { createDpopProver, generateDpopKeyPair } from './dpop/create-dpop-prover.js';
export type { DpopKeyPair, DpopProver } from './dpop/create-dpop-prover.js';
export { createDpopFetch } from './dpop/create-dpop-fetch.js';
export type { DpopFetchOptions } from './dpop/create-dpop-fetch.js';
