import { it } from 'vitest';

/**
 * A test of correct behaviour that fails today because of a bug reported to its package's owner:
 * expected to fail (so CI stays green) until the fix lands, when vitest reports it and `knownBug`
 * becomes `it`. TOKENWARD_STRICT_BUGS=1 runs these as plain tests, to watch them fail.
 */
export const knownBug = process.env.TOKENWARD_STRICT_BUGS ? it : it.fails;
