import { createHash } from 'node:crypto';

/**
 * A key's identity shared by every process with the same server, client and key: SHA-256 over
 * the three, base64url. Storage keys built from it reveal neither scopes nor audiences.
 * @example
 * storeIdOf('https://auth.example.com', 'billing', normalizeKey({ scope: 'read' }).id); // 'm1Vx…' (43 characters)
 */
export function storeIdOf(server: string, clientId: string, keyId: string): string {
  return createHash('sha256').update(JSON.stringify([server, clientId, keyId])).digest('base64url');
}
