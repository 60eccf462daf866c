import { base64url, EncryptJWT, jwtDecrypt } from 'jose';

/**
 * Encrypts small JSON values the server hands out or stores (the sign-in flow's cookie, the
 * provider's tokens in the refresh store) as a JWE, dir/A256GCM under one configured 32-byte key.
 * `purpose` is bound into each box, so a box made for one use never opens as another.
 */
export interface SealedBox {
  seal(purpose: string, value: Record<string, unknown>, ttlSeconds: number): Promise<string>;
  /** The value, or undefined when the box is forged, tampered with, expired or for another purpose. */
  open(purpose: string, sealed: string): Promise<Record<string, unknown> | undefined>;
}

/**
 * @example
 * const box = createSealedBox(process.env.TOKENWARD_KEY!); // 32 bytes, base64url
 * const sealed = await box.seal('flow', { state }, 600);
 */
export function createSealedBox(key: Uint8Array | string): SealedBox {
  const secret = typeof key === 'string' ? base64url.decode(key) : key;
  if (!(secret instanceof Uint8Array) || secret.byteLength !== 32) throw new TypeError('the encryption key must be 32 bytes (base64url or a Uint8Array)');
  return {
    async seal(purpose, value, ttlSeconds) {
      return new EncryptJWT({ ...value, pur: purpose }).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt().setExpirationTime(`${ttlSeconds}s`).encrypt(secret);
    },
    async open(purpose, sealed) {
      try {
        const { payload } = await jwtDecrypt(sealed, secret, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
        return payload.pur === purpose ? payload : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
