import { ConfigError } from '@tokenward/core';
import { createDpopProver, generateDpopKeyPair, type DpopKeyPair, type DpopProver } from '@tokenward/core/dpop';
import * as oauth from 'oauth4webapi';

/** A client's DPoP key: the prover of its API requests, and oauth4webapi's handle for its token requests. */
export interface DpopKey {
  readonly prover: DpopProver;
  /** Signs token requests and keeps the token endpoint's nonce (oauth4webapi's own nonce cache). */
  readonly handle: oauth.DPoPHandle;
}

/**
 * The key pair `createClientCredentials` binds its tokens to: the one given, or (`true`) a new
 * non-extractable ES256 pair of this client's own.
 * @example
 * const key = await createDpopKey(true, { client_id: 'billing' });
 * key.prover.thumbprint; // the `cnf.jkt` of the tokens it gets
 */
export async function createDpopKey(option: true | DpopKeyPair, client: oauth.Client): Promise<DpopKey> {
  const keyPair = option === true ? await generateDpopKeyPair() : option;
  const prover = await createDpopProver(keyPair);
  return { prover, handle: oauth.DPoP(client, keyPair) };
}

/** Checks `dpop` when the client is created, not at its first token request. */
export function checkDpopOption(option: unknown): void {
  if (option === undefined || option === false || option === true) return;
  const { privateKey, publicKey } = (option ?? {}) as Partial<DpopKeyPair>;
  if (!(privateKey instanceof CryptoKey && publicKey instanceof CryptoKey)) {
    throw new ConfigError('dpop must be true or a WebCrypto key pair ({ privateKey, publicKey })');
  }
}
