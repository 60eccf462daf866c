import { base64url } from 'jose';

// Web Crypto only, so the handler runs unchanged in Node, Bun, Deno and edge runtimes.

const encoder = new TextEncoder();

/** A fresh random value, base64url: 32 bytes by default (256 bits, unguessable). */
export function randomToken(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** What the store keeps instead of a refresh token: a leaked table cannot be replayed. */
export async function sha256(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(value));
  return base64url.encode(new Uint8Array(digest));
}

/** Compares secrets without an early exit, so timing does not reveal the matching prefix. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  // Hashing first gives equal lengths, so the loop never depends on the input's length.
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}
