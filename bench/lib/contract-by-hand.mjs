// The cookie contract's refresh written by hand, as small as it can be while doing what the issue
// asks of every refresh: the CSRF header matched against its cookie, the refresh token looked up by
// its SHA-256 only, rotated (a new 256-bit token, the family's version moved on), an ES256 access
// token signed through node:crypto, and the new cookies set. No rate limits, no grace, no reuse
// detection (a rotated hash is forgotten), no events, no coalescing of concurrent refreshes, no
// pluggable store: what tokenward's refresh adds on top of this is its own cost. The floor below is the same answer with no token logic at all.
import { hash, KeyObject, randomBytes, sign } from 'node:crypto';

const DAY_MS = 86_400_000;

/** A cookie's value in a `Cookie` header. */
function cookie(jar, name) {
  const at = jar.indexOf(`${name}=`);
  if (at === -1) return undefined;
  const end = jar.indexOf(';', at);
  return jar.slice(at + name.length + 1, end === -1 ? undefined : end);
}

/**
 * An ES256 access token for `payload` and the Response a refresh answers with (two cookies), as
 * cheaply as node:crypto and the Web-standard Response allow: shared by the floor and the contract.
 */
function answerer(privateKey) {
  const key = { key: KeyObject.from(privateKey), dsaEncoding: 'ieee-p1363' };
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })).toString('base64url');
  return async (payload, refresh, csrf) => {
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = await new Promise((resolve, reject) => sign('sha256', Buffer.from(input), key, (error, bytes) => (error ? reject(error) : resolve(bytes))));
    const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    headers.append('set-cookie', `__Secure-tw_refresh=${refresh}; Path=/auth; HttpOnly; Secure; SameSite=Strict`);
    headers.append('set-cookie', `__Host-tw_csrf=${csrf}; Path=/; Secure; SameSite=Strict`);
    return new Response(JSON.stringify({ access_token: `${input}.${signature.toString('base64url')}`, token_type: 'Bearer', expires_in: 300 }), { headers });
  };
}

/** The floor: a refresh with no token logic at all, its cookies handed back as they came. */
export function floorHandler(privateKey) {
  const answer = answerer(privateKey);
  return {
    handle(request) {
      const jar = request.headers.get('cookie') ?? '';
      return answer({ sub: 'u', iat: 0, exp: 300, jti: crypto.randomUUID() }, cookie(jar, '__Secure-tw_refresh'), cookie(jar, '__Host-tw_csrf'));
    },
  };
}

/** `login(sub)` starts a family and returns its cookies; `handle(request)` is `POST /auth/refresh`. */
export function contractByHand(privateKey, { issuer, audience }) {
  const answer = answerer(privateKey);
  const families = new Map();
  return {
    login(sub) {
      const refresh = randomBytes(32).toString('base64url');
      families.set(hash('sha256', refresh, 'base64url'), { sub, version: 1, expiresAt: Date.now() + DAY_MS });
      return { refresh, csrf: randomBytes(32).toString('base64url') };
    },
    async handle(request) {
      const jar = request.headers.get('cookie') ?? '';
      const presented = cookie(jar, '__Secure-tw_refresh');
      const csrf = cookie(jar, '__Host-tw_csrf');
      if (!presented || !csrf || request.headers.get('x-tokenward-csrf') !== csrf) return new Response(null, { status: 403 });
      const presentedHash = hash('sha256', presented, 'base64url');
      const family = families.get(presentedHash);
      const now = Date.now();
      if (!family || family.expiresAt <= now) return new Response(null, { status: 401 });
      const next = randomBytes(32).toString('base64url');
      families.delete(presentedHash);
      families.set(hash('sha256', next, 'base64url'), { ...family, version: family.version + 1, expiresAt: now + DAY_MS });
      const iat = Math.floor(now / 1000);
      return answer({ roles: ['user'], iss: issuer, aud: audience, sub: family.sub, iat, exp: iat + 300, jti: crypto.randomUUID() }, next, csrf);
    },
  };
}
