// The rules the adapters (@tokenward/node, @tokenward/core/axios) share with the core: private to
// tokenward, not part of its public API, and free to change with any release.
export { createOriginCheck } from './create-origin-check.js';
export { bearer, isOneShot } from './create-auth-fetch.js';
