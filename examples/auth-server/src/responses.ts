/** JSON answer. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers: merged });
}

export function noContent(headers: HeadersInit = {}): Response {
  return new Response(null, { status: 204, headers });
}

/** `{ error }` bodies, the shape every failure of the contract uses. */
export function error(status: number, code: string, headers: HeadersInit = {}): Response {
  return json(status, { error: code }, headers);
}

/**
 * A small JSON object body (the demo's revoke route), or the answer why not: only
 * `application/json` (a form cannot send it), only with a declared length under 1 KiB.
 */
export async function readSmallJson(request: Request): Promise<Record<string, unknown> | Response> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) return error(415, 'unsupported_media_type');
  const length = Number(request.headers.get('content-length') ?? Infinity);
  if (!(length <= 1024)) return error(413, 'payload_too_large', { connection: 'close' });
  try {
    const body: unknown = await request.json();
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // Falls through to the same answer as a non-object body.
  }
  return error(400, 'invalid_request');
}
