import { fromBase64url, sha256Bytes, toBase64url } from './crypto.js';

// Domain separation: the key is never the stored hash of the parent, sha256(parent).
const KEY_PREFIX = 'tokenward-grace\0';

async function keyOf(parent: string): Promise<Uint8Array> {
  return sha256Bytes(KEY_PREFIX + parent);
}

function xor(bytes: Uint8Array, key: Uint8Array): string {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key[i]!;
  return toBase64url(out);
}

/**
 * Seals a rotation's child (32 random bytes) under a key derived from the parent token, which the
 * server never stores: only whoever presents the parent can open it, which is exactly who a grace
 * answer is for. A leaked store therefore reveals no token, and instances need no shared secret.
 *
 * @example
 * const sealed = await sealChild(presented, child);
 */
export async function sealChild(parent: string, child: string): Promise<string> {
  return xor(fromBase64url(child), await keyOf(parent));
}

/** The child, or undefined when `sealed` is not 32 bytes sealed under this parent's key. */
export async function openChild(parent: string, sealed: string): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(sealed);
  } catch {
    return undefined;
  }
  return bytes.length === 32 ? xor(bytes, await keyOf(parent)) : undefined;
}
