// The demo's backend (Node): the reference auth server, serving the built page at `/`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
}

export interface DemoServer {
  url: string;
  /** The auth server itself: its counters, as the page shows them. */
  auth: AuthServer;
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
  const auth = createAuthServer({ accessTtlSeconds, staticDir });
  try {
    const http = await listen(auth, { port, host });
    return {
      url: http.url,
      auth,
      async close() {
        await http.close();
        auth.close();
      },
    };
  } catch (error) {
    auth.close();
    throw error;
  }
}
