// One oidc-provider per test file, reset before each test, and every token source a test made disposed after it.
import { createClientCredentials, type ClientCredentials, type ClientCredentialsOptions } from '@tokenward/node';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { clientIds, clientSecret, createAuthServer, type AuthServer, type AuthServerOptions } from './create-auth-server.js';

export interface ClientCredentialsFixture {
  /** The server; set once `beforeAll` ran. */
  readonly server: AuthServer;
  /** A `client_secret_basic` source for the server's issuer, with `options` on top. */
  source(options?: Partial<ClientCredentialsOptions>): ClientCredentials;
}

export function useClientCredentials(serverOptions: AuthServerOptions = {}): ClientCredentialsFixture {
  let server: AuthServer | undefined;
  const sources: ClientCredentials[] = [];
  beforeAll(async () => {
    server = await createAuthServer(serverOptions);
  });
  afterAll(() => server?.close());
  beforeEach(() => server?.reset());
  afterEach(() => {
    for (const source of sources.splice(0)) source.dispose();
  });
  return {
    get server() {
      return server!;
    },
    source(options = {}) {
      const created = createClientCredentials({ issuer: server!.issuer, clientId: clientIds.basic, clientSecret, ...options });
      sources.push(created);
      return created;
    },
  };
}
