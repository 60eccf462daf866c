/** JSON answer. Headers may be a Headers object so callers can pre-append several Set-Cookie lines. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers: merged });
}

export function noContent(headers: HeadersInit = {}): Response {
  return new Response(null, { status: 204, headers });
}

/** `{ error }` bodies, the shape every failure of this server uses. */
export function error(status: number, code: string, headers: HeadersInit = {}): Response {
  return json(status, { error: code }, headers);
}

export type JsonBody = Record<string, unknown>;

/**
 * Reads a JSON object body, or answers why not. Only `application/json` is accepted: a
 * cross-site HTML form can post `text/plain` or form encodings without a CORS preflight,
 * never JSON, so this alone keeps forged forms away from login and revoke.
 */
export async function readJsonObject(request: Request): Promise<JsonBody | Response> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return error(415, 'unsupported_media_type');
  try {
    const body: unknown = await request.json();
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as JsonBody;
  } catch {
    // Falls through to the same answer as a non-object body.
  }
  return error(400, 'invalid_request');
}

export function stringField(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}
