/** JSON answer. Headers may be a Headers object so callers can pre-append several Set-Cookie lines. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers: merged });
}

/** `{ error }` bodies, the shape every failure of the contract uses. */
export function error(status: number, code: string, headers: HeadersInit = {}): Response {
  return json(status, { error: code }, headers);
}

/** 413, and the connection closes: the rest of an oversized body is never read. */
export function tooLarge(): Response {
  return error(413, 'payload_too_large', { connection: 'close' });
}

/**
 * The body's bytes, or undefined past `limit`: a declared Content-Length over it is refused
 * before reading, and a streamed body stops being read at the first byte over it.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) return undefined;
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
