import { createHash } from 'node:crypto';

/**
 * A key's identity shared by every process with the same server, client, key and DPoP key: SHA-256
 * over them, base64url. Storage keys built from it reveal neither scopes nor audiences. With DPoP the
 * key pair's thumbprint is part of it: a shared store never hands a token bound to one key pair to a
 * client holding another.
 * @example
 * storeIdOf('https://auth.example.com', 'billing', normalizeKey({ scope: 'read' }).id); // 'm1Vx…' (43 characters)
 */
export function storeIdOf(server: string, clientId: string, keyId: string, dpopThumbprint?: string): string {
  const parts = dpopThumbprint === undefined ? [server, clientId, keyId] : [server, clientId, keyId, dpopThumbprint];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
