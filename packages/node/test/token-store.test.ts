import { describe, expect, it } from 'vitest';
import type { TokenStore, TokenStoreRequest } from '@tokenward/node';
import { clientIds, clientSecret, resourceServers } from './helpers/create-auth-server.js';
import { useClientCredentials } from './helpers/use-client-credentials.js';

const fixture = useClientCredentials({ accessTokenTTL: 60 });

/** A store that records each request and lets the token endpoint answer it. */
function recordingStore(): TokenStore & { requests: TokenStoreRequest[] } {
  const requests: TokenStoreRequest[] = [];
  return { requests, obtain: (request) => (requests.push(request), request.fetchToken()) };
}

describe('the TokenStore port', () => {
  it('is asked once per key on a cold start, never for a cached token, and its answer is what callers get', async () => {
    const store = recordingStore();
    const tokens = fixture.source({ store, audienceParameter: 'resource' });
    const first = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken({ audience: resourceServers[0] })));
    for (let call = 0; call < 1_000; call += 1) await tokens.getAccessToken({ audience: resourceServers[0] });
    expect(new Set(first).size).toBe(1);
    expect(store.requests.map((request) => [request.reason, request.current])).toEqual([['boot', undefined]]);
    expect(fixture.server.counts.grants).toBe(1);
  });

  it('hands over the current token when it was refused, so a store never answers with the refused one', async () => {
    const store = recordingStore();
    const tokens = fixture.source({ store, audienceParameter: 'resource' });
    const refused = await tokens.getAccessToken({ audience: resourceServers[1] });
    tokens.session({ audience: resourceServers[1] }).invalidate(refused);
    expect(await tokens.getAccessToken({ audience: resourceServers[1] })).not.toBe(refused);
    expect(store.requests.map((request) => [request.reason, request.current?.accessToken === refused])).toEqual([
      ['boot', false],
      ['unauthorized', true],
    ]);
  });

  it('names a key by a hash that is the same in every process for the same server, client and key, and reveals none of them', async () => {
    const [one, two, other] = [recordingStore(), recordingStore(), recordingStore()];
    const key = { audience: resourceServers[2], scope: 'write read' };
    await fixture.source({ store: one, audienceParameter: 'resource' }).getAccessToken(key);
    await fixture.source({ store: two, audienceParameter: 'resource' }).getAccessToken({ ...key, scope: ['read', 'write'] });
    await fixture.source({ store: other, audienceParameter: 'resource', clientId: clientIds.post, clientSecret, authMethod: 'client_secret_post' }).getAccessToken(key);
    const [a, b, c] = [one, two, other].map((store) => store.requests[0]!.id);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/^[\w-]{43}$/);
  });
});
