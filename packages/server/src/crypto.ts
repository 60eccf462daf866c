import { base64url } from 'jose';

// Web Crypto everywhere, so the handler runs unchanged in Node, Bun, Deno and edge runtimes. Where
// the runtime offers node:crypto, hashing is synchronous: a refresh hashes three short values, and a
// thread-pool round trip for each would cost more than the hashing.
interface NodeCrypto {
  createHash(algorithm: string): { update(data: string): { digest(): Uint8Array } };
  /** One-shot hashing (Node 20.12+): one native call instead of a Hash object. */
  hash?(algorithm: string, data: string, encoding: 'buffer'): Uint8Array;
  hash?(algorithm: string, data: string, encoding: 'base64url'): string;
  sign?(algorithm: string, data: Uint8Array, key: { key: unknown; dsaEncoding: 'ieee-p1363' }): Uint8Array;
  KeyObject?: { from(key: CryptoKey): unknown };
}
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

const encoder = new TextEncoder();

type NodeBuffer = {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64url'): string };
  from(text: string, encoding?: 'base64url'): Uint8Array & { toString(encoding: 'base64url'): string };
};
const NodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** base64url, through Buffer where it exists (several times faster than the portable path). */
export function toBase64url(bytes: Uint8Array): string {
  return NodeBuffer ? NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url') : base64url.encode(bytes);
}

/** base64url of a string's UTF-8 bytes. */
export function textToBase64url(text: string): string {
  return NodeBuffer ? NodeBuffer.from(text).toString('base64url') : base64url.encode(text);
}

/** Bytes of a base64url string; throws on characters outside the alphabet. */
export function fromBase64url(text: string): Uint8Array {
  if (!/^[\w-]*$/.test(text)) throw new TypeError('not base64url');
  return NodeBuffer ? new Uint8Array(NodeBuffer.from(text, 'base64url')) : base64url.decode(text);
}

// Random bytes drawn 4 KiB at a time: one getRandomValues call per 128 tokens instead of one each.
let pool = new Uint8Array(0);
let used = 0;

/** A fresh random value, base64url: 32 bytes by default (256 bits, unguessable). Every byte is used once. */
export function randomToken(bytes = 32): string {
  if (used + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(Math.max(4096, bytes)));
    used = 0;
  }
  const value = toBase64url(pool.subarray(used, used + bytes));
  pool.fill(0, used, (used += bytes));
  return value;
}

/** SHA-256 of a string's UTF-8 bytes. */
export async function sha256Bytes(value: string): Promise<Uint8Array> {
  if (nodeCrypto?.hash) return nodeCrypto.hash('sha256', value, 'buffer');
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash('sha256').update(value).digest());
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/** What the store keeps instead of a refresh token: a leaked table cannot be replayed. */
export async function sha256(value: string): Promise<string> {
  if (nodeCrypto?.hash) return nodeCrypto.hash('sha256', value, 'base64url');
  return toBase64url(await sha256Bytes(value));
}

/**
 * Compares secrets without an early exit, so timing does not reveal the matching prefix. Only the
 * length may show, and the secrets compared here (CSRF values) all have one length.
 */
export function secretsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * An ES256 signer for one private key: the JWS signature (raw r || s, base64url) of a signing
 * input. Where the runtime has node:crypto, it signs synchronously (about 27 us): a refresh's own
 * work keeps the main thread the busy one, so handing each signature to libuv's thread pool and
 * waking a pool thread for it cost the main thread more than the signature itself (refreshes per
 * second rose by 30 to 45 % without it; docs/architecture.md, "The server's refresh"). Else Web
 * Crypto. `web` forces the portable path (tests).
 *
 * @example
 * const sign = es256Signer(privateKey);
 * const token = `${input}.${await sign(input)}`;
 */
export function es256Signer(privateKey: CryptoKey, { web = false } = {}): (input: string) => Promise<string> {
  const { sign, KeyObject } = (!web && nodeCrypto) || {};
  if (sign && KeyObject && NodeBuffer) {
    const key = { key: KeyObject.from(privateKey), dsaEncoding: 'ieee-p1363' as const };
    return async (input) => toBase64url(sign('sha256', NodeBuffer.from(input), key));
  }
  return async (input) => toBase64url(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, encoder.encode(input))));
}
