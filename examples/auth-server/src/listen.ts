import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler, type WebHandler } from '@tokenward/server';

export interface ListenOptions {
  /** `0` picks a free port. */
  port: number;
  /** Default `127.0.0.1`: the demo is not meant to be reachable from the network. */
  host?: string;
}

export interface ListeningServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and drops open connections, hung requests included. */
  close(): Promise<void>;
}

/**
 * Serves the demo over `node:http` through @tokenward/server's `toNodeHandler`, on 127.0.0.1
 * by default, with a close() that also drops open connections (hung requests included).
 *
 * @example
 * ```ts
 * const { url, close } = await listen(createAuthServer(), { port: 0 });
 * ```
 */
export function listen(
  server: WebHandler,
  { port, host = '127.0.0.1' }: ListenOptions,
): Promise<ListeningServer> {
  const http = createServer(toNodeHandler(server));
  return new Promise((resolve, reject) => {
    http.once('error', (cause: NodeJS.ErrnoException) => {
      reject(
        cause.code === 'EADDRINUSE'
          ? new Error(`auth-server: port ${port} on ${host} is already in use`, { cause })
          : cause,
      );
    });
    http.listen(port, host, () => {
      const actual = (http.address() as AddressInfo).port;
      const origin = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      const close = () =>
        new Promise<void>((done, fail) => {
          http.close((cause) => (cause ? fail(cause) : done()));
          http.closeAllConnections();
        });
      resolve({ url: origin, port: actual, close });
    });
  });
}
