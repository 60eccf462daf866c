import { ConfigError } from '@tokenward/core';
import { generateDpopKeyPair } from '@tokenward/core/dpop';

export interface DpopKeyPairOptions {
  /** The IndexedDB database the key handles live in. Default `tokenward-dpop`. */
  database?: string;
  /** The record's name inside it: one key pair per name. Default `default`. */
  name?: string;
  /** Default: the global `indexedDB`. */
  indexedDB?: IDBFactory;
}

const STORE = 'keys';

/**
 * The origin's DPoP key pair: a non-extractable ES256 WebCrypto key, created once and kept in
 * IndexedDB as key handles only (CryptoKey objects stored by structured clone: no key material
 * in any storage a script can read). Every tab of the origin gets the same pair: a new one is
 * written in a transaction that adds it only if none is there, and the stored one is what returns.
 *
 * @example
 * const prover = await createDpopProver(await loadDpopKeyPair());
 * const session = createBrowserSession({ fetch: createDpopFetch(prover, { urls: [new URL('/auth/refresh', location.href).href] }) });
 */
export async function loadDpopKeyPair(options: DpopKeyPairOptions = {}): Promise<CryptoKeyPair> {
  const { database = 'tokenward-dpop', name = 'default' } = options;
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new ConfigError('loadDpopKeyPair needs IndexedDB, which this runtime does not have');
  const db = await request(Object.assign(factory.open(database, 1), { onupgradeneeded: (event: IDBVersionChangeEvent) => (event.target as IDBOpenDBRequest).result.createObjectStore(STORE) }));
  try {
    const found = await getOrAdd(db, name);
    if (found) return found;
    // Generated outside the transaction (which would commit while waiting on WebCrypto), then
    // added only if another tab did not store one in between: the stored pair wins.
    return (await getOrAdd(db, name, await generateDpopKeyPair()))!;
  } finally {
    db.close();
  }
}

/** The stored pair; if there is none and `candidate` is given, stores it, in one readwrite transaction. */
function getOrAdd(db: IDBDatabase, name: string, candidate?: CryptoKeyPair): Promise<CryptoKeyPair | undefined> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, candidate ? 'readwrite' : 'readonly');
    const store = transaction.objectStore(STORE);
    let result: CryptoKeyPair | undefined;
    store.get(name).onsuccess = (event) => {
      const stored = (event.target as IDBRequest<unknown>).result;
      if (isKeyPair(stored)) result = stored;
      else if (candidate) store.put({ privateKey: candidate.privateKey, publicKey: candidate.publicKey }, name).onsuccess = () => (result = candidate);
    };
    // Resolved once committed: a pair handed out is one every other tab will read.
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  const pair = value as Partial<CryptoKeyPair> | undefined;
  return pair?.privateKey instanceof CryptoKey && pair.publicKey instanceof CryptoKey;
}

function request<T>(pending: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error);
  });
}
