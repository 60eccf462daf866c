import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** A free loopback port, and its origin: README snippets read their origin before they listen. */
export async function freeOrigin(): Promise<{ port: number; origin: string }> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return { port, origin: `http://127.0.0.1:${port}` };
}

/** Serves a snippet's server on `port` until the test ends. */
export async function listenUntilDone(server: Server, port: number): Promise<void> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => void server.close());
}
