// The demo's backend (Node): the reference auth server, serving the built page at `/`, and the
// local OpenID provider it also signs in with.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoProvider, type DemoProvider } from '../../auth-server/src/demo-provider.js';
import { createAuthServer, listen, type AuthServer } from '../../auth-server/src/index.js';

export interface DemoServerOptions {
  /** Default 3000; `0` picks a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Access-token lifetime. Default 8 s: a refresh every few seconds. */
  accessTtlSeconds?: number;
  /** The built page. Default `examples/spa/dist`. */
  staticDir?: string;
  /** The local OpenID provider's access-token lifetime. Default 60 s. */
  providerAccessTtlSeconds?: number;
}

export interface DemoServer {
  url: string;
  /** The auth server itself: its counters, as the page shows them. */
  auth: AuthServer;
  /** The local OpenID provider ("sign in with the local OpenID provider"). */
  provider: DemoProvider;
  close(): Promise<void>;
}

/** Where the page is built to by default. */
export const defaultStaticDir = fileURLToPath(new URL('../dist', import.meta.url));

/**
 * Starts the auth server with the demo page. Rejects with a readable message when the page is not
 * built or the port is taken.
 * @example
 * const demo = await startDemoServer({ port: 0, accessTtlSeconds: 3 });
 * console.log(demo.url);
 * await demo.close();
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 3000, host = '127.0.0.1', accessTtlSeconds = 8, staticDir = defaultStaticDir } = options;
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`demo: the page is not built in ${staticDir} (run \`npm run build -w @tokenward/example-spa\`)`);
  }
  // The provider registers the app's callback URL, known once the app listens (port 0 picks one):
  // the listener forwards to the auth server made right after.
  let forward: AuthServer['handle'] = async () => new Response(null, { status: 503 });
  const http = await listen({ handle: (request, context) => forward(request, context) }, { port, host });
  let provider: DemoProvider;
  try {
    provider = await startDemoProvider({ appUrl: http.url, accessTtlSeconds: options.providerAccessTtlSeconds });
  } catch (error) {
    await http.close();
    throw error;
  }
  const auth = createAuthServer({ accessTtlSeconds, staticDir, upstream: provider.upstream });
  forward = auth.handle;
  return {
    url: http.url,
    auth,
    provider,
    async close() {
      await Promise.all([http.close(), provider.close()]);
      await auth.close();
    },
  };
}
