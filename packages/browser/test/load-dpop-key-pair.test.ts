import { describe, expect, it } from 'vitest';
import { loadDpopKeyPair } from '../src/dpop.js';

// The key store itself (one non-extractable pair per origin, shared by tabs, handles only in
// IndexedDB) runs in real Chromium: test/browser/dpop.test.ts.
describe('loadDpopKeyPair', () => {
  it('refuses a runtime without IndexedDB with ERR_CONFIG, naming what is missing', async () => {
    expect(globalThis.indexedDB).toBeUndefined();
    await expect(loadDpopKeyPair()).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining('IndexedDB') });
  });
});
