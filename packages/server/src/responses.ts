const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * JSON answer. Headers may be a Headers object so callers can pre-append several Set-Cookie lines;
 * without any, the Response's own headers are the only ones built (append to them afterwards).
 */
export function json(status: number, body: unknown, headers?: HeadersInit): Response {
  return jsonText(status, JSON.stringify(body), headers);
}

/** `json` for a body already serialized. */
export function jsonText(status: number, text: string, headers?: HeadersInit): Response {
  if (headers === undefined) return new Response(text, { status, headers: { 'content-type': JSON_TYPE } });
  const merged = new Headers(headers);
  merged.set('content-type', JSON_TYPE);
  return new Response(text, { status, headers: merged });
}

/** `{ error }` bodies, the shape every failure of the contract uses. */
export function error(status: number, code: string, headers?: HeadersInit): Response {
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
