import { boundKey, dpopBinding } from '../dpop-binding.js';
import type { RouteHandler } from '../handler-context.js';
import { error, readBody, tooLarge } from '../responses.js';
import { sessionResponse, tooManyRequests } from '../session-response.js';

/**
 * `POST {base}/login`, JSON `{ mode?: 'bearer' | 'cookie', ...whatever authenticate reads }`.
 * Only `application/json` is accepted: a cross-site form cannot send it and a cross-origin
 * script needs a preflight, so this is login's CSRF defence (no CSRF cookie exists yet).
 */
export const loginRoute: RouteHandler = async (ctx, request, meta) => {
  const { options, limiters } = ctx;
  const retryAfter = (meta.address !== undefined && limiters.login?.take(meta.address)) || 0;
  if (retryAfter > 0) {
    options.onEvent({ type: 'rate_limited', route: 'login', scope: 'address' });
    return tooManyRequests(retryAfter);
  }
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) return error(415, 'unsupported_media_type');
  const bytes = await readBody(request, options.maxBodyBytes);
  if (!bytes) {
    options.onEvent({ type: 'too_large', path: meta.path });
    return tooLarge();
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return error(400, 'invalid_request');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return error(400, 'invalid_request');
  const mode = (body as { mode?: unknown }).mode ?? 'bearer';
  if (mode !== 'bearer' && mode !== 'cookie') return error(400, 'invalid_request');
  // Before authenticate: a refused proof must not cost a password check.
  const binding = await dpopBinding(ctx, request, meta);
  if (binding.refused) return binding.refused;

  // authenticate gets the request with its body still readable.
  const user = await options.authenticate!(new Request(request.url, { method: 'POST', headers: request.headers, body: bytes as Uint8Array<ArrayBuffer> }));
  if (!user || typeof user.sub !== 'string' || user.sub === '') {
    options.onEvent({ type: 'login_failed' });
    return error(401, 'invalid_credentials');
  }
  const claims = user.claims ?? {};
  const [issued, access] = await Promise.all([
    ctx.families.create(user.sub, claims, mode, undefined, binding.jkt),
    ctx.keys.sign(user.sub, claims, boundKey({ mode, jkt: binding.jkt })),
  ]);
  options.onEvent({ type: 'login', sub: user.sub, familyId: issued.family.id, mode });
  return sessionResponse(ctx, meta, { family: issued.family, refreshToken: issued.token, access }, { newCsrf: true });
};
