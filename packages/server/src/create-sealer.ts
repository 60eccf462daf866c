import { base64url } from 'jose';

/** Encrypts the one raw refresh token a family keeps for its grace window. */
export interface Sealer {
  seal(plain: string): Promise<string>;
  /** The plain text, or undefined when the value was sealed under another key or altered. */
  open(sealed: string): Promise<string | undefined>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * AES-256-GCM under a key derived from `secret` (SHA-256), or a random per-process key. Every
 * instance sharing one store must share the secret, or a grace answer from another instance
 * finds nothing it can open (and the late tab signs in again: safe, only less smooth).
 *
 * @example
 * const sealer = createSealer(process.env.TOKENWARD_SECRET);
 * const sealed = await sealer.seal('token');
 */
export function createSealer(secret?: string): Sealer {
  const key = (async () => {
    const raw = secret === undefined
      ? crypto.getRandomValues(new Uint8Array(32))
      : new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(secret)));
    return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  })();
  return {
    async seal(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await key, encoder.encode(plain));
      return `${base64url.encode(iv)}.${base64url.encode(new Uint8Array(cipher))}`;
    },
    async open(sealed) {
      const [iv, cipher] = sealed.split('.');
      if (!iv || !cipher) return undefined;
      try {
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: base64url.decode(iv) as Uint8Array<ArrayBuffer> }, await key, base64url.decode(cipher) as Uint8Array<ArrayBuffer>);
        return decoder.decode(plain);
      } catch {
        return undefined;
      }
    },
  };
}
