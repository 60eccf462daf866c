import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../src/create-auth-fetch.js';
import { createSession } from '../src/create-session.js';
import { REQUEST_ERROR, wantsDpopNonce } from '../src/rules/www-authenticate.js';
import { startServer, type TestServer } from './helpers/http-server.js';

// An API that answers 401 with the challenge named in the request path, to every token: how many
// requests and refreshes each challenge costs is what createAuthFetch decides.
let api: TestServer;
const seen: string[] = [];
beforeAll(async () => {
  api = await startServer((request, response) => {
    seen.push(request.headers.authorization ?? '');
    const challenge = decodeURIComponent(request.url!.slice(1));
    response.writeHead(401, challenge ? { 'www-authenticate': challenge } : {}).end();
  });
});
afterAll(() => api.close());

async function costOf(challenge: string) {
  let refreshes = 0;
  const session = createSession({
    refresh: async () => ({ accessToken: `tok-${++refreshes}`, expiresIn: 300 }),
    tokens: { accessToken: 'tok-0', expiresIn: 300 },
  });
  seen.length = 0;
  const response = await createAuthFetch(session, { origins: [api.url] })(`${api.url}/${encodeURIComponent(challenge)}`);
  session.dispose();
  return { status: response.status, refreshes, requests: seen.length, challenge: response.headers.get('www-authenticate') ?? '' };
}

describe('createAuthFetch reads WWW-Authenticate on a 401 (RFC 6750 §3.1, RFC 9449 §7.1)', () => {
  it.each([
    [''],
    ['Bearer'],
    ['Bearer realm="api"'],
    ['Bearer error="invalid_token"'],
    ['Bearer realm="api", error="invalid_token", error_description="The access token expired"'],
    ['Bearer error=invalid_token'],
    ['DPoP algs="ES256 PS256"'],
    ['DPoP algs="ES256", error="invalid_token"'],
  ])('refreshes exactly once and retries once on %j (the token is refused)', async (challenge) => {
    expect(await costOf(challenge)).toEqual({ status: 401, refreshes: 1, requests: 2, challenge });
    expect(seen).toEqual(['Bearer tok-0', 'Bearer tok-1']);
  });

  it.each([
    ['Bearer error="invalid_request"'],
    ['Bearer realm="api", error="invalid_request", error_description="Two tokens in one request"'],
    ['DPoP error="invalid_dpop_proof"'],
    ['DPoP algs="ES256", error="use_dpop_nonce"'],
    ['Bearer error="insufficient_scope", scope="admin"'],
    ['Bearer ERROR=invalid_request'],
  ])('hands %j back as it is: 0 refreshes, 1 request (the request is wrong, not the token)', async (challenge) => {
    expect(await costOf(challenge)).toEqual({ status: 401, refreshes: 0, requests: 1, challenge });
  });

  it('tells the challenge errors apart, and finds a DPoP nonce challenge only under the DPoP scheme', () => {
    expect(REQUEST_ERROR.test('Bearer error="invalid_token"')).toBe(false);
    expect(REQUEST_ERROR.test('Bearer error="invalid_token_type"')).toBe(true);
    expect(REQUEST_ERROR.test('Bearer error_description="invalid"')).toBe(false);
    expect(wantsDpopNonce('DPoP error="use_dpop_nonce"')).toBe(true);
    expect(wantsDpopNonce('Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce"')).toBe(true);
    expect(wantsDpopNonce('Bearer error="use_dpop_nonce"')).toBe(false);
    expect(wantsDpopNonce('DPoP error="invalid_dpop_proof"')).toBe(false);
    expect(wantsDpopNonce(null)).toBe(false);
  });
});
