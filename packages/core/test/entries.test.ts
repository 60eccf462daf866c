import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as machine from '../src/machine.js';
import * as dpop from '../src/dpop.js';

describe('entries', () => {
  it('keep the main entry to the application API, the machine behind its own subpath', () => {
    expect(Object.keys(main).sort()).toEqual(
      [
        'AbortedError',
        'ConfigError',
        'DisposedError',
        'InvalidJwtError',
        'InvalidTokenResponseError',
        'NotSignedInError',
        'RefreshFailedError',
        'SessionExpiredError',
        'TokenwardError',
        'classifyError',
        'createAuthFetch',
        'createSession',
        'fromOAuthResponse',
        'isTokenwardError',
      ].sort(),
    );
    expect(Object.keys(machine).sort()).toEqual(['defaultPolicy', 'initialState', 'transition']);
    expect(Object.keys(dpop).sort()).toEqual(['createDpopFetch', 'createDpopProver', 'generateDpopKeyPair']);
  });
});
