import { createHash } from 'node:crypto';
import { ConfigError } from '@tokenward/core';
import { CompactEncrypt, compactDecrypt } from 'jose';

/** A 32-byte AES-256 key, as bytes or base64url text. */
export type EncryptionKey = Uint8Array | string;

/** What the shared cache keeps per key: the token, bound to the key it belongs to. */
export interface StoredToken {
  /** The key's store id: a value copied under another key does not open. */
  readonly id: string;
  readonly accessToken: string;
  readonly tokenType: string;
  readonly scope?: string;
  /** Epoch ms, on the clock of the process that obtained it. */
  readonly expiresAt: number;
}

/** Turns a `StoredToken` into the text Redis keeps, and back. */
export interface TokenCipher {
  seal(token: StoredToken): Promise<string>;
  /** `undefined` for anything that does not open under a known key or belongs to another id. */
  open(text: string, id: string): Promise<StoredToken | undefined>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JWE compact, `dir` + `A256GCM`: tokens at rest are ciphertext (docs/architecture.md, "Fleet
 * (Redis)"). The first key seals; every key opens, chosen by `kid`, so a key can be rotated: deploy
 * `[new, old]`, then `[new]` once the old values have expired. `keys` empty means plaintext, which
 * `createRedisTokenStore` allows only on `allowPlaintext: true`.
 * @example
 * const cipher = createTokenCipher([process.env.TOKEN_KEY!]);
 * const text = await cipher.seal({ id, accessToken, tokenType: 'Bearer', expiresAt });
 */
export function createTokenCipher(keys: readonly EncryptionKey[]): TokenCipher {
  const ring = keys.map(toKeyBytes).map((bytes) => ({ bytes, kid: createHash('sha256').update(bytes).digest('base64url').slice(0, 12) }));
  if (ring.length === 0) {
    return {
      seal: async (token) => JSON.stringify(token),
      open: async (text, id) => check(safeParse(text), id),
    };
  }
  return {
    async seal(token) {
      const { bytes, kid } = ring[0]!;
      return new CompactEncrypt(encoder.encode(JSON.stringify(token))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid }).encrypt(bytes);
    },
    async open(text, id) {
      try {
        const { plaintext } = await compactDecrypt(text, (header) => {
          const key = ring.find((entry) => entry.kid === header.kid);
          if (key === undefined) throw new Error('unknown key');
          return key.bytes;
        }, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
        return check(safeParse(decoder.decode(plaintext)), id);
      } catch {
        return undefined;
      }
    },
  };
}

function toKeyBytes(key: EncryptionKey): Uint8Array {
  const bytes = typeof key === 'string' && /^[\w-]+$/.test(key) ? new Uint8Array(Buffer.from(key, 'base64url')) : key;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new ConfigError('encryptionKey must be 32 bytes, as a Uint8Array or base64url text (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`)');
  }
  return bytes;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function check(value: unknown, id: string): StoredToken | undefined {
  const token = value as StoredToken | undefined;
  const valid = typeof token === 'object' && token !== null && token.id === id && typeof token.accessToken === 'string'
    && typeof token.tokenType === 'string' && Number.isFinite(token.expiresAt);
  return valid ? token : undefined;
}
